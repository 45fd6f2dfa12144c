/**
 * Dead letters in `ceptra_replay.dead_letters`. A put is one statement (unnest()ed arrays, ids
 * assigned in the given order, `ON CONFLICT (job, dedup_key) DO NOTHING`), so a batch of dead
 * letters is one round trip and one transaction.
 */
import type pg from 'pg';
import type { DeadLetterQuery, DeadLetterRecord, StoredDeadLetter } from '../../engine/cursor.js';
import { deadLetterKey } from '../shared/dead-letter-key.js';
import { stringifyJson } from '../shared/json.js';
import { STATE_SCHEMA } from './migrate.js';

const S = STATE_SCHEMA;

const PUT_SQL = `
INSERT INTO ${S}.dead_letters (job, partition, event_id, ts_ns, reason, key, payload, schema_key, raw, dedup_key)
SELECT $1, p, e, t, r, k, pl, sk, raw, dk
  FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::bytea[], $8::text[], $9::jsonb[], $10::text[])
       WITH ORDINALITY AS x(p, e, t, r, k, pl, sk, raw, dk, ord)
 ORDER BY ord
ON CONFLICT (job, dedup_key) DO NOTHING`;

interface Row {
  id: string;
  job: string;
  partition: number;
  event_id: string | null;
  ts_ns: string | null;
  reason: string;
  key: Buffer | null;
  payload: Buffer | null;
  schema_key: string | null;
  raw: Record<string, string | null> | null;
  created_at: Date;
  retried_at: Date | null;
  retry_outcome: string | null;
}

function fromRow(r: Row): StoredDeadLetter {
  const d: StoredDeadLetter = {
    id: Number(r.id),
    job: r.job,
    partition: r.partition,
    eventId: r.event_id,
    tsNs: r.ts_ns === null ? null : BigInt(r.ts_ns),
    reason: r.reason,
    createdAt: r.created_at,
    retriedAt: r.retried_at,
    retryOutcome: r.retry_outcome,
  };
  if (r.key !== null) d.key = r.key;
  if (r.payload !== null) d.payload = r.payload;
  if (r.schema_key !== null) d.schemaKey = r.schema_key;
  if (r.raw !== null) d.raw = r.raw;
  return d;
}

export async function putDeadLetters(
  db: pg.Pool,
  job: string,
  records: readonly DeadLetterRecord[],
): Promise<number> {
  if (records.length === 0) return 0;
  const res = await db.query(PUT_SQL, [
    job,
    records.map((r) => r.partition),
    records.map((r) => r.eventId),
    records.map((r) => (r.tsNs === null ? null : r.tsNs.toString())),
    records.map((r) => r.reason),
    records.map((r) => r.key ?? null),
    records.map((r) => r.payload ?? null),
    records.map((r) => r.schemaKey ?? null),
    records.map((r) => (r.raw === undefined ? null : stringifyJson(r.raw))),
    records.map(deadLetterKey),
  ]);
  return res.rowCount ?? 0;
}

export async function listDeadLetters(
  db: pg.Pool,
  job: string,
  q: DeadLetterQuery,
): Promise<StoredDeadLetter[]> {
  const values: unknown[] = [job];
  const where = ['job = $1'];
  const add = (cond: (n: string) => string, v: unknown) => {
    values.push(v);
    where.push(cond(`$${values.length}`));
  };
  if (q.partition !== undefined) add((n) => `partition = ${n}`, q.partition);
  if (q.reason !== undefined) add((n) => `reason = ${n}`, q.reason);
  if (q.ids !== undefined) add((n) => `id = ANY(${n}::int8[])`, q.ids.map(String));
  if (q.after !== undefined) add((n) => `id > ${n}`, q.after);
  values.push(Math.max(0, Math.floor(q.limit)));
  const { rows } = await db.query<Row>(
    `SELECT id::text AS id, job, partition, event_id, ts_ns, reason, key, payload, schema_key, raw,
            created_at, retried_at, retry_outcome
       FROM ${S}.dead_letters WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${values.length}`,
    values,
  );
  return rows.map(fromRow);
}

export async function countDeadLetters(db: pg.Pool, job: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${S}.dead_letters WHERE job = $1`,
    [job],
  );
  return Number(rows[0]!.n);
}

export async function markDeadLettersRetried(
  db: pg.Pool,
  job: string,
  ids: readonly number[],
  outcome: string,
): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `UPDATE ${S}.dead_letters SET retried_at = now(), retry_outcome = $3 WHERE job = $1 AND id = ANY($2::int8[])`,
    [job, ids.map(String), outcome],
  );
}
