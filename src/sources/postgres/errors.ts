/**
 * One table classifies every Postgres/driver failure into a ReplayError('SOURCE_ERROR'): whether a
 * retry can help, plus a plain-language message. Exact SQLSTATEs win over their two-character class.
 * The engine and the chaos tests use `classifyPgError` for every source failure.
 */
import { ReplayError } from '../../common/errors.js';

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
  '28': { retry: false, what: 'authentication failed: check the user and password in source.url' },
  '3D': { retry: false, what: 'the database in source.url does not exist' },
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

export function classifyPgError(e: unknown): ReplayError {
  if (e instanceof ReplayError) return e;
  const err = e as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : undefined;
  const raw = typeof err?.message === 'string' ? err.message : String(e);
  // Socket codes first: `EPIPE` has the shape of a SQLSTATE (five upper-case characters).
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !retryableSocketCodes.has(code)) {
    const rule = pgErrorTable[code] ?? pgErrorTable[code.slice(0, 2)];
    const retry = rule?.retry ?? false;
    const what = rule?.what ?? 'Postgres refused the request';
    return new ReplayError('SOURCE_ERROR', `Postgres source: ${what} (SQLSTATE ${code}: ${raw})`, {
      canRetry: retry,
      cause: e,
      details: { sqlstate: code, retryable: retry },
    });
  }
  const socket =
    (code !== undefined && retryableSocketCodes.has(code)) || retryableMessages.some((r) => r.test(raw));
  return new ReplayError(
    'SOURCE_ERROR',
    socket
      ? `Postgres source: the connection failed or was lost (${code ?? raw})`
      : `Postgres source: ${raw}`,
    { canRetry: socket, cause: e, details: { sqlstate: null, errno: code ?? null, retryable: socket } },
  );
}
