/** Every supported column type: exact µs/ns time, id text forms, payload/key bytes as stored. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresSource } from '../../../src/sources/postgres/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { ALL, collect, insertRows, makeTable, plain, type Row, source } from './fixtures.js';

let db: TestDatabase;
const sources: PostgresSource[] = [];
const open = async (table: string, o: Parameters<typeof source>[2] = {}) => {
  const s = await source(db, table, o);
  sources.push(s);
  return s;
};

beforeAll(async () => {
  db = await createTestDatabase('pgsrc_types');
});
afterAll(async () => {
  for (const s of sources) await s.close();
  await db?.drop();
});

const row = (et: string, id: string, payload = '{"a":1}', key = 'k'): Row => ({
  part: 1,
  et,
  id,
  key,
  payload,
});
const methods = ['copy', 'cursor'] as const;

describe('event_time types keep full precision', () => {
  const stamps = [
    ['1969-12-31 23:59:59.999999+00', -1_000n],
    ['1900-02-28 01:02:03.000001+00', -2_203_973_877_000_000_000n + 1_000n],
    ['2024-02-29 12:34:56.123456+00', 1_709_210_096_123_456_000n],
    ['2024-02-29 12:34:56.123457+00', 1_709_210_096_123_457_000n],
  ] as const;

  it.each(['timestamptz', 'timestamp'])(
    '%s (timestamp read as UTC), both methods, resume at µs',
    async (type) => {
      await makeTable(db, `t_${type}`, { et: type });
      await insertRows(
        db,
        `t_${type}`,
        stamps.map(([t], i) => row(type === 'timestamp' ? t.replace('+00', '') : t, `e${i}`)),
      );
      for (const readMethod of methods) {
        const s = await open(`t_${type}`, { readMethod });
        const got = (await collect(s.read(1, null, ALL, { batchSize: 10 }))).events.map((e) => e.tsNs);
        expect(got).toEqual(stamps.map(([, ns]) => ns).sort((a, b) => (a < b ? -1 : 1)));
        // resume after the first of two events one microsecond apart
        const rest = await collect(
          s.read(1, { tsNs: 1_709_210_096_123_456_000n, eventId: 'e2' }, ALL, { batchSize: 10 }),
        );
        expect(rest.events.map((e) => e.tsNs)).toEqual([1_709_210_096_123_457_000n]);
        const info = await s.partitions(ALL, { exact: true });
        expect(info[0]).toMatchObject({ rows: 4, firstTsNs: -2_203_973_877_000_000_000n + 1_000n });
      }
    },
  );

  it.each([
    ['s', 'bigint', 1_700_000_000n, 1_000_000_000n],
    ['ms', 'bigint', 1_700_000_000_123n, 1_000_000n],
    ['us', 'integer', -5_000_001n, 1_000n],
    ['ns', 'bigint', 1_700_000_000_123_456_789n, 1n],
    ['ms', 'numeric', 1_700_000_000_123n, 1_000_000n],
  ] as const)('%s epoch in %s', async (unit, type, v, f) => {
    const t = `t_${unit}_${type}`;
    await makeTable(db, t, { et: type });
    await insertRows(db, t, [row(String(v), 'a'), row(String(v), 'b'), row(String(v + 1n), 'a')]);
    for (const readMethod of methods) {
      const s = await open(t, { readMethod, eventTimeUnit: unit });
      const all = (await collect(s.read(1, null, ALL, { batchSize: 2 }))).events;
      expect(all.map((e) => [e.tsNs, e.eventId])).toEqual([
        [v * f, 'a'],
        [v * f, 'b'],
        [(v + 1n) * f, 'a'],
      ]);
      const rest = await collect(s.read(1, { tsNs: v * f, eventId: 'a' }, ALL, { batchSize: 2 }));
      expect(rest.events.map((e) => e.eventId)).toEqual(['b', 'a']);
      const win = await collect(
        s.read(1, null, { startNs: (v + 1n) * f, endNs: (v + 2n) * f }, { batchSize: 2 }),
      );
      expect(win.events).toHaveLength(1);
    }
  });

  it('numeric epoch with a fraction', async () => {
    await makeTable(db, 't_frac', { et: 'numeric' });
    await insertRows(db, 't_frac', [row('-1.5', 'a'), row('1700000000.123456789', 'b')]);
    const s = await open('t_frac', { eventTimeUnit: 's' });
    const got = (await collect(s.read(1, null, ALL, { batchSize: 5 }))).events.map((e) => e.tsNs);
    expect(got).toEqual([-1_500_000_000n, 1_700_000_000_123_456_789n]);
    const rest = await collect(s.read(1, { tsNs: -1_500_000_000n, eventId: 'a' }, ALL, { batchSize: 5 }));
    expect(rest.events.map((e) => e.eventId)).toEqual(['b']);
  });
});

describe('event_id types', () => {
  it.each([
    ['text', ['b', 'a', 'B', 'a b\tc', 'é']],
    [
      'uuid',
      [
        '00000000-0000-0000-0000-00000000000a',
        'ffffffff-0000-0000-0000-000000000000',
        '7f000000-0000-0000-0000-000000000001',
      ],
    ],
    ['bigint', ['10', '2', '-3', '9223372036854775807']],
  ] as const)('%s ids ordered natively and sent as text', async (type, ids) => {
    const t = `id_${type}`;
    await makeTable(db, t, { id: type });
    await insertRows(
      db,
      t,
      ids.map((id) => row('2024-01-01 00:00:00+00', id)),
    );
    const { rows } = await db.query<{ id: string }>(`SELECT id::text AS id FROM ${t} ORDER BY ${t}.id`);
    for (const readMethod of methods) {
      const s = await open(t, { readMethod });
      const got = (await collect(s.read(1, null, ALL, { batchSize: 2 }))).events.map((e) => e.eventId);
      expect(got).toEqual(rows.map((r) => r.id));
      const rest = await collect(
        s.read(1, { tsNs: 1_704_067_200_000_000_000n, eventId: got[0]! }, ALL, { batchSize: 2 }),
      );
      expect(rest.events.map((e) => e.eventId)).toEqual(got.slice(1));
    }
    if (type === 'bigint') expect(rows.map((r) => r.id)).toEqual(['-3', '2', '10', '9223372036854775807']);
  });
});

describe('payload and key types: bytes exactly as stored', () => {
  const payloads = [
    '{"b": 2,  "a":[1, 2.50, "x\\ty\\n"], "u":"é✓"}',
    '{}',
    'plain\ttext\nwith\\backslash',
    '',
  ];
  it.each(['jsonb', 'json', 'text', 'bytea'])('%s payload', async (type) => {
    const t = `p_${type}`;
    await makeTable(db, t, { payload: type, key: type === 'bytea' ? 'bytea' : 'text' });
    const ok = type === 'jsonb' || type === 'json' ? payloads.slice(0, 2) : payloads;
    const asStored = type === 'bytea' ? ok.map((p) => `\\x${Buffer.from(p).toString('hex')}00ff0a5c`) : ok;
    await insertRows(
      db,
      t,
      asStored.map((p, i) =>
        row('2024-01-01 00:00:00+00', `e${i}`, p, type === 'bytea' ? '\\x00090a5c' : 'ké\ty'),
      ),
    );
    const { rows } = await db.query<{ p: Buffer; k: Buffer }>(
      `SELECT ${type === 'bytea' ? 'payload' : "convert_to(payload::text, 'UTF8')"} AS p,
              ${type === 'bytea' ? 'k' : "convert_to(k, 'UTF8')"} AS k FROM ${t} ORDER BY id`,
    );
    const outs = [];
    for (const readMethod of methods) {
      const s = await open(t, { readMethod });
      const got = (await collect(s.read(1, null, ALL, { batchSize: 3 }))).events;
      expect(got.map((e) => e.payload.toString('hex'))).toEqual(rows.map((r) => r.p.toString('hex')));
      expect(got.map((e) => e.key.toString('hex'))).toEqual(rows.map((r) => r.k.toString('hex')));
      outs.push(got.map(plain));
    }
    expect(outs[0]).toEqual(outs[1]);
    if (type === 'jsonb') expect(rows[0]!.p.toString()).not.toBe(payloads[0]); // jsonb normalised on insert
  });

  it('a constant schema key', async () => {
    const s = await open('p_text', {
      columns: {
        partition: 'part',
        eventTime: 'et',
        eventId: 'id',
        key: 'k',
        payload: 'payload',
        schemaKey: { value: 'proto:2:z' },
      },
    });
    const got = (await collect(s.read(1, null, ALL, { batchSize: 3 }))).events;
    expect(new Set(got.map((e) => e.schemaKey))).toEqual(new Set(['proto:2:z']));
  });
});
