/**
 * Poison rows: NULL id/key/payload/schema key and non-UTF-8 text payloads are not yielded as events
 * but reported in their batch with the reason and every column as text, in source order.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresSource } from '../../../src/sources/postgres/index.js';
import type { EventBatch, PoisonRow, SourceEvent } from '../../../src/sources/source.js';
import { adminUrl, createTestDatabase, type TestDatabase, withDatabase } from '../../helpers/pg.js';
import { ALL, source } from './fixtures.js';

let db: TestDatabase;
const sources: PostgresSource[] = [];
const open = async (table: string, o: Parameters<typeof source>[2] = {}, on = db) => {
  const s = await source(on, table, o);
  sources.push(s);
  return s;
};

beforeAll(async () => {
  db = await createTestDatabase('pgsrc_poison');
  await db.query(
    `CREATE TABLE ev (part int NOT NULL, et timestamptz, id text, k text, payload jsonb, schema text)`,
  );
  await db.query('CREATE INDEX ON ev (part, et, id)');
  // Source order: (et, id) with NULL ids last at equal times.
  await db.query(`INSERT INTO ev VALUES
    (1, '2025-01-01 00:00:01+00', 'a', 'k', '{"n":1}', 's:1'),
    (1, '2025-01-01 00:00:02+00', 'b', NULL, '{"n":2}', 's:1'),
    (1, '2025-01-01 00:00:03+00', 'c', 'k', '{"n":3}', 's:1'),
    (1, '2025-01-01 00:00:03+00', NULL, 'k', '{"n":4}', 's:1'),
    (1, '2025-01-01 00:00:04+00', 'd', 'k', NULL, 's:1'),
    (1, '2025-01-01 00:00:05+00', 'e', 'k', '{"n":6}', NULL),
    (1, '2025-01-01 00:00:06+00', 'f', 'k', '{"n":7}', 's:1'),
    (1, NULL, 'g', 'k', '{"n":8}', 's:1'),
    (1, NULL, 'h', 'k', '{"n":9}', 's:1'),
    (2, NULL, 'i', 'k', '{"n":10}', 's:1')`);
  // Partition 3: NULL ids at the same time as non-NULL ones.
  await db.query(`INSERT INTO ev VALUES (3, '2025-01-01 00:00:03+00', 'x', 'k', '{}', 's'),
    (3, '2025-01-01 00:00:03+00', 'y', 'k', '{}', 's'),
    (3, '2025-01-01 00:00:03+00', NULL, 'k', '{"null":1}', 's'),
    (3, '2025-01-01 00:00:03+00', NULL, 'k', '{"null":2}', 's'),
    (3, '2025-01-01 00:00:04+00', 'z', 'k', '{}', 's'),
    (3, '2025-01-01 00:00:04+00', NULL, 'k', '{"null":3}', 's')`);
  await db.query('ANALYZE ev');
});
afterAll(async () => {
  for (const s of sources) await s.close();
  await db?.drop();
});

async function readAll(it: AsyncIterable<EventBatch>) {
  const batches: EventBatch[] = [];
  for await (const b of it) batches.push(b);
  const events: SourceEvent[] = batches.flatMap((b) => b.events);
  const poison: PoisonRow[] = batches.flatMap((b) => b.poison ?? []);
  // Source order, rebuilt from each poison row's position among its batch's events.
  const order: string[] = [];
  for (const b of batches) {
    const ps = b.poison ?? [];
    let j = 0;
    for (let i = 0; i <= b.events.length; i++) {
      while (j < ps.length && ps[j]!.position === i) order.push(`!${ps[j++]!.reason}`);
      if (i < b.events.length) order.push(b.events[i]!.eventId);
    }
  }
  return { batches, events, poison, order };
}

const T = (s: number) => 1_735_689_600_000_000_000n + BigInt(s) * 1_000_000_000n;

describe.each(['copy', 'cursor'] as const)('poison rows (%s)', (readMethod) => {
  it('reports each kind in its batch, in source order, with the raw row', async () => {
    const s = await open('ev', { readMethod, columns: { ...cols } });
    for (const batchSize of [1, 2, 3, 100]) {
      const r = await readAll(s.read(1, null, ALL, { batchSize }));
      expect(r.events.map((e) => e.eventId)).toEqual(['a', 'c', 'f']);
      expect(r.order).toEqual([
        'a',
        '!NULL_KEY',
        'c',
        '!NULL_EVENT_ID',
        '!NULL_PAYLOAD',
        '!NULL_SCHEMA_KEY',
        'f',
      ]);
      for (const b of r.batches) {
        expect(b.events.length + (b.poison?.length ?? 0)).toBeLessThanOrEqual(batchSize);
        expect(b.partition).toBe(1);
      }
    }
    const { poison } = await readAll(s.read(1, null, ALL, { batchSize: 100 }));
    expect(poison.map(({ key, payload, raw, position: _p, ...p }) => p)).toEqual([
      { reason: 'NULL_KEY', eventId: 'b', tsNs: T(2), partition: 1, schemaKey: 's:1' },
      { reason: 'NULL_EVENT_ID', eventId: null, tsNs: T(3), partition: 1, schemaKey: 's:1' },
      { reason: 'NULL_PAYLOAD', eventId: 'd', tsNs: T(4), partition: 1, schemaKey: 's:1' },
      { reason: 'NULL_SCHEMA_KEY', eventId: 'e', tsNs: T(5), partition: 1 },
    ]);
    expect(poison[0]!.raw).toEqual({
      et: '2025-01-01 00:00:02+00',
      id: 'b',
      k: null,
      payload: '{"n": 2}',
      schema: 's:1',
    });
    expect(poison[1]!.raw).toMatchObject({ id: null, k: 'k', payload: '{"n": 4}' });
    expect(poison[0]!.key).toBeUndefined();
    expect(poison[0]!.payload?.toString()).toBe('{"n": 2}');
    expect(poison[1]!.key?.toString()).toBe('k');
    expect(poison[2]!.payload).toBeUndefined();
  });

  it('a resume at the time of a NULL-id row still reports it once, where it sorts', async () => {
    const s = await open('ev', { readMethod, columns: { ...cols } });
    const fresh = await readAll(s.read(3, null, ALL, { batchSize: 2 }));
    expect(fresh.order).toEqual(['x', 'y', '!NULL_EVENT_ID', '!NULL_EVENT_ID', 'z', '!NULL_EVENT_ID']);
    const resumed = await readAll(s.read(3, { tsNs: T(3), eventId: 'x' }, ALL, { batchSize: 2 }));
    expect(resumed.order).toEqual(['y', '!NULL_EVENT_ID', '!NULL_EVENT_ID', 'z', '!NULL_EVENT_ID']);
    expect(resumed.poison.map((p) => p.raw.payload).sort()).toEqual([
      '{"null": 1}',
      '{"null": 2}',
      '{"null": 3}',
    ]);
    // Resumed after the last non-NULL id at that time: the NULL ids come first, then later rows.
    const tail = await readAll(s.read(3, { tsNs: T(3), eventId: 'y' }, ALL, { batchSize: 5 }));
    expect(tail.order).toEqual(['!NULL_EVENT_ID', '!NULL_EVENT_ID', 'z', '!NULL_EVENT_ID']);
    // A window ending before the resume time reads nothing at all.
    const none = await readAll(
      s.read(3, { tsNs: T(3), eventId: 'y' }, { startNs: 0n, endNs: T(3) }, { batchSize: 5 }),
    );
    expect(none.order).toEqual([]);
  });

  it('counts NULL event times (outside every window) per partition and in total', async () => {
    const s = await open('ev', { readMethod, columns: { ...cols } });
    expect(await s.countNullTimes(1)).toBe(2);
    expect(await s.countNullTimes(2)).toBe(1);
    expect(await s.countNullTimes()).toBe(3);
    expect(await s.countNullTimes(9)).toBe(0);
  });
});

const cols = {
  partition: 'part',
  eventTime: 'et',
  eventId: 'id',
  key: 'k',
  payload: 'payload',
  schemaKey: 'schema',
};

describe('text payloads in a SQL_ASCII database', () => {
  let ascii: TestDatabase;
  let name: string;
  beforeAll(async () => {
    name = `cr_pgsrc_ascii_${Math.random().toString(16).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    try {
      await admin.query(
        `CREATE DATABASE ${name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`,
      );
    } finally {
      await admin.end();
    }
    const url = withDatabase(adminUrl(), name);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(
      'CREATE TABLE tx (part int NOT NULL, et timestamptz NOT NULL, id text, k text, payload text, schema text)',
    );
    await c.query('CREATE INDEX ON tx (part, et, id)');
    // convert_from(…, 'SQL_ASCII') stores the bytes as they are: 0xff 0xfe is not UTF-8.
    await c.query(`INSERT INTO tx VALUES
      (1, '2025-01-01 00:00:01+00', 'ok', 'k', 'caf' || convert_from('\\xc3a9'::bytea, 'SQL_ASCII'), 's'),
      (1, '2025-01-01 00:00:02+00', 'bad', 'k', convert_from('\\x61fffe62'::bytea, 'SQL_ASCII'), 's'),
      (1, '2025-01-01 00:00:03+00', 'ok2', 'k', 'plain', 's')`);
    await c.end();
    ascii = {
      url,
      name,
      query: () => Promise.reject(new Error('unused')),
      drop: async () => {
        const a = new pg.Client({ connectionString: adminUrl() });
        await a.connect();
        try {
          await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await a.end();
        }
      },
    };
  });
  afterAll(async () => {
    for (const s of sources.splice(0)) await s.close();
    await ascii?.drop();
  });

  it('copy: a payload that is not UTF-8 is poison with its bytes in hex; UTF-8 text passes', async () => {
    const s = await open('tx', { readMethod: 'copy', columns: { ...cols } }, ascii);
    const r = await readAll(s.read(1, null, ALL, { batchSize: 10 }));
    expect(r.order).toEqual(['ok', '!PAYLOAD_NOT_UTF8', 'ok2']);
    expect(r.events[0]!.payload.toString('utf8')).toBe('café');
    expect(r.poison[0]).toMatchObject({
      eventId: 'bad',
      tsNs: T(2),
      raw: { payload: '\\x61fffe62', id: 'bad' },
    });
    expect(r.poison[0]!.payload).toBeUndefined();
  });

  it('cursor: refused with a message naming source.read_method (it would decode lossily)', async () => {
    await expect(open('tx', { readMethod: 'cursor', columns: { ...cols } }, ascii)).rejects.toThrow(
      /source\.read_method: .*SQL_ASCII.*copy/,
    );
  });
});
