/**
 * Source-side folds in PostgreSQL: `ceptra_replay.source_panes` (one row per job, partition,
 * metric and pane, the reducer's canonical state as jsonb) and `ceptra_replay.source_fold_status`
 * (coverage per job and partition). Tables are created here, idempotently, under a
 * transaction-scoped advisory lock of their own (the state store's migrations are left alone).
 * A `write` is one transaction: a fold and its coverage never disagree after a crash.
 */
import pg from 'pg';
import { ReplayError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { PaneEntry } from '../../monoid/index.js';
import {
  type FoldStatus,
  type FoldWrite,
  type PaneStore,
  type StatusRow,
  statusFromRow,
  statusToRow,
} from './types.js';

const S = 'ceptra_replay';
/** pg_advisory_xact_lock key of the pane tables ('crpn'); the migrations use 'crrp'. */
export const PANE_TABLES_LOCK_KEY = 0x6372706e;

const DDL = `
CREATE TABLE IF NOT EXISTS ${S}.source_panes (
  job text NOT NULL, partition int NOT NULL, metric text NOT NULL, pane numeric NOT NULL,
  state jsonb NOT NULL,
  PRIMARY KEY (job, partition, metric, pane));
CREATE TABLE IF NOT EXISTS ${S}.source_fold_status (
  job text NOT NULL, partition int NOT NULL, complete bool NOT NULL,
  covered_to_ts_ns text, covered_seq text, pane_ns text NOT NULL, metrics jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, partition));`;

export class PgPaneStore implements PaneStore {
  readonly #pool: pg.Pool;

  constructor(url: string, logger?: Logger) {
    this.#pool = new pg.Pool({ connectionString: url, max: 2 });
    this.#pool.on('error', (e) => logger?.warn({ err: e }, 'pane store: idle connection error'));
    this.#pool.on('connect', (c) =>
      c.on('error', (e) => logger?.debug({ err: e }, 'pane store: connection error')),
    );
  }

  async init(): Promise<void> {
    await this.#tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [PANE_TABLES_LOCK_KEY]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${S}`);
      await c.query(DDL);
    }, 'create the pane tables');
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
      `SELECT metric, pane::text AS pane, state FROM ${S}.source_panes
        WHERE job = $1 AND partition = $2 AND ($3::numeric IS NULL OR pane >= $3::numeric)
        ORDER BY metric COLLATE "C", pane`,
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

  async #tx(fn: (c: pg.PoolClient) => Promise<void>, what: string): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      throw new ReplayError(
        'STATE_UNAVAILABLE',
        `pane store: cannot connect to ${what}: ${(e as Error).message}`,
        {
          canRetry: true,
          cause: e,
        },
      );
    }
    try {
      await client.query('BEGIN');
      await fn(client);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new ReplayError('STATE_WRITE', `pane store: could not ${what}: ${(e as Error).message}`, {
        cause: e,
      });
    } finally {
      client.release();
    }
  }
}
