/**
 * How a failure to reach the CEPtra target at startup is reported (the databases' side is
 * `pgConnectFailure` in src/common/pg-errors.ts): an outage or wrong credentials is exit 1
 * with one line naming the target and its host; exit 2 only when the input is wrong.
 */
import { ConfigError, ErrorCode, errorMessage, isReplayError, ReplayError } from '../common/errors.js';
import { networkFailure, oneLine, tlsVerifyCode } from '../common/net-errors.js';
import { displayUrl, redactSecrets } from '../common/redact.js';

/**
 * Why connecting to the target (`GET /v1/state`) failed, as the CLI reports it. Bad input (exit 2,
 * ConfigError on target.*): a malformed URL or unreadable TLS file (thrown as such by the client
 * options), a host name that does not resolve, an answer that is not CEPtra's. Exit 1, one line:
 * unreachable / 5xx / 429 → TARGET_UNREACHABLE (retryable), 401/403 → TARGET_AUTH, certificate
 * not verified → TARGET_TLS. Other errors (a bug) come back unchanged. The URL is shown through
 * displayUrl only.
 */
export function targetStartupError(err: unknown, url: string): unknown {
  if (err instanceof ConfigError) return err;
  const at = `CEPtra target at ${displayUrl(url)}`;
  const upAgain =
    'check that the cluster (or `ceptra-replay sim`) is up and reachable from this host, then run again';
  const tls = tlsVerifyCode(err);
  if (tls) {
    return new ReplayError(
      ErrorCode.TargetTls,
      `${at}: TLS verification failed (${tls}); check target.tls.ca and target.tls.servername`,
      { cause: err },
    );
  }
  const net = networkFailure(err);
  if (net?.unknownHost) {
    return new ConfigError(
      'target.url',
      `${at}: the host name does not resolve (${net.code}); check the host in target.url (or DNS from this host)`,
      { cause: err },
    );
  }
  if (net) {
    return new ReplayError(ErrorCode.TargetUnreachable, `${at}: ${net.what} (${net.code}); ${upAgain}`, {
      canRetry: true,
      cause: err,
      details: { errno: net.code },
    });
  }
  // What the control client says about its one GET /v1/state (CONTROL_UNREACHABLE,
  // CONTROL_HTTP_<status>, BAD_RESPONSE).
  const top = isReplayError(err) ? err.code : '';
  const status = Number(/^CONTROL_HTTP_(\d{3})$/.exec(top)?.[1] ?? Number.NaN);
  if (status >= 500 || status === 429) {
    return new ReplayError(
      ErrorCode.TargetUnreachable,
      `${at}: GET /v1/state answered HTTP ${status}; ${upAgain}`,
      {
        canRetry: true,
        cause: err,
        details: { status },
      },
    );
  }
  if (status === 401 || status === 403) {
    return new ReplayError(
      ErrorCode.TargetAuth,
      `${at}: GET /v1/state answered HTTP ${status}: authentication failed; check the target's credentials`,
      { cause: err, details: { status } },
    );
  }
  const why = oneLine(redactSecrets(errorMessage(err)), 200);
  if (Number.isFinite(status) || top === 'BAD_RESPONSE') {
    return new ConfigError(
      'target.url',
      `${at} does not answer like a CEPtra target (${why}); check target.url (base URL of the ingest API)`,
      { cause: err },
    );
  }
  if (top === 'CONTROL_UNREACHABLE') {
    return new ReplayError(ErrorCode.TargetUnreachable, `${at}: ${why}; ${upAgain}`, {
      canRetry: true,
      cause: err,
    });
  }
  return err; // a ReplayError of its own, or a bug (printed with its stack)
}
