/**
 * EXPLAIN of the keyset read: does Postgres walk an index in (partition, event_time, event_id)
 * order, or read and sort? A sort of a big partition means a long wait before the first row and
 * spilled temp files, so it is refused with the exact index to create (unless `allowSort`).
 * Reader sessions run with enable_sort=off, so a Sort in this plan means no usable index exists.
 */
import type pg from 'pg';
import { ConfigError } from '../../common/errors.js';
import type { TimeWindow } from '../source.js';
import { minimalId, readQuery } from './sql.js';
import type { TableMeta } from './types.js';

export interface ExplainReport {
  partition: number;
  /** e.g. "Index Scan using events_part_event_time_event_id_idx", or "Seq Scan + Sort". */
  accessPath: string;
  indexName: string | null;
  /** The plan sorts instead of walking an index in order. */
  sorted: boolean;
  estimatedRows: number;
  /** LIST-partitioned by the partition column (each partition in its own heap). */
  listPartitioned: boolean;
  /** Advice for `plan` output, or null when there is nothing to say. */
  note: string | null;
  /** The statement that creates the index the keyset scan needs. */
  createIndex: string;
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Plan Rows'?: number;
  Plans?: PlanNode[];
}

function walk(n: PlanNode, out: PlanNode[]): PlanNode[] {
  out.push(n);
  for (const c of n.Plans ?? []) walk(c, out);
  return out;
}

export function createIndexStatement(m: TableMeta): string {
  const name = `${m.relname}_${m.partition.name}_${m.eventTime.name}_${m.eventId.name}_idx`
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 63);
  return `CREATE INDEX CONCURRENTLY ${name} ON ${m.quoted} (${m.partition.quoted}, ${m.eventTime.quoted}, ${m.eventId.quoted});`;
}

export function heapNote(m: TableMeta): string | null {
  if (m.listPartitioned) return null;
  if (m.relkind === 'v' || m.relkind === 'm' || m.relkind === 'f') {
    return `${m.quoted} is a view or foreign table: cannot tell whether partitions share one heap; a table LIST-partitioned by ${m.partition.quoted} reads each partition ~5× faster than a mixed heap.`;
  }
  return `${m.quoted} is not LIST-partitioned by ${m.partition.quoted}: all partitions share one heap, so each partition read visits pages full of other partitions' rows (measured ~5× slower per partition). For large replays consider PARTITION BY LIST (${m.partition.quoted}).`;
}

export async function planOf(db: pg.Pool, sql: string): Promise<PlanNode> {
  const { rows } = await db.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (FORMAT JSON) ${sql}`);
  return rows[0]!['QUERY PLAN'][0]!.Plan;
}

export function describePlan(plan: PlanNode): {
  accessPath: string;
  indexName: string | null;
  sorted: boolean;
} {
  const nodes = walk(plan, []);
  const sorted = nodes.some((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Incremental Sort');
  const idx = nodes.find((n) => n['Index Name'] !== undefined);
  const scans = nodes.filter((n) => /Scan$/.test(n['Node Type'])).map((n) => n['Node Type']);
  const accessPath = idx
    ? `${idx['Node Type']} using ${idx['Index Name']}${sorted ? ' + Sort' : ''}`
    : `${[...new Set(scans)].join(' + ') || plan['Node Type']}${sorted ? ' + Sort' : ''}`;
  return { accessPath, indexName: idx?.['Index Name'] ?? null, sorted };
}

export async function explainRead(
  db: pg.Pool,
  m: TableMeta,
  partition: number,
  window: TimeWindow,
  allowSort: boolean,
): Promise<ExplainReport> {
  // The resume form with representative values: the plan every (re)started reader runs.
  const q = readQuery(m, partition, { tsNs: window.startNs, eventId: minimalId(m) }, window, 'inline');
  const plan = await planOf(db, q.text);
  const d = describePlan(plan);
  const createIndex = createIndexStatement(m);
  if (d.sorted && !allowSort) {
    throw new ConfigError(
      'source.table',
      `reading partition ${partition} of ${m.quoted} in (${m.eventTime.name}, ${m.eventId.name}) order needs a sort ` +
        `(${d.accessPath}) because no index serves it. Run: ${createIndex} ` +
        '(or set source.allow_sort for a small table).',
    );
  }
  return {
    partition,
    ...d,
    estimatedRows: Math.round(plan['Plan Rows'] ?? 0),
    listPartitioned: m.listPartitioned,
    note: heapNote(m),
    createIndex,
  };
}
