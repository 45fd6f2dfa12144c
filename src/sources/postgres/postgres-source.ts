/**
 * The PostgreSQL implementation of the Source port, plus the planner's checks (EXPLAIN, routing).
 * One pg.Pool per source: each partition reader holds one client for its whole scan; catalog and
 * planning queries borrow clients briefly.
 */
import pg from 'pg';
import { ConfigError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { silentLogger } from '../../common/logger.js';
import type {
  EventBatch,
  PartitionInfo,
  ReadOptions,
  Source,
  SourcePosition,
  TimeWindow,
} from '../source.js';
import { rowDecoder } from './decode.js';
import { classifyPgError, pgConnectFailure } from './errors.js';
import { type ExplainReport, explainRead } from './explain.js';
import { introspect } from './introspect.js';
import { type PostgresSourceInput, type PostgresSourceOptions, resolvePostgresOptions } from './options.js';
import { listPartitions, partitionIds } from './partitions.js';
import { type ReaderContext, readPartition } from './read.js';
import { checkRouting, type RoutingReport } from './routing.js';
import { nullTimesQuery } from './sql.js';
import type { TableMeta } from './types.js';

export interface PostgresSourceDeps {
  logger?: Logger;
}

/**
 * Session settings of every pooled connection. TimeZone/DateStyle fix the text form of timestamps
 * that time.ts parses; enable_sort=off makes the planner walk the composite index in order
 * whenever one exists (a sorted read of a big partition would wait for the whole sort before the
 * first row), so a Sort left in a plan really means "no usable index".
 */
const sessionOptions =
  '-c TimeZone=UTC -c DateStyle=ISO,YMD -c enable_sort=off -c enable_incremental_sort=off';

export class PostgresSource implements Source {
  private closed = false;
  private readonly ctx: ReaderContext;

  constructor(
    readonly options: Readonly<PostgresSourceOptions>,
    readonly meta: TableMeta,
    /** Exposed for stats and leak checks (`totalCount`, `idleCount`). */
    readonly pool: pg.Pool,
    private readonly logger: Logger,
  ) {
    this.ctx = {
      pool,
      meta,
      decoder: rowDecoder(meta, meta.sqlAscii),
      method: options.readMethod,
      fetchRows: options.fetchRows,
    };
  }

  async partitions(window: TimeWindow, opts: { exact?: boolean } = {}): Promise<PartitionInfo[]> {
    try {
      return await listPartitions(this.pool, this.meta, this.options.partitions, window, opts.exact ?? false);
    } catch (e) {
      throw classifyPgError(e);
    }
  }

  read(
    partition: number,
    from: SourcePosition | null,
    window: TimeWindow,
    opts: ReadOptions,
  ): AsyncIterable<EventBatch> {
    this.logger.debug(
      { partition, from: from && { tsNs: String(from.tsNs), eventId: from.eventId } },
      'pg read',
    );
    return readPartition(this.ctx, partition, from, window, opts);
  }

  /** EXPLAIN the partition's keyset read; throws ConfigError with the CREATE INDEX to run on a Sort. */
  async explain(partition: number, window: TimeWindow): Promise<ExplainReport> {
    try {
      return await explainRead(this.pool, this.meta, partition, window, this.options.allowSort);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw classifyPgError(e);
    }
  }

  /**
   * Rows whose event time is NULL: outside every window, so no read returns them; `plan` reports
   * the count so they are not lost silently. Zero without a query when the column is NOT NULL;
   * otherwise one index range per partition (the composite index keeps NULL times together).
   */
  async countNullTimes(partition?: number): Promise<number> {
    if (this.meta.eventTime.notNull) return 0;
    try {
      const ids =
        partition === undefined
          ? await partitionIds(this.pool, this.meta, this.options.partitions)
          : [partition];
      const counts = await Promise.all(
        ids.map(async (p) =>
          Number((await this.pool.query<{ n: string }>(nullTimesQuery(this.meta, p))).rows[0]!.n),
        ),
      );
      return counts.reduce((a, b) => a + b, 0);
    } catch (e) {
      throw classifyPgError(e);
    }
  }

  /** Rows whose stored partition is not FNV-1a-64(key) mod ceptraPartitions. Reports only. */
  checkRouting(window: TimeWindow, opts: { sampleLimit?: number } = {}): Promise<RoutingReport> {
    return checkRouting(
      this.pool,
      this.meta,
      this.options.partitions,
      this.options.ceptraPartitions,
      window,
      opts.sampleLimit,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** Connects, introspects the table and returns a ready source (ConfigError on unusable config). */
export async function createPostgresSource(
  input: PostgresSourceInput,
  deps: PostgresSourceDeps = {},
): Promise<PostgresSource> {
  const options = resolvePostgresOptions(input);
  const logger = (deps.logger ?? silentLogger()).child({ component: 'pg-source' });
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: 'ceptra-replay',
    options: sessionOptions,
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', (e) => logger.warn({ err: e.message }, 'idle Postgres client failed'));
  // A checked-out client whose connection dies (terminated backend, restart) emits 'error' too;
  // the read in progress fails through its stream and is retried from the cursor, so the event
  // itself only needs a listener (without one it would crash the process).
  pool.on('connect', (client) =>
    client.on('error', (e) => logger.debug({ err: e.message }, 'Postgres client failed')),
  );
  try {
    const meta = await introspect(pool, options);
    logger.info({ table: meta.quoted, listPartitioned: meta.listPartitioned }, 'pg source ready');
    return new PostgresSource(options, meta, pool, logger);
  } catch (e) {
    await pool.end().catch(() => undefined);
    if (e instanceof ConfigError) throw e;
    // Connecting failed (outage, credentials, missing database) or a catalog query did.
    const endpoint = { component: 'source database', field: 'source.url', url: options.url };
    throw pgConnectFailure(e, endpoint, 'SOURCE_ERROR') ?? classifyPgError(e);
  }
}
