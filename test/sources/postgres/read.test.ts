/** Ordering, windows, resume, partitions and batch sizes of the keyset readers (both methods). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresSource } from '../../../src/sources/postgres/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { ALL, collect, insertRows, makeTable, type Row, source } from './fixtures.js';

let db: TestDatabase;
const sources: PostgresSource[] = [];
const open = async (table: string, o: Parameters<typeof source>[2] = {}) => {
  const s = await source(db, table, o);
  sources.push(s);
  return s;
};

const T0 = 1_700_000_000_000_000_000n; // 2023-11-14 22:13:20 UTC
const ts = (us: number) => `2023-11-14 22:13:20.${String(us).padStart(6, '0')}+00`;

beforeAll(async () => {
  db = await createTestDatabase('pgsrc_read');
  // bigint ids with many equal timestamps: numeric order 2 < 10 < 100, text order would differ.
  await makeTable(db, 'ev', { id: 'bigint' });
  const rows: Row[] = [];
  for (let i = 1; i <= 300; i++) {
    rows.push({
      part: i % 3,
      et: ts(Math.floor(i / 25) * 10),
      id: String((i * 37) % 1009),
      key: `k${i}`,
      payload: `{"i":${i}}`,
    });
  }
  await insertRows(db, 'ev', rows);
});

afterAll(async () => {
  for (const s of sources) await s.close();
  await db?.drop();
});

describe.each(['copy', 'cursor'] as const)('read (%s)', (readMethod) => {
  it('orders by (event_time, event_id) with native bigint tiebreak', async () => {
    const s = await open('ev', { readMethod });
    const { events } = await collect(s.read(1, null, ALL, { batchSize: 1000 }));
    expect(events).toHaveLength(100);
    for (let i = 1; i < events.length; i++) {
      const a = events[i - 1]!;
      const b = events[i]!;
      expect(a.tsNs < b.tsNs || (a.tsNs === b.tsNs && BigInt(a.eventId) < BigInt(b.eventId))).toBe(true);
    }
    // one run of equal timestamps contains ids of different lengths (numeric, not text, order)
    const run = events.filter((e) => e.tsNs === T0 + 50_000n).map((e) => e.eventId);
    expect(run.length).toBeGreaterThan(5);
    expect(run).not.toEqual([...run].sort()); // text order would differ here
    expect(run.map(Number)).toEqual([...run.map(Number)].sort((x, y) => x - y));
    expect(events[0]!.schemaKey).toBe('proto:1.0:abc');
    expect(events[0]!.payload.toString()).toMatch(/^\{"i": \d+\}$/);
  });

  it('reads an event exactly at start and not one exactly at end', async () => {
    const s = await open('ev', { readMethod });
    const w = { startNs: T0 + 20_000n, endNs: T0 + 40_000n };
    const { events } = await collect(s.read(0, null, w, { batchSize: 7 }));
    const times = new Set(events.map((e) => e.tsNs));
    expect(times).toEqual(new Set([T0 + 20_000n, T0 + 30_000n]));
    // a window bound between two microseconds rounds the right way
    const w2 = { startNs: T0 + 19_001n, endNs: T0 + 20_001n };
    const r2 = await collect(s.read(0, null, w2, { batchSize: 7 }));
    expect(new Set(r2.events.map((e) => e.tsNs))).toEqual(new Set([T0 + 20_000n]));
  });

  it('resumes strictly after a position, including inside a run of equal timestamps', async () => {
    const s = await open('ev', { readMethod });
    const all = (await collect(s.read(2, null, ALL, { batchSize: 1000 }))).events;
    for (const cut of [0, 5, 6, 7, 50, all.length - 1]) {
      const p = all[cut]!;
      const rest = (await collect(s.read(2, { tsNs: p.tsNs, eventId: p.eventId }, ALL, { batchSize: 9 })))
        .events;
      expect(rest.map((e) => e.eventId)).toEqual(all.slice(cut + 1).map((e) => e.eventId));
    }
    expect(all[5]!.tsNs).toBe(all[6]!.tsNs); // the cut at 5 really is inside a run
  });

  it('yields batches of exactly batchSize, the last one smaller', async () => {
    const s = await open('ev', { readMethod, fetchRows: 13 });
    for (const size of [1, 7, 100, 1000]) {
      const { sizes } = await collect(s.read(1, null, ALL, { batchSize: size }));
      const n = 100;
      const expected = [...Array(Math.floor(n / size)).fill(size), ...(n % size ? [n % size] : [])];
      expect(sizes).toEqual(expected);
    }
  });

  it('reads nothing from an empty window or a missing partition', async () => {
    const s = await open('ev', { readMethod });
    expect((await collect(s.read(7, null, ALL, { batchSize: 10 }))).sizes).toEqual([]);
    expect((await collect(s.read(1, null, { startNs: 0n, endNs: 1n }, { batchSize: 10 }))).sizes).toEqual([]);
  });
});

describe('partitions()', () => {
  it('finds ids by loose index scan, counts rows, bounds and access path', async () => {
    const s = await open('ev');
    const exact = await s.partitions(ALL, { exact: true });
    expect(exact.map((p) => [p.partition, p.rows, p.exact])).toEqual([
      [0, 100, true],
      [1, 100, true],
      [2, 100, true],
    ]);
    expect(exact[1]!.firstTsNs).toBe(T0 + 0n);
    expect(exact[1]!.lastTsNs).toBe(T0 + 110_000n);
    expect(exact[0]!.accessPath).toMatch(/Index/);
    const est = await s.partitions(ALL);
    expect(est.every((p) => !p.exact && p.rows > 0)).toBe(true);
  });

  it('reports configured partitions without rows as rows: 0', async () => {
    const s = await open('ev', { partitions: [1, 9] });
    const info = await s.partitions({ startNs: T0, endNs: T0 + 1_000_000n });
    expect(info.map((p) => [p.partition, p.rows])).toEqual([
      [1, 100],
      [9, 0],
    ]);
    expect(info[1]).toMatchObject({ rows: 0, exact: true, firstTsNs: null, lastTsNs: null });
    expect(info[0]!.exact).toBe(false);
  });
});
