/** EXPLAIN index check, heap note, routing report and config errors against a real Postgres. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/common/errors.js';
import { partitionForKey } from '../../../src/common/fnv.js';
import type { PostgresSource } from '../../../src/sources/postgres/index.js';
import { boundsQuery } from '../../../src/sources/postgres/sql.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { ALL, insertRows, makeTable, type Row, source } from './fixtures.js';

let db: TestDatabase;
const sources: PostgresSource[] = [];
const open = async (table: string, o: Parameters<typeof source>[2] = {}) => {
  const s = await source(db, table, o);
  sources.push(s);
  return s;
};

const rows = (n: number, part: (i: number) => number): Row[] =>
  Array.from({ length: n }, (_, i) => ({
    part: part(i),
    et: `2024-01-01 00:00:${String(i % 60).padStart(2, '0')}+00`,
    id: `e${i}`,
    key: `tenant-${i % 50}`,
    payload: '{}',
  }));

beforeAll(async () => {
  db = await createTestDatabase('pgsrc_plan');
  await makeTable(db, 'noidx', { index: false });
  await insertRows(
    db,
    'noidx',
    rows(2000, (i) => i % 4),
  );
  await db.query('CREATE SCHEMA archive');
  await makeTable(db, 'archive."Mixed Events"', { index: false });
  await insertRows(
    db,
    'archive."Mixed Events"',
    rows(200, (i) => i % 4),
  );
});
afterAll(async () => {
  for (const s of sources) await s.close();
  await db?.drop();
});

describe('window bounds (first/last event time per partition)', () => {
  it('are two index probes, not a sort of the partition by the time as text', async () => {
    // Unaliased, `event_time::text` kept the column's name and ORDER BY sorted by that text: a
    // sequential scan and sort of each partition (~7 s per partition of a 10M-row table at run start).
    await makeTable(db, 'bounds');
    await insertRows(
      db,
      'bounds',
      rows(3000, (i) => i % 2),
    );
    await db.query('ANALYZE bounds');
    const s = await open('bounds');
    const q = boundsQuery(s.meta, 1, ALL);
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${q.text}`, q.values)).rows
      .map((r) => r['QUERY PLAN'])
      .join('\n');
    expect(plan).not.toMatch(/Sort/);
    expect(plan).toMatch(/Index/);
    const info = (await s.partitions(ALL)).find((p) => p.partition === 1)!;
    expect(info.firstTsNs).toBe(BigInt(Date.parse('2024-01-01T00:00:01Z')) * 1_000_000n);
    expect(info.lastTsNs).toBe(BigInt(Date.parse('2024-01-01T00:00:59Z')) * 1_000_000n);
  });
});

describe('explain()', () => {
  it('refuses a table without the index, with the exact CREATE INDEX, then accepts it once created', async () => {
    const s = await open('noidx');
    const err = await s.explain(1, ALL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe('source.table');
    const stmt = 'CREATE INDEX CONCURRENTLY noidx_part_et_id_idx ON public.noidx (part, et, id);';
    expect((err as Error).message).toContain(stmt);

    const lenient = await open('noidx', { allowSort: true });
    expect(await lenient.explain(1, ALL)).toMatchObject({ sorted: true, indexName: null, createIndex: stmt });

    await db.query(stmt);
    await db.query('ANALYZE noidx');
    const r = await s.explain(1, ALL);
    expect(r).toMatchObject({ sorted: false, indexName: 'noidx_part_et_id_idx', listPartitioned: false });
    expect(r.accessPath).toContain('noidx_part_et_id_idx');
    expect(r.note).toMatch(/not LIST-partitioned.*5×/);
  });

  it('quotes schema-qualified mixed-case names', async () => {
    const s = await open('archive."Mixed Events"');
    const err = await s.explain(0, ALL).catch((e: unknown) => e);
    expect((err as Error).message).toContain(
      'CREATE INDEX CONCURRENTLY mixed_events_part_et_id_idx ON archive."Mixed Events" (part, et, id);',
    );
  });

  it('reports no heap note for a table LIST-partitioned by the partition column', async () => {
    await db.query(`CREATE TABLE lp (part int NOT NULL, et timestamptz NOT NULL, id text NOT NULL, k text,
      payload jsonb, schema text NOT NULL DEFAULT 's') PARTITION BY LIST (part)`);
    await db.query('CREATE TABLE lp0 PARTITION OF lp FOR VALUES IN (0)');
    await db.query('CREATE TABLE lp1 PARTITION OF lp FOR VALUES IN (1)');
    await db.query('CREATE INDEX ON lp (part, et, id)');
    await insertRows(
      db,
      'lp',
      rows(100, (i) => i % 2),
    );
    const s = await open('lp');
    const r = await s.explain(1, ALL);
    expect(r).toMatchObject({ sorted: false, listPartitioned: true, note: null });
    expect((await s.partitions(ALL, { exact: true })).map((p) => [p.partition, p.rows])).toEqual([
      [0, 50],
      [1, 50],
    ]);
  });
});

describe('checkRouting()', () => {
  it('reports rows whose stored partition disagrees with FNV-1a-64(key) mod N', async () => {
    await makeTable(db, 'routed');
    const good = Array.from({ length: 300 }, (_, i): Row => {
      const key = `tenant-${i}`;
      return { part: partitionForKey(key, 4), et: '2024-01-01 00:00:00+00', id: `g${i}`, key, payload: '{}' };
    });
    const bad = Array.from({ length: 12 }, (_, i): Row => {
      const key = `bad-${i}`;
      return {
        part: (partitionForKey(key, 4) + 1) % 4,
        et: '2024-01-01 00:00:00+00',
        id: `b${i}`,
        key,
        payload: '{}',
      };
    });
    await insertRows(db, 'routed', [...good, ...bad]);
    const s = await open('routed', { ceptraPartitions: 4 });
    const r = await s.checkRouting(ALL);
    expect(r.checked).toBe(312);
    expect(r.mismatched).toBe(12);
    expect(r.examples).toHaveLength(10);
    for (const ex of r.examples) {
      expect(ex.key).toMatch(/^bad-/);
      expect(ex.expected).toBe(partitionForKey(ex.key, 4));
      expect(ex.partition).toBe((ex.expected + 1) % 4);
      expect(ex.eventId).toMatch(/^b\d+$/);
    }
    expect((await s.checkRouting(ALL, { sampleLimit: 50 })).checked).toBe(50);
    const one = await open('routed', { ceptraPartitions: 4, partitions: [0] });
    const r0 = await one.checkRouting(ALL);
    expect(r0.checked).toBe([...good, ...bad].filter((x) => x.part === 0).length);
  });
});

describe('views', () => {
  it('introspects and reads a view over an indexed table, with a note that the heap is unknown', async () => {
    await db.query('CREATE VIEW routed_v AS SELECT part, et, id, k, payload, schema FROM routed');
    const s = await open('routed_v', { partitions: [1] });
    expect(s.meta.relkind).toBe('v');
    let n = 0;
    for await (const b of s.read(1, null, ALL, { batchSize: 50 })) n += b.events.length;
    const { rows } = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM routed WHERE part = 1');
    expect(n).toBe(Number(rows[0]!.n));
    const r = await s.explain(1, ALL);
    expect(r.sorted).toBe(false);
    expect(r.note).toMatch(/is a view/);
  });
});

describe('config errors', () => {
  const fail = (table: string, o: Parameters<typeof source>[2] = {}) =>
    source(db, table, o).then(
      () => {
        throw new Error('expected a ConfigError');
      },
      (e: unknown) => e as ConfigError,
    );

  it('names the field, the object and the fix', async () => {
    let e = await fail('nope');
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.field).toBe('source.table');
    expect(e.message).toMatch(/"nope" does not exist/);
    expect(e.message).not.toMatch(/\n/); // one paragraph

    e = await fail('noidx', {
      columns: {
        partition: 'part',
        eventTime: 'when',
        eventId: 'id',
        key: 'k',
        payload: 'payload',
        schemaKey: 'schema',
      },
    });
    expect(e.field).toBe('source.columns.event_time');
    expect(e.message).toMatch(
      /column "when" does not exist in public\.noidx.*Set source\.columns\.event_time/,
    );

    await db.query(
      'CREATE TABLE weird (part int, et interval, id text, k text, payload jsonb, schema text, n bigint, f float8)',
    );
    e = await fail('weird');
    expect(e.field).toBe('source.columns.event_time');
    expect(e.message).toMatch(/has type interval.*Supported: timestamptz/);

    const cols = {
      partition: 'part',
      eventTime: 'n',
      eventId: 'id',
      key: 'k',
      payload: 'payload',
      schemaKey: 'schema',
    };
    e = await fail('weird', { columns: cols });
    expect(e.field).toBe('source.event_time_unit');
    expect(e.message).toMatch(/source\.columns\.event_time.*bigint epoch/);

    e = await fail('weird', { columns: { ...cols, eventTime: 'n', payload: 'f' }, eventTimeUnit: 'ms' });
    expect(e.field).toBe('source.columns.payload');
    expect(e.message).toMatch(/double precision/);

    e = await fail('weird', { columns: { ...cols, eventId: 'et' }, eventTimeUnit: 'ms' });
    expect(e.field).toBe('source.columns.event_id');
  });
});
