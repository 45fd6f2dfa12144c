/** Abort and early return release the reader's connection; a consumer that stops pulling pauses the scan. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresSource } from '../../../src/sources/postgres/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { ALL, makeTable, source } from './fixtures.js';

let db: TestDatabase;
const sources: PostgresSource[] = [];

beforeAll(async () => {
  db = await createTestDatabase('pgsrc_life');
  await makeTable(db, 'ev');
  // 20k rows of ~200-byte payloads: far more than socket buffers plus one stream buffer hold.
  await db.query(`INSERT INTO ev (part, et, id, k, payload)
    SELECT 1, '2024-01-01'::timestamptz + g * interval '1 ms', 'e' || g, 'k' || g,
           jsonb_build_object('g', g, 'pad', repeat('x', 180))
      FROM generate_series(1, 20000) g`);
  await db.query('ANALYZE ev');
});
afterAll(async () => {
  for (const s of sources) await s.close();
  await db?.drop();
});

async function open(readMethod: 'copy' | 'cursor'): Promise<PostgresSource> {
  const s = await source(db, 'ev', { readMethod, fetchRows: 500 });
  sources.push(s);
  return s;
}

const inUse = (s: PostgresSource) => s.pool.totalCount - s.pool.idleCount;

/** Reader backends of this database still running a query (polls until `want` or ~5 s). */
async function activeReaders(want: number): Promise<number> {
  let n = -1;
  for (let i = 0; i < 50; i++) {
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_stat_activity
        WHERE datname = $1 AND application_name = 'ceptra-replay' AND state <> 'idle'`,
      [db.name],
    );
    n = Number(rows[0]!.n);
    if (n === want) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}

describe.each(['copy', 'cursor'] as const)('%s reader lifecycle', (method) => {
  it('an early return() releases the client', async () => {
    const s = await open(method);
    const it = s.read(1, null, ALL, { batchSize: 100 })[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(inUse(s)).toBe(1);
    await it.return?.();
    expect(inUse(s)).toBe(0);
    expect(await activeReaders(0)).toBe(0);
  });

  it('break out of for-await releases the client', async () => {
    const s = await open(method);
    let n = 0;
    for await (const b of s.read(1, null, ALL, { batchSize: 100 })) {
      n += b.events.length;
      if (n >= 300) break;
    }
    expect(n).toBe(300);
    expect(inUse(s)).toBe(0);
    expect(await activeReaders(0)).toBe(0);
  });

  it('abort releases the client even while the consumer is not pulling', async () => {
    const s = await open(method);
    const ac = new AbortController();
    const it = s.read(1, null, ALL, { batchSize: 100, signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    expect(inUse(s)).toBe(1);
    ac.abort();
    expect(inUse(s)).toBe(0);
    expect(await activeReaders(0)).toBe(0);
    await expect(it.next()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('an already-aborted signal takes no client', async () => {
    const s = await open(method);
    let acquired = 0;
    s.pool.on('acquire', () => acquired++);
    const ac = new AbortController();
    ac.abort();
    await expect(
      s.read(1, null, ALL, { batchSize: 10, signal: ac.signal })[Symbol.asyncIterator]().next(),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(acquired).toBe(0);
    expect(inUse(s)).toBe(0);
  });

  it('a full read returns the client to the pool for reuse', async () => {
    const s = await open(method);
    let n = 0;
    for await (const b of s.read(1, null, ALL, { batchSize: 5000 })) n += b.events.length;
    expect(n).toBe(20000);
    expect(s.pool.totalCount).toBe(1);
    expect(s.pool.idleCount).toBe(1);
  });
});

it('a consumer that stops pulling pauses the COPY (server blocked writing, not buffered in Node)', async () => {
  const s = await open('copy');
  const it = s.read(1, null, ALL, { batchSize: 100 })[Symbol.asyncIterator]();
  await it.next();
  await new Promise((r) => setTimeout(r, 300));
  const { rows } = await db.query<{ wait_event: string | null }>(
    `SELECT wait_event FROM pg_stat_activity WHERE datname = $1 AND application_name = 'ceptra-replay' AND state = 'active'`,
    [db.name],
  );
  expect(rows.map((r) => r.wait_event)).toEqual(['ClientWrite']);
  await it.return?.();
  expect(await activeReaders(0)).toBe(0);
});
