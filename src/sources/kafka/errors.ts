/**
 * kafkajs failures as ReplayErrors. Outages (connection refused/reset, timeouts, leader moves) are
 * `SOURCE_ERROR` with `canRetry`; what only the operator can fix (a host that does not resolve, a
 * topic that does not exist, SASL refused, TLS spoken to a plaintext listener or refused by
 * verification, missing ACLs) names the config field and the fix. Passwords never appear: the
 * messages are built from error names, codes and broker addresses.
 */
import { ConfigError, ErrorCode, ReplayError } from '../../common/errors.js';
import { networkFailure } from '../../common/net-errors.js';
import { redactSecrets } from '../../common/redact.js';

interface KafkaJsErrorLike {
  name?: string;
  apiName?: string;
  message?: string;
  type?: string;
  code?: string | number;
  retriable?: boolean;
  originalError?: unknown;
  cause?: unknown;
}

/** The innermost error (kafkajs wraps the real one in `originalError` after its retries). */
function chain(e: unknown): KafkaJsErrorLike[] {
  const out: KafkaJsErrorLike[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 6 && cur !== null && typeof cur === 'object'; i++) {
    const x = cur as KafkaJsErrorLike;
    out.push(x);
    cur = x.originalError ?? x.cause;
  }
  return out;
}

const oneLine = (s: string) => redactSecrets(s).replace(/\s+/g, ' ').trim();

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_NOT_YET_VALID',
]);

export interface KafkaErrorContext {
  /** `host:port` list, for messages. */
  brokers: readonly string[];
  /** What was being done, e.g. `reading t/3`. */
  doing?: string;
  /** TLS and SASL as configured, to tell a protocol mismatch from an outage. */
  tls: boolean;
  sasl: boolean;
}

export function classifyKafkaError(e: unknown, ctx: KafkaErrorContext): ReplayError {
  if (e instanceof ReplayError) return e;
  const errs = chain(e);
  const at = `Kafka source (brokers ${ctx.brokers.join(',')})${ctx.doing ? `, ${ctx.doing}` : ''}`;
  const top = errs[0] ?? {};
  const msg = oneLine(errs.map((x) => x.message ?? '').find(Boolean) ?? String(e));
  const has = (re: RegExp) => errs.some((x) => re.test(`${x.name ?? ''} ${x.type ?? ''} ${x.message ?? ''}`));

  const tlsCode = errs.map((x) => x.code).find((c) => typeof c === 'string' && TLS_CODES.has(c));
  if (tlsCode !== undefined) {
    return new ReplayError(
      ErrorCode.SourceError,
      `${at}: TLS verification failed (${tlsCode}); set source.ssl.ca to the CA that signed the brokers' certificates and check the host names in source.brokers`,
      { cause: e, details: { retryable: false } },
    );
  }
  if (has(/SASLAuthentication|SASL_AUTHENTICATION_FAILED|Authentication failed/i)) {
    return new ConfigError(
      'source.sasl',
      `${at}: SASL authentication failed (${msg}); check source.sasl.mechanism, username and password`,
      { cause: e },
    );
  }
  const saslApi = errs.some(
    (x) => x.name === 'KafkaJSServerDoesNotSupportApiKey' && /^Sasl/.test(x.apiName ?? ''),
  );
  if (saslApi || (ctx.sasl && top.name === 'KafkaJSServerDoesNotSupportApiKey')) {
    return new ConfigError(
      'source.sasl',
      `${at}: the listener does not speak SASL (${msg}); remove source.sasl, or use the brokers' SASL listener in source.brokers`,
      { cause: e },
    );
  }
  if (has(/UNSUPPORTED_SASL_MECHANISM|does not support SASL|SASL mechanism/i)) {
    return new ConfigError(
      'source.sasl',
      `${at}: the brokers do not accept SASL ${ctx.sasl ? 'with this mechanism' : ''} (${msg}); ` +
        'set source.sasl.mechanism to one the listener enables, or remove source.sasl for a listener without SASL',
      { cause: e },
    );
  }
  if (has(/TOPIC_AUTHORIZATION_FAILED|GROUP_AUTHORIZATION_FAILED|CLUSTER_AUTHORIZATION_FAILED/)) {
    return new ConfigError(
      'source.sasl.username',
      `${at}: not authorized (${msg}); grant the user Describe and Read on the topics and Read on groups prefixed "ceptra-replay"`,
      { cause: e },
    );
  }
  const net = errs.map((x) => networkFailure(x)).find((n) => n !== undefined);
  if (net?.unknownHost) {
    return new ConfigError(
      'source.brokers',
      `${at}: a broker host name does not resolve (${net.code}); check the hosts in source.brokers (or DNS from this host)`,
      { cause: e },
    );
  }
  // TLS spoken to a plaintext listener: the socket closes mid-handshake; plaintext to a TLS
  // listener: the broker drops the connection or the answer does not parse.
  if (
    ctx.tls &&
    has(/before secure TLS connection|wrong version number|EPROTO|ssl3_get_record|packet length too long/i)
  ) {
    return new ConfigError(
      'source.ssl',
      `${at}: the TLS handshake failed (${msg}); the listener may not use TLS: set source.ssl to false, or use the brokers' TLS port`,
      { cause: e },
    );
  }
  if (ctx.tls && net?.code === 'ECONNRESET') {
    return new ReplayError(
      ErrorCode.SourceError,
      `${at}: the connection was reset during the TLS handshake (${net.code}); if the listener does not use TLS, set source.ssl to false or use the brokers' TLS port; otherwise check that the brokers are up, then run again`,
      { canRetry: true, cause: e, details: { retryable: true, kafka: top.name } },
    );
  }
  if (
    net ||
    has(
      /KafkaJSConnection|KafkaJSRequestTimeout|KafkaJSNumberOfRetriesExceeded|KafkaJSNoBrokerAvailable|LEADER_NOT_AVAILABLE|NOT_LEADER|KafkaJSBrokerNotFound|Closed connection/i,
    )
  ) {
    const tlsHint = ctx.tls
      ? ''
      : ' (a TLS-only listener also drops a plaintext client: then set source.ssl)';
    return new ReplayError(
      ErrorCode.SourceError,
      `${at}: ${net ? `${net.what} (${net.code})` : msg}; check that the brokers are up and reachable from this host${tlsHint}, then run again`,
      { canRetry: true, cause: e, details: { retryable: true, kafka: top.name } },
    );
  }
  return new ReplayError(ErrorCode.SourceError, `${at}: ${msg}`, {
    canRetry: top.retriable === true,
    cause: e,
    details: { kafka: top.name, type: top.type },
  });
}

/** A topic the cluster does not list. */
export function missingTopics(topics: readonly string[], known: ReadonlySet<string>): ConfigError | null {
  const missing = topics.filter((t) => !known.has(t));
  if (missing.length === 0) return null;
  return new ConfigError(
    'source.topics',
    `topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist on the cluster; check the names (they are case-sensitive) or the brokers in source.brokers`,
  );
}
