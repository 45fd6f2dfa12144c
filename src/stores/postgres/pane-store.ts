/**
 * Source-side folds in PostgreSQL: `ceptra_replay.source_pane_blocks` (per job, partition, metric
 * and block of 1,024 consecutive panes, one jsonb object `{"<pane>": canonical state}`) and
 * `ceptra_replay.source_fold_status` (coverage per job and partition). The tables come from the
 * numbered migrations (0004, 0005), applied by the one `migrate()` like the rest of the schema. A
 * `write` is one transaction: a fold and its coverage never disagree after a crash.
 */
import pg from 'pg';
import { ErrorCode, ReplayError } from '../../common/errors.js';
import { pgClientTimeouts } from '../../common/pg-settings.js';
import type { FoldStatus, FoldWrite, PaneStore } from '../../engine/verify/types.js';
import { compareEntries, type PaneEntry } from '../../monoid/index.js';
import { type StatusRow, statusFromRow, statusToRow } from '../shared/fold-status.js';
import { migrate, STATE_SCHEMA } from './migrate.js';
import { PANES_PER_BLOCK } from './migrations/0005_pane_blocks.js';
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
    const { rows } = await this.#pool.query<{ metric: string; states: Record<string, PaneEntry['state']> }>(
      `SELECT metric, states FROM ${S}.source_pane_blocks
        WHERE job = $1 AND partition = $2 AND ($3::numeric IS NULL OR block >= $3::numeric)`,
      [job, partition, fromPane === undefined ? null : blockOf(fromPane).toString()],
    );
    const out: PaneEntry[] = [];
    for (const r of rows) {
      for (const [pane, state] of Object.entries(r.states)) {
        if (fromPane === undefined || BigInt(pane) >= fromPane)
          out.push({ partition, metric: r.metric, pane, state });
      }
    }
    return out.sort(compareEntries);
  }

  async write(job: string, writes: readonly FoldWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.#tx(async (c) => {
      const cleared = writes.filter((w) => w.clear).map((w) => w.status.partition);
      if (cleared.length > 0)
        await c.query(`DELETE FROM ${S}.source_pane_blocks WHERE job = $1 AND partition = ANY($2::int[])`, [
          job,
          cleared,
        ]);
      const blocks = toBlocks(writes.flatMap((w) => w.upsert));
      // Merged into a stored block with `||`: a pane written again replaces its state.
      for (let i = 0; i < blocks.length; i += BLOCKS_PER_STATEMENT) {
        const chunk = blocks.slice(i, i + BLOCKS_PER_STATEMENT);
        await c.query(
          `INSERT INTO ${S}.source_pane_blocks (job, partition, metric, block, states)
           SELECT $1, p, m, b, s FROM unnest($2::int[], $3::text[], $4::numeric[], $5::jsonb[]) AS x(p, m, b, s)
           ON CONFLICT (job, partition, metric, block)
           DO UPDATE SET states = ${S}.source_pane_blocks.states || EXCLUDED.states`,
          [
            job,
            chunk.map((b) => b.partition),
            chunk.map((b) => b.metric),
            chunk.map((b) => b.block.toString()),
            chunk.map((b) => JSON.stringify(b.states)),
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

/** Blocks per upsert statement: up to ~65k panes, one round trip. */
const BLOCKS_PER_STATEMENT = 64;

interface Block {
  partition: number;
  metric: string;
  block: bigint;
  states: Record<string, PaneEntry['state']>;
}

function blockOf(pane: bigint): bigint {
  const q = pane / PANES_PER_BLOCK;
  return pane < 0n && q * PANES_PER_BLOCK !== pane ? q - 1n : q; // floor, as in SQL
}

/** Entries grouped into blocks; consecutive entries of one block (the usual, sorted input) share one lookup. */
function toBlocks(entries: readonly PaneEntry[]): Block[] {
  const byKey = new Map<string, Block>();
  const per = Number(PANES_PER_BLOCK);
  let cur: Block | undefined;
  let curN = Number.NaN;
  for (const e of entries) {
    // Up to 15 characters a pane is exact as a double (snapshot.ts comparePanes); NaN otherwise,
    // which never equals the current block, so a wide pane always takes the exact path.
    const n = e.pane.length <= 15 ? Math.floor(Number(e.pane) / per) : Number.NaN;
    if (cur === undefined || n !== curN || cur.partition !== e.partition || cur.metric !== e.metric) {
      curN = n;
      const block = Number.isNaN(n) ? blockOf(BigInt(e.pane)) : BigInt(n);
      const key = `${e.partition}\u0000${e.metric}\u0000${block}`;
      cur = byKey.get(key);
      if (cur === undefined) {
        cur = { partition: e.partition, metric: e.metric, block, states: {} };
        byKey.set(key, cur);
      }
    }
    cur.states[e.pane] = e.state;
  }
  return [...byKey.values()];
}
