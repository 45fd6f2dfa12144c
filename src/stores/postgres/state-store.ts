/**
 * Cursor and job state in PostgreSQL (schema `ceptra_replay`). A save is one statement — a
 * data-modifying CTE that upserts every cursor from unnest()ed arrays and inserts the audit
 * rows — so it is one round trip and one implicit transaction however many partitions commit.
 */
import pg from 'pg';
import { ErrorCode, ReplayError } from '../../common/errors.js';
import { classifyPgConnectError, pgConnectFailure } from '../../common/pg-errors.js';
import { pgClientTimeouts } from '../../common/pg-settings.js';
import { displayUrl, redactSecrets } from '../../common/redact.js';
import type {
  AuditRecord,
  Cursor,
  DeadLetterQuery,
  DeadLetterRecord,
  JobRecord,
  JobState,
  RunLock,
  StateStore,
  StoredDeadLetter,
} from '../../engine/cursor.js';
import { cursorRegression } from '../shared/cursor-guard.js';
import { stringifyJson } from '../shared/json.js';
import * as dl from './dead-letters.js';
import { migrate, STATE_SCHEMA } from './migrate.js';
import { defaultPgStateStoreOptions, type PgStateStoreOptions } from './options.js';
import { takePgLock } from './run-lock.js';

const S = STATE_SCHEMA;

/**
 * The cursor fence: `ON CONFLICT … WHERE` re-checks against the locked current row, so even two
 * racing writers cannot move a cursor backwards — a row that would regress is simply not written,
 * and the missing partition in `RETURNING` turns into CURSOR_REGRESSION.
 */
const SAVE_SQL = `
WITH c AS (
  INSERT INTO ${S}.cursors (job, partition, ts_ns, event_id, seq, acked, done, epoch, source_resume, updated_at)
  SELECT $1, p, t, e, s, a, d, ep, r, now()
    FROM unnest($2::int[], $3::numeric[], $4::text[], $5::int8[], $6::int8[], $7::bool[], $8::int[], $12::text[])
      AS x(p, t, e, s, a, d, ep, r)
  ON CONFLICT (job, partition) DO UPDATE SET
    ts_ns = EXCLUDED.ts_ns, event_id = EXCLUDED.event_id, seq = EXCLUDED.seq,
    acked = EXCLUDED.acked, done = EXCLUDED.done, epoch = EXCLUDED.epoch,
    source_resume = EXCLUDED.source_resume, updated_at = EXCLUDED.updated_at
  WHERE (${S}.cursors.epoch, ${S}.cursors.seq) <= (EXCLUDED.epoch, EXCLUDED.seq)
  RETURNING partition
), a AS (
  INSERT INTO ${S}.audit (job, partition, kind, detail)
  SELECT $1, p, k, d FROM unnest($9::int[], $10::text[], $11::jsonb[]) AS y(p, k, d)
  RETURNING 1
)
SELECT array(SELECT partition FROM c) AS written, (SELECT count(*) FROM a)::int AS audit`;

/** Deletes the cursors and moves the job above every epoch it used, in one statement. */
const RESET_SQL = `
WITH d AS (
  DELETE FROM ${S}.cursors WHERE job = $1 RETURNING epoch
), e AS (
  SELECT greatest(coalesce((SELECT max(epoch) FROM d), 0),
                  coalesce((SELECT epoch FROM ${S}.jobs WHERE job = $1), 0)) + 1 AS epoch
), u AS (
  UPDATE ${S}.jobs SET epoch = (SELECT epoch FROM e), updated_at = now() WHERE job = $1 RETURNING 1
)
SELECT epoch, (SELECT count(*) FROM u)::int AS jobs FROM e`;

interface CursorRow {
  partition: number;
  ts_ns: string;
  event_id: string;
  seq: string;
  acked: string;
  done: boolean;
  epoch: number;
  source_resume: string | null;
  updated_at: Date;
}

interface JobRow {
  spec_hash: string;
  state: string;
  epoch: number;
  error: string | null;
  summary: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
}

export class PgStateStore implements StateStore {
  readonly #pool: pg.Pool;
  readonly #options: PgStateStoreOptions;
  readonly #clientConfig: pg.ClientConfig;

  constructor(options: PgStateStoreOptions) {
    this.#options = options;
    this.#clientConfig = pgClientTimeouts({
      connectTimeoutMs: options.connectTimeoutMs ?? defaultPgStateStoreOptions.connectTimeoutMs,
      queryTimeoutMs: options.queryTimeoutMs ?? defaultPgStateStoreOptions.queryTimeoutMs,
    });
    this.#pool = new pg.Pool({
      ...this.#clientConfig,
      connectionString: options.url,
      application_name: 'ceptra-replay state',
      max: options.poolMax ?? defaultPgStateStoreOptions.poolMax,
    });
    // An idle client's error (server restart) must not crash the process; the next query fails.
    this.#pool.on('error', (e) => options.logger?.warn({ err: e }, 'state store: idle connection error'));
    // A checked-out client whose connection dies reports through its query; the event itself
    // only needs a listener, or it would crash the process.
    this.#pool.on('connect', (c) =>
      c.on('error', (e) => options.logger?.debug({ err: e }, 'state store: connection error')),
    );
  }

  #endpoint() {
    return { component: 'state database', field: 'state.url', url: this.#options.url };
  }

  async init(): Promise<void> {
    // Unreachable, wrong credentials: STATE_UNREACHABLE (exit 1, one line naming the state
    // database and its host, never the URL's password); a missing database: ConfigError state.url.
    const endpoint = this.#endpoint();
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      throw classifyPgConnectError(e, endpoint, 'STATE_UNREACHABLE');
    }
    try {
      const applied = await migrate(client);
      if (applied.length) this.#options.logger?.info({ applied }, 'state store: migrations applied');
    } catch (e) {
      throw (
        pgConnectFailure(e, endpoint, 'STATE_UNREACHABLE') ??
        new ReplayError(
          ErrorCode.StateInit,
          `cannot prepare schema ${S} in the state database at ${displayUrl(endpoint.url)}: ${redactSecrets((e as Error).message)}`,
          { cause: e, canRetry: true },
        )
      );
    } finally {
      client.release();
    }
  }

  async load(job: string): Promise<Map<number, Cursor>> {
    const { rows } = await this.#pool.query<CursorRow>(
      `SELECT partition, ts_ns::text AS ts_ns, event_id, seq::text AS seq, acked::text AS acked, done, epoch, source_resume, updated_at
         FROM ${S}.cursors WHERE job = $1 ORDER BY partition`,
      [job],
    );
    const out = new Map<number, Cursor>();
    for (const r of rows) {
      out.set(r.partition, {
        partition: r.partition,
        tsNs: BigInt(r.ts_ns),
        eventId: r.event_id,
        seq: BigInt(r.seq),
        acked: BigInt(r.acked),
        done: r.done,
        epoch: r.epoch,
        ...(r.source_resume === null ? {} : { resume: r.source_resume }),
        updatedAt: r.updated_at,
      });
    }
    return out;
  }

  async save(job: string, cursors: Cursor[], audit: AuditRecord[] = []): Promise<void> {
    if (cursors.length === 0 && audit.length === 0) return;
    // One row per partition (the last wins): ON CONFLICT cannot touch a row twice in one statement.
    const last = new Map<number, Cursor>();
    for (const c of cursors) last.set(c.partition, c);
    const cs = [...last.values()];
    const { rows } = await this.#pool.query<{ written: number[] }>(SAVE_SQL, [
      job,
      cs.map((c) => c.partition),
      cs.map((c) => c.tsNs.toString()),
      cs.map((c) => c.eventId),
      cs.map((c) => c.seq.toString()),
      cs.map((c) => c.acked.toString()),
      cs.map((c) => c.done),
      cs.map((c) => c.epoch),
      audit.map((a) => a.partition ?? null),
      audit.map((a) => a.kind),
      audit.map((a) => stringifyJson(a.detail)),
      cs.map((c) => c.resume ?? null),
    ]);
    const written = new Set(rows[0]!.written);
    const refused = cs.filter((c) => !written.has(c.partition));
    if (refused.length > 0) throw cursorRegression(job, refused);
  }

  async reset(job: string): Promise<number> {
    const { rows } = await this.#pool.query<{ epoch: number }>(RESET_SQL, [job]);
    return rows[0]!.epoch;
  }

  lock(job: string): Promise<RunLock> {
    return takePgLock(job, {
      url: this.#options.url,
      clientConfig: this.#clientConfig,
      classifyConnectError: (e) => classifyPgConnectError(e, this.#endpoint(), 'STATE_UNREACHABLE'),
      ...(this.#options.logger ? { logger: this.#options.logger } : {}),
    });
  }

  async getJob(job: string): Promise<JobRecord | null> {
    const { rows } = await this.#pool.query<JobRow>(
      `SELECT spec_hash, state, epoch, error, summary, created_at, updated_at FROM ${S}.jobs WHERE job = $1`,
      [job],
    );
    const r = rows[0];
    if (!r) return null;
    const rec: JobRecord = {
      specHash: r.spec_hash,
      state: r.state as JobState,
      epoch: r.epoch,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
    if (r.summary !== null) rec.summary = r.summary;
    if (r.error !== null) rec.error = r.error;
    return rec;
  }

  async putJob(job: string, record: JobRecord): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${S}.jobs (job, spec_hash, state, epoch, error, summary, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
       ON CONFLICT (job) DO UPDATE SET spec_hash = EXCLUDED.spec_hash, state = EXCLUDED.state,
         epoch = EXCLUDED.epoch, error = EXCLUDED.error, summary = EXCLUDED.summary,
         created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at`,
      [
        job,
        record.specHash,
        record.state,
        record.epoch,
        record.error ?? null,
        record.summary === undefined ? null : stringifyJson(record.summary),
        record.createdAt,
        record.updatedAt,
      ],
    );
  }

  putDeadLetters(job: string, records: readonly DeadLetterRecord[]): Promise<number> {
    return dl.putDeadLetters(this.#pool, job, records);
  }

  listDeadLetters(job: string, query: DeadLetterQuery): Promise<StoredDeadLetter[]> {
    return dl.listDeadLetters(this.#pool, job, query);
  }

  countDeadLetters(job: string): Promise<number> {
    return dl.countDeadLetters(this.#pool, job);
  }

  markDeadLettersRetried(job: string, ids: readonly number[], outcome: string): Promise<void> {
    return dl.markDeadLettersRetried(this.#pool, job, ids, outcome);
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
