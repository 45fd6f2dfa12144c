/**
 * Connection settings every Postgres client of the project uses, so a database that stops
 * answering (blackholed, not refusing) fails a call within bounded time instead of hanging a
 * cursor commit or the shutdown forever:
 * - `connectionTimeoutMillis`: a connect that gets no answer fails;
 * - TCP keep-alive: a dead peer under an idle or streaming connection is noticed by the kernel;
 * - `query_timeout` (client side; pg-pool then discards the connection) and `statement_timeout`
 *   (server side) for short queries. Long streaming reads (COPY of a partition) must not carry
 *   them, so they are optional.
 */
export interface PgTimeouts {
  connectTimeoutMs: number;
  /** Bound on one short query; omit for connections that stream long reads. */
  queryTimeoutMs?: number;
  keepAliveInitialDelayMs?: number;
}

export interface PgTimeoutConfig {
  connectionTimeoutMillis: number;
  keepAlive: true;
  keepAliveInitialDelayMillis: number;
  query_timeout?: number;
  statement_timeout?: number;
}

export function pgClientTimeouts(t: PgTimeouts): PgTimeoutConfig {
  return {
    connectionTimeoutMillis: t.connectTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: t.keepAliveInitialDelayMs ?? 10_000,
    ...(t.queryTimeoutMs !== undefined
      ? { query_timeout: t.queryTimeoutMs, statement_timeout: t.queryTimeoutMs }
      : {}),
  };
}
