/**
 * Classification of PostgreSQL driver failures, shared by the Postgres source and the Postgres
 * state store. Driver-neutral: it reads error objects (`code` as SQLSTATE or Node errno,
 * `message`), never imports `pg`. One table says whether a retry can help, plus a plain-language
 * message; exact SQLSTATEs win over their two-character class.
 * - `classifyPgQueryError` turns any failure of a query into a ReplayError with the caller's code;
 * - `pgConnectFailure` / `classifyPgConnectError` read the failures of connecting (source and
 *   state database) for the CLI: outage, credentials, or bad input on the URL field.
 */
import { ConfigError, type ErrorCode, ReplayError } from './errors.js';
import { networkFailure, oneLine, tlsVerifyCode } from './net-errors.js';
import { displayUrl, redactSecrets } from './redact.js';

export interface PgErrorRule {
  retry: boolean;
  what: string;
}

export const pgErrorTable: Readonly<Record<string, PgErrorRule>> = Object.freeze({
  // classes
  '08': { retry: true, what: 'the connection to Postgres failed or was lost' },
  '53': { retry: true, what: 'Postgres is short of resources' },
  '57': { retry: false, what: 'the operator intervened (query cancelled or server shutting down)' },
  '58': { retry: true, what: 'Postgres hit a system or I/O error' },
  '40': { retry: true, what: 'the transaction was rolled back by Postgres' },
  '28': { retry: false, what: 'authentication failed: check the user and password in the connection URL' },
  '3D': { retry: false, what: 'the database named in the connection URL does not exist' },
  '42': { retry: false, what: 'the query is invalid for this schema (missing table/column or no privilege)' },
  '22': { retry: false, what: 'a stored value could not be converted' },
  XX: { retry: false, what: 'Postgres reported an internal error' },
  // exact codes
  '40001': { retry: true, what: 'serialization failure; the read can be retried' },
  '40P01': { retry: true, what: 'deadlock detected; the read can be retried' },
  '53100': { retry: false, what: 'the Postgres disk is full' },
  '53200': { retry: true, what: 'Postgres ran out of memory' },
  '53300': { retry: true, what: 'too many connections to Postgres; lower pool_size or wait' },
  '55P03': { retry: true, what: 'a lock was not available' },
  '55006': { retry: true, what: 'the object is in use' },
  '57014': { retry: true, what: 'the query was cancelled (statement_timeout or pg_cancel_backend)' },
  '57P01': { retry: true, what: 'Postgres is shutting down (admin shutdown)' },
  '57P02': { retry: true, what: 'Postgres crashed and is restarting' },
  '57P03': { retry: true, what: 'Postgres is not accepting connections yet (starting up or in recovery)' },
  '57P04': { retry: false, what: 'the database was dropped' },
  '42P01': { retry: false, what: 'the table does not exist' },
  '42703': { retry: false, what: 'a column does not exist' },
  '42501': { retry: false, what: 'permission denied: grant SELECT on the table to the replay user' },
  '25006': { retry: false, what: 'the transaction is read-only' },
});

/** Node socket errors mean the connection went away: retryable like SQLSTATE class 08. */
const retryableSocketCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const retryableMessages = [/connection terminated/i, /timeout expired/i, /connection.*(closed|ended)/i];

/** Who is classifying: the ReplayError code and the label the message starts with. */
export interface PgQueryScope {
  /** ReplayError code, e.g. `SOURCE_ERROR`. */
  code: ErrorCode;
  /** Start of the message, e.g. `Postgres source`. */
  label: string;
}

/** Any failure of a query (or a connection under it) as a ReplayError of `scope.code`. */
export function classifyPgQueryError(e: unknown, scope: PgQueryScope): ReplayError {
  if (e instanceof ReplayError) return e;
  const err = e as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const raw = redactSecrets(typeof err?.message === 'string' ? err.message : String(e));
  // Socket codes first: `EPIPE` has the shape of a SQLSTATE (five upper-case characters).
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !retryableSocketCodes.has(code)) {
    const rule = pgErrorTable[code] ?? pgErrorTable[code.slice(0, 2)];
    const retry = rule?.retry ?? false;
    const what = rule?.what ?? 'Postgres refused the request';
    return new ReplayError(scope.code, `${scope.label}: ${what} (SQLSTATE ${code}: ${raw})`, {
      canRetry: retry,
      cause: e,
      details: { sqlstate: code, retryable: retry },
    });
  }
  const socket =
    (code !== undefined && retryableSocketCodes.has(code)) || retryableMessages.some((r) => r.test(raw));
  return new ReplayError(
    scope.code,
    socket ? `${scope.label}: the connection failed or was lost (${code ?? raw})` : `${scope.label}: ${raw}`,
    { canRetry: socket, cause: e, details: { sqlstate: null, errno: code ?? null, retryable: socket } },
  );
}

/** Which database a connection failure is about, for the message and the fix. */
export interface PgEndpoint {
  /** `source database` or `state database`. */
  component: string;
  /** The config field holding the URL: `source.url`, `state.url`. */
  field: string;
  url: string;
}

/** SQLSTATEs that mean the server is (for now) not taking connections: an outage. */
const unavailableStates = new Set(['57P01', '57P02', '57P03', '53300']);
/** pg / pg-connection-string refusing the URL's TLS parameters. */
const tlsSettings = /sslmode|sslrootcert|sslnegotiation|uselibpqcompat/i;
const closedMessages = [
  /connection terminated/i,
  /timeout expired/i,
  /timeout exceeded when trying to connect/i,
  /connection.*(closed|ended)/i,
];

/**
 * A failure to connect to (or authenticate with) a Postgres database, as the CLI reports it, or
 * undefined when `e` is not one (a query error, a bug):
 * - unreachable (socket errno, SQLSTATE class 08, 57P01-03, 53300, connection closed) → a
 *   retryable ReplayError `code`, exit 1, one line naming the component and its host;
 * - authentication (class 28: wrong password, unknown role, no pg_hba entry) → ReplayError
 *   `code`, exit 1, not retryable: "authentication failed: check the user and password";
 * - server certificate not verified → ReplayError `code`, exit 1, not retryable;
 * - bad input (database does not exist 3D000, host name not found ENOTFOUND, unreadable
 *   sslrootcert/sslcert/sslkey file, TLS asked of a server without TLS, TLS parameters pg
 *   refuses) → ConfigError on the URL field, exit 2.
 * The URL is only ever shown through displayUrl, and driver text through redactSecrets.
 */
export function pgConnectFailure(e: unknown, ep: PgEndpoint, code: ErrorCode): ReplayError | undefined {
  if (e instanceof ReplayError) return e;
  const at = `${ep.component} at ${displayUrl(ep.url)}`;
  const err = e as { code?: unknown; message?: unknown; syscall?: unknown; path?: unknown } | null;
  const errCode = typeof err?.code === 'string' ? err.code : undefined;
  const raw = oneLine(redactSecrets(typeof err?.message === 'string' ? err.message : String(e)));
  const upAgain = 'check that Postgres is up and reachable from this host, then run again';
  const net = networkFailure(e);
  if (net?.unknownHost) {
    return new ConfigError(
      ep.field,
      `${at}: the host name does not resolve (${net.code}); check the host in ${ep.field} (or DNS from this host)`,
      { cause: e },
    );
  }
  if (net) {
    return new ReplayError(code, `${at}: ${net.what} (${net.code}); ${upAgain}`, {
      canRetry: true,
      cause: e,
      details: { errno: net.code, retryable: true },
    });
  }
  if (errCode !== undefined && /^[0-9A-Z]{5}$/.test(errCode)) {
    const details = { sqlstate: errCode };
    if (errCode === '3D000') {
      return new ConfigError(ep.field, `${at}: ${raw}; check the database name in ${ep.field}`, {
        cause: e,
        details,
      });
    }
    if (errCode.startsWith('28')) {
      return new ReplayError(
        code,
        `${at}: authentication failed: check the user and password in ${ep.field} (SQLSTATE ${errCode})`,
        { canRetry: false, cause: e, details: { ...details, retryable: false } },
      );
    }
    if (errCode.startsWith('08') || unavailableStates.has(errCode)) {
      const what = (pgErrorTable[errCode] ?? pgErrorTable[errCode.slice(0, 2)])!.what;
      return new ReplayError(code, `${at}: ${what} (SQLSTATE ${errCode}); ${upAgain}`, {
        canRetry: true,
        cause: e,
        details: { ...details, retryable: true },
      });
    }
    return undefined;
  }
  const tls = tlsVerifyCode(e);
  if (tls) {
    // An expired or replaced server certificate or a wrong CA: not certainly bad input, and never
    // to be "fixed" by turning verification off.
    return new ReplayError(
      code,
      `${at}: TLS verification failed (${tls}); check sslrootcert (the CA) and the host name in ${ep.field}`,
      { canRetry: false, cause: e, details: { errno: tls, retryable: false } },
    );
  }
  if (/does not support SSL connections/i.test(raw)) {
    return new ConfigError(
      ep.field,
      `${at}: the server does not accept TLS, but ${ep.field} asks for it (sslmode / ssl); enable TLS on the server, or set sslmode=disable if the network path is trusted`,
      { cause: e },
    );
  }
  if (errCode === 'ERR_INVALID_URL' || tlsSettings.test(raw)) {
    // The URL itself, or TLS settings this server cannot satisfy: fixed in the URL.
    return new ConfigError(
      ep.field,
      `${at}: ${raw}; check ${ep.field} (see config/README.md, Postgres TLS)`,
      {
        cause: e,
      },
    );
  }
  if ((errCode === 'ENOENT' || errCode === 'EACCES') && err?.syscall === 'open') {
    // pg reads sslrootcert / sslcert / sslkey of the URL when it connects.
    return new ConfigError(
      ep.field,
      `${at}: cannot read the TLS file ${String(err.path)} (${errCode}) named by sslrootcert, sslcert or sslkey in ${ep.field}`,
      { cause: e },
    );
  }
  if (closedMessages.some((r) => r.test(raw))) {
    return new ReplayError(code, `${at}: the connection failed or was closed (${raw}); ${upAgain}`, {
      canRetry: true,
      cause: e,
      details: { retryable: true },
    });
  }
  return undefined;
}

/** `pgConnectFailure`, or for anything else a ReplayError `code` naming the component (exit 1). */
export function classifyPgConnectError(e: unknown, ep: PgEndpoint, code: ErrorCode): ReplayError {
  const known = pgConnectFailure(e, ep, code);
  if (known) return known;
  const sqlstate = (e as { code?: unknown } | null)?.code;
  const raw = oneLine(redactSecrets(e instanceof Error ? e.message : String(e)));
  const state =
    typeof sqlstate === 'string' && /^[0-9A-Z]{5}$/.test(sqlstate) ? ` (SQLSTATE ${sqlstate})` : '';
  return new ReplayError(code, `${ep.component} at ${displayUrl(ep.url)}: ${raw}${state}`, { cause: e });
}
