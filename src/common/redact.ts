/**
 * Secrets never reach an operator: every connection URL shown in a message, a log line or an
 * artifact goes through `displayUrl` (scheme, host, port and path only), and free text that may
 * embed one (driver messages, stacks) through `redactSecrets`.
 */

const SCHEME = /^\s*([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;
const UNPARSEABLE = '<unparseable URL>';

/**
 * `postgres://user:pw@db.example:5432/events?sslmode=require` → `postgres://db.example:5432/events`.
 * Never the user info, the query string or the fragment. A URL that does not parse, or whose host
 * is ambiguous (an `@` after the authority: a password with an unescaped `/`, `?` or `#` could
 * then be read as host or path), prints as `scheme://<redacted>`; no scheme at all as
 * `<unparseable URL>`. The raw text is never returned.
 */
export function displayUrl(url: string): string {
  const m = SCHEME.exec(url);
  if (!m) return UNPARSEABLE;
  const scheme = m[1]!.toLowerCase();
  const hidden = `${scheme}://<redacted>`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return hidden;
  }
  // WHATWG takes the last `@` before the first `/`, `?` or `#` as the end of the user info. If
  // an `@` comes later, the password may have contained one of those: only a host and path that
  // parse the same from the text after the last `@` are certainly not part of the password.
  const at = url.lastIndexOf('@');
  if (at >= 0) {
    let tail: URL;
    try {
      tail = new URL(`${scheme}://${url.slice(at + 1)}`);
    } catch {
      return hidden;
    }
    if (tail.host !== u.host || tail.pathname !== u.pathname) return hidden;
  }
  const path = u.pathname === '/' ? '' : u.pathname;
  return `${scheme}://${u.host}${path}`;
}

// A URL inside free text: up to whitespace, quotes or angle brackets.
const URL_IN_TEXT = /\b[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s"'<>`]+/g;
// libpq keyword/value pairs and query parameters that carry secrets.
const SECRET_PARAM = /\b(password|passwd|pwd|sslpassword|sslkey|token|secret)=([^\s&;,'"]+)/gi;

/** Free text (driver errors, stacks) with every embedded URL shown as `displayUrl` and `password=…` masked. */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_IN_TEXT, (raw) => {
      // Keep sentence punctuation that closes the text around the URL out of the URL.
      const trail = /[).,;:\]]+$/.exec(raw)?.[0] ?? '';
      const url = trail ? raw.slice(0, -trail.length) : raw;
      return displayUrl(url) + trail;
    })
    .replace(SECRET_PARAM, '$1=***');
}
