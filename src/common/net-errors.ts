/**
 * Network failures (Node errno / undici codes) are outages, not bad input: the CLI reports them
 * as exit 1 with one line naming what could not be reached. `ENOTFOUND` is kept apart: the name
 * server answered that the host name does not exist, which is a wrong host in the config far more
 * often than an outage (callers that know the field report it as bad input).
 */

/** Codes that mean the peer could not be reached or went away, with their plain-language reading. */
export const outageCodes: Readonly<Record<string, string>> = Object.freeze({
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the peer',
  ECONNABORTED: 'connection aborted',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  EHOSTDOWN: 'host is down',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network is down',
  EPIPE: 'connection closed by the peer',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  EAI_FAIL: 'DNS lookup failed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_SOCKET: 'connection closed by the peer',
});

/** The name server says the host does not exist: usually a typo in the URL. */
export const unknownHostCodes: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_NONAME']);

export interface NetworkFailure {
  code: string;
  /** The failing error's own message, e.g. `connect ECONNREFUSED 127.0.0.1:5432`. */
  message: string;
  /** `connection refused`, … */
  what: string;
  unknownHost: boolean;
}

/**
 * The first network errno found in `e`, its `cause` chain or an AggregateError's `errors`
 * (Node's happy-eyeballs connect reports one per address), else undefined.
 */
export function networkFailure(e: unknown, depth = 0): NetworkFailure | undefined {
  if (e === null || typeof e !== 'object' || depth > 5) return undefined;
  const err = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (code !== undefined && (code in outageCodes || unknownHostCodes.has(code))) {
    const inner = Array.isArray(err.errors) ? networkFailure(err.errors[0], depth + 1) : undefined;
    const message = typeof err.message === 'string' && err.message ? err.message : (inner?.message ?? code);
    const unknownHost = unknownHostCodes.has(code);
    return { code, message, what: unknownHost ? 'host name not found' : outageCodes[code]!, unknownHost };
  }
  if (Array.isArray(err.errors)) {
    for (const x of err.errors) {
      const f = networkFailure(x, depth + 1);
      if (f) return f;
    }
  }
  return networkFailure(err.cause, depth + 1);
}

/** TLS codes of a server certificate that was not verified (expired, self-signed, wrong name or CA). */
const TLS_VERIFY_CODES =
  /^(ERR_TLS_CERT_ALTNAME_INVALID|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_[A-Z_]+)$/;

/** The certificate-verification code in `e` or its `cause` chain, else undefined. */
export function tlsVerifyCode(e: unknown): string | undefined {
  for (
    let c: unknown = e, i = 0;
    c && typeof c === 'object' && i < 5;
    c = (c as { cause?: unknown }).cause, i++
  ) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_VERIFY_CODES.test(code)) return code;
  }
  return undefined;
}

/** One line: newlines and runs of blanks collapsed, cut at `max` characters. */
export function oneLine(text: string, max = 300): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
