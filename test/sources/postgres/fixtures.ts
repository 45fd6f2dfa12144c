/** Shared helpers for the Postgres source tests: typed tables, bulk inserts, sources, collection. */

import {
  createPostgresSource,
  type PostgresSource,
  type PostgresSourceInput,
} from '../../../src/sources/postgres/index.js';
import type { EventBatch, SourceEvent, TimeWindow } from '../../../src/sources/source.js';
import type { TestDatabase } from '../../helpers/pg.js';

export const ALL: TimeWindow = { startNs: -4_000_000_000_000_000_000n, endNs: 4_000_000_000_000_000_000n };

export interface TableSpec {
  et?: string;
  id?: string;
  key?: string;
  payload?: string;
  index?: boolean;
}

export interface Row {
  part: number;
  et: string;
  id: string;
  key: string;
  payload: string;
}

export async function makeTable(db: TestDatabase, name: string, spec: TableSpec = {}): Promise<void> {
  await db.query(
    `CREATE TABLE ${name} (part int NOT NULL, et ${spec.et ?? 'timestamptz'} NOT NULL, id ${spec.id ?? 'text'} NOT NULL,
       k ${spec.key ?? 'text'}, payload ${spec.payload ?? 'jsonb'}, schema text NOT NULL DEFAULT 'proto:1.0:abc')`,
  );
  if (spec.index ?? true) await db.query(`CREATE INDEX ON ${name} (part, et, id)`);
}

export async function insertRows(db: TestDatabase, name: string, rows: Row[]): Promise<void> {
  const { rows: cols } = await db.query<{ t: string; attname: string }>(
    `SELECT format_type(a.atttypid, a.atttypmod) AS t, a.attname FROM pg_attribute a
      WHERE a.attrelid = $1::regclass AND a.attnum > 0`,
    [name],
  );
  const type: Record<string, string> = Object.fromEntries(cols.map((r) => [r.attname, r.t]));
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    await db.query(
      `INSERT INTO ${name} (part, et, id, k, payload)
       SELECT p, e::${type.et}, i::${type.id}, k::${type.k}, pl::${type.payload}
         FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(p, e, i, k, pl)`,
      [
        chunk.map((r) => r.part),
        chunk.map((r) => r.et),
        chunk.map((r) => r.id),
        chunk.map((r) => r.key),
        chunk.map((r) => r.payload),
      ],
    );
  }
  await db.query(`ANALYZE ${name}`);
}

export function source(
  db: TestDatabase,
  table: string,
  o: Partial<PostgresSourceInput> = {},
): Promise<PostgresSource> {
  return createPostgresSource({
    url: db.url,
    table,
    columns: {
      partition: 'part',
      eventTime: 'et',
      eventId: 'id',
      key: 'k',
      payload: 'payload',
      schemaKey: 'schema',
    },
    partitions: 'all',
    ceptraPartitions: 4,
    poolSize: 4,
    ...o,
  });
}

export async function collect(
  it: AsyncIterable<EventBatch>,
): Promise<{ events: SourceEvent[]; sizes: number[] }> {
  const events: SourceEvent[] = [];
  const sizes: number[] = [];
  for await (const b of it) {
    sizes.push(b.events.length);
    events.push(...b.events);
  }
  return { events, sizes };
}

/** Comparable form of an event (bigint and Buffers as strings). */
export const plain = (e: SourceEvent) => ({
  tsNs: e.tsNs.toString(),
  eventId: e.eventId,
  key: e.key.toString('hex'),
  payload: e.payload.toString('hex'),
  schemaKey: e.schemaKey,
});
