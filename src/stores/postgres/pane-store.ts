/**
 * Source-side folds in PostgreSQL: `ceptra_replay.source_panes` (one row per job, partition,
 * metric and pane, the reducer's canonical state as jsonb) and `ceptra_replay.source_fold_status`
 * (coverage per job and partition). The tables come from migration 0004, applied by the one
 * `migrate()` like the rest of the schema. A `write` is one transaction: a fold and its coverage
 * never disagree after a crash.
 */
import pg from 'pg';
import { ErrorCode, ReplayError } from '../../common/errors.js';
import { pgClientTimeouts } from '../../common/pg-settings.js';
import type { FoldStatus, FoldWrite, PaneStore } from '../../engine/verify/types.js';
import type { PaneEntry } from '../../monoid/index.js';
import { type StatusRow, statusFromRow, statusToRow } from '../shared/fold-status.js';
import { migrate, STATE_SCHEMA } from './migrate.js';
import { defaultPgPaneStoreOptions, type PgPaneStoreOptions } from './options.js';

const S = STATE_SCHEMA;

export class PgPaneStore implements PaneStore {
  readonly #pool: pg.Pool;

  constructor(options: PgPaneStoreOptions) {
    const { logger } = options;
    this.#pool = new pg.Pool({
      ...pgClientTimeouts({
        connectTimeoutMs: options.connectTimeoutMs ?? defaultPgPaneStoreOptions.connectTimeoutMs,
        queryTimeoutMs: options.queryTimeoutMs ?? defaultPgPaneStoreOptions.queryTimeoutMs,
      }),
      connectionString: options.url,
      application_name: 'ceptra-replay panes',
      max: options.poolMax ?? defaultPgPaneStoreOptions.poolMax,
    });
    this.#pool.on('error', (e) => logger?.warn({ err: e }, 'pane store: idle connection error'));
    this.#pool.on('connect', (c) =>
      c.on('error', (e) => logger?.debug({ err: e }, 'pane store: connection error')),
    );
  }

  /** Applies the schema's pending migrations (0004 holds the pane tables); idempotent, concurrent-safe. */
  async init(): Promise<void> {
    await this.#withClient((c) => migrate(c).then(() => undefined), 'create the pane tables');
  }

  async statuses(job: string): Promise<Map<number, FoldStatus>> {
    const { rows } = await this.#pool.query<StatusRow>(
      `SELECT partition, complete, covered_to_ts_ns, covered_seq, pane_ns, metrics
         FROM ${S}.source_fold_status WHERE job = $1`,
      [job],
    );
    return new Map(rows.map((r) => [r.partition, statusFromRow(r)]));
  }

  async entries(job: string, partition: number, fromPane?: bigint): Promise<PaneEntry[]> {
    const { rows } = await this.#pool.query<{ metric: string; pane: string; state: PaneEntry['state'] }>(
      // `sp.pane`, qualified: a bare `pane` in ORDER BY names the text output column (9 > 10).
      `SELECT sp.metric, sp.pane::text AS pane, sp.state FROM ${S}.source_panes sp
        WHERE sp.job = $1 AND sp.partition = $2 AND ($3::numeric IS NULL OR sp.pane >= $3::numeric)
        ORDER BY sp.metric COLLATE "C", sp.pane`,
      [job, partition, fromPane === undefined ? null : fromPane.toString()],
    );
    return rows.map((r) => ({ partition, metric: r.metric, pane: r.pane, state: r.state }));
  }

  async write(job: string, writes: readonly FoldWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.#tx(async (c) => {
      const cleared = writes.filter((w) => w.clear).map((w) => w.status.partition);
      if (cleared.length > 0)
        await c.query(`DELETE FROM ${S}.source_panes WHERE job = $1 AND partition = ANY($2::int[])`, [
          job,
          cleared,
        ]);
      const ups = writes.flatMap((w) => w.upsert);
      // One statement per 5,000 panes: unnest() arrays keep it one round trip per chunk.
      for (let i = 0; i < ups.length; i += 5000) {
        const chunk = ups.slice(i, i + 5000);
        await c.query(
          `INSERT INTO ${S}.source_panes (job, partition, metric, pane, state)
           SELECT $1, p, m, n, s FROM unnest($2::int[], $3::text[], $4::numeric[], $5::jsonb[]) AS x(p, m, n, s)
           ON CONFLICT (job, partition, metric, pane) DO UPDATE SET state = EXCLUDED.state`,
          [
            job,
            chunk.map((e) => e.partition),
            chunk.map((e) => e.metric),
            chunk.map((e) => e.pane),
            chunk.map((e) => JSON.stringify(e.state)),
          ],
        );
      }
      const st = writes.map((w) => statusToRow(w.status));
      await c.query(
        `INSERT INTO ${S}.source_fold_status (job, partition, complete, covered_to_ts_ns, covered_seq, pane_ns, metrics, updated_at)
         SELECT $1, p, c, t, q, n, m, now()
           FROM unnest($2::int[], $3::bool[], $4::text[], $5::text[], $6::text[], $7::jsonb[]) AS x(p, c, t, q, n, m)
         ON CONFLICT (job, partition) DO UPDATE SET complete = EXCLUDED.complete,
           covered_to_ts_ns = EXCLUDED.covered_to_ts_ns, covered_seq = EXCLUDED.covered_seq,
           pane_ns = EXCLUDED.pane_ns, metrics = EXCLUDED.metrics, updated_at = now()`,
        [
          job,
          st.map((s) => s.partition),
          st.map((s) => s.complete),
          st.map((s) => s.covered_to_ts_ns),
          st.map((s) => s.covered_seq),
          st.map((s) => s.pane_ns),
          st.map((s) => JSON.stringify(s.metrics)),
        ],
      );
    }, 'store the source-side fold');
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  #tx(fn: (c: pg.PoolClient) => Promise<void>, what: string): Promise<void> {
    return this.#withClient(async (client) => {
      await client.query('BEGIN');
      try {
        await fn(client);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    }, what);
  }

  /** One pooled client for `fn`; a failed connect is STATE_UNAVAILABLE, a failure of `fn` STATE_WRITE. */
  async #withClient(fn: (c: pg.PoolClient) => Promise<void>, what: string): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      throw new ReplayError(
        ErrorCode.StateUnavailable,
        `pane store: cannot connect to ${what}: ${(e as Error).message}`,
        {
          canRetry: true,
          cause: e,
        },
      );
    }
    try {
      await fn(client);
    } catch (e) {
      throw new ReplayError(ErrorCode.StateWrite, `pane store: could not ${what}: ${(e as Error).message}`, {
        cause: e,
      });
    } finally {
      client.release();
    }
  }
}
