/** Partition ids, row counts (exact or planner estimates), first/last event time, access path. */
import type pg from 'pg';
import type { PartitionInfo, TimeWindow } from '../source.js';
import { describePlan, planOf } from './explain.js';
import { boundsQuery, countQuery, distinctPartitionsQuery, readQuery } from './sql.js';
import type { TableMeta } from './types.js';

export async function partitionIds(
  db: pg.Pool,
  m: TableMeta,
  configured: 'all' | number[],
): Promise<number[]> {
  if (configured !== 'all') return [...configured].sort((a, b) => a - b);
  const { rows } = await db.query<{ v: string }>(distinctPartitionsQuery(m));
  return rows.map((r) => Number(r.v));
}

async function one(
  db: pg.Pool,
  m: TableMeta,
  partition: number,
  w: TimeWindow,
  exact: boolean,
): Promise<PartitionInfo> {
  const b = boundsQuery(m, partition, w);
  const [plan, { rows }] = await Promise.all([
    planOf(db, readQuery(m, partition, null, w, 'inline').text),
    db.query<{ first: string | null; last: string | null }>(b.text, b.values),
  ]);
  const { accessPath } = describePlan(plan);
  const first = rows[0]?.first ?? null;
  const parse = m.eventTime.codec.parse;
  if (first === null) {
    // No row in the window: zero is known exactly, whatever the planner would estimate.
    return { partition, rows: 0, exact: true, firstTsNs: null, lastTsNs: null, accessPath };
  }
  let count: number;
  if (exact) {
    const c = countQuery(m, partition, w);
    count = Number((await db.query<{ n: string }>(c.text, c.values)).rows[0]!.n);
  } else {
    count = Math.round(plan['Plan Rows'] ?? 0);
  }
  return {
    partition,
    rows: count,
    exact,
    firstTsNs: parse(first),
    lastTsNs: parse(rows[0]!.last!),
    accessPath,
  };
}

export async function listPartitions(
  db: pg.Pool,
  m: TableMeta,
  configured: 'all' | number[],
  w: TimeWindow,
  exact: boolean,
): Promise<PartitionInfo[]> {
  const ids = await partitionIds(db, m, configured);
  // The pool bounds how many of these run at once.
  return Promise.all(ids.map((p) => one(db, m, p, w, exact)));
}
