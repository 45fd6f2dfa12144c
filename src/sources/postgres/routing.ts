/**
 * Routing check: does each row's stored partition equal CEPtra's FNV-1a-64(key bytes) mod N?
 * FNV cannot be computed portably in SQL, so (partition, key, event_id) rows are streamed with
 * COPY and hashed in JS: one pass, constant memory, optionally capped by `sampleLimit` rows.
 */
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { partitionForKey } from '../../common/fnv.js';
import type { TimeWindow } from '../source.js';
import { CopyTextSplitter } from './copy-text.js';
import { classifyPgError } from './errors.js';
import { routingQuery } from './sql.js';
import type { TableMeta } from './types.js';

export interface RoutingExample {
  partition: number;
  expected: number;
  eventId: string;
  /** Text keys as stored; bytea keys in Postgres hex form (`\x…`). */
  key: string;
}

export interface RoutingReport {
  mismatched: number;
  checked: number;
  /** The first 10 mismatches. */
  examples: RoutingExample[];
}

const EMPTY = Buffer.alloc(0);

export async function checkRouting(
  db: pg.Pool,
  m: TableMeta,
  partitions: 'all' | number[],
  n: number,
  w: TimeWindow,
  sampleLimit: number | undefined,
): Promise<RoutingReport> {
  const report: RoutingReport = { mismatched: 0, checked: 0, examples: [] };
  const bytea = m.key.kind === 'bytea';
  const splitter = new CopyTextSplitter(3);
  const onRow = (row: (Buffer | null)[]) => {
    const part = Number(row[0]!.toString('latin1'));
    const f = row[1] ?? null;
    const key = f === null ? EMPTY : bytea ? Buffer.from(f.toString('latin1', 2), 'hex') : f;
    report.checked++;
    const expected = partitionForKey(key, n);
    if (expected === part) return;
    report.mismatched++;
    if (report.examples.length < 10) {
      const shown = f === null ? '' : f.toString('utf8');
      report.examples.push({
        partition: part,
        expected,
        eventId: row[2]?.toString('utf8') ?? '',
        key: shown,
      });
    }
  };
  const client = await db.connect().catch((e: unknown) => {
    throw classifyPgError(e);
  });
  let ok = false;
  try {
    const stream = client.query(copyStreams.to(routingQuery(m, partitions, w, sampleLimit)));
    for await (const chunk of stream) splitter.push(chunk as Buffer, onRow);
    splitter.finish();
    ok = true;
  } catch (e) {
    throw classifyPgError(e);
  } finally {
    client.release(!ok);
  }
  return report;
}
