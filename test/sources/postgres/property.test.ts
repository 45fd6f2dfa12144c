/**
 * Property: for random rows (many duplicate timestamps) and random resume points, both read
 * methods give identical output, and read-from-resume equals the suffix of read-all.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PostgresSource } from '../../../src/sources/postgres/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { ALL, collect, insertRows, makeTable, plain, type Row, source } from './fixtures.js';

let db: TestDatabase;
let copy: PostgresSource;
let cursor: PostgresSource;

beforeAll(async () => {
  db = await createTestDatabase('pgsrc_prop');
  await makeTable(db, 'ev', { id: 'text', payload: 'jsonb' });
  copy = await source(db, 'ev', { readMethod: 'copy' });
  cursor = await source(db, 'ev', { readMethod: 'cursor', fetchRows: 7 });
});
afterAll(async () => {
  await copy?.close();
  await cursor?.close();
  await db?.drop();
});

/** `us` microseconds after the epoch as timestamptz text (negative: before 1970). */
const usToTs = (us: number): string =>
  us >= 0
    ? `1970-01-01 00:00:00.${String(us).padStart(6, '0')}+00`
    : `1969-12-31 23:59:59.${String(1_000_000 + us).padStart(6, '0')}+00`;

const rowArb = fc.record({
  part: fc.integer({ min: 0, max: 2 }),
  // few distinct microseconds -> many equal timestamps; some before 1970
  us: fc.integer({ min: -3, max: 12 }),
  id: fc.stringMatching(/^[a-z0-9_'\\\t]{1,6}$/),
  text: fc.string({ maxLength: 12 }),
});

it('copy == cursor, and resume == suffix', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(rowArb, { minLength: 0, maxLength: 60, selector: (r) => `${r.part}/${r.us}/${r.id}` }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: 1, max: 9 }),
      async (rows, cuts, batchSize) => {
        run++;
        await db.query('TRUNCATE ev');
        await insertRows(
          db,
          'ev',
          rows.map(
            (r): Row => ({
              part: r.part,
              et: usToTs(r.us),
              id: r.id,
              key: r.id,
              payload: JSON.stringify({ t: r.text, i: r.id }),
            }),
          ),
        );
        for (const part of [0, 1, 2]) {
          const a = (await collect(copy.read(part, null, ALL, { batchSize }))).events;
          const b = (await collect(cursor.read(part, null, ALL, { batchSize }))).events;
          expect(a.map(plain)).toEqual(b.map(plain));
          expect(a).toHaveLength(rows.filter((r) => r.part === part).length);
          for (const c of cuts) {
            if (a.length === 0) break;
            const i = c % a.length;
            const from = { tsNs: a[i]!.tsNs, eventId: a[i]!.eventId };
            const rc = (await collect(copy.read(part, from, ALL, { batchSize }))).events;
            const rk = (await collect(cursor.read(part, from, ALL, { batchSize }))).events;
            expect(rc.map(plain)).toEqual(a.slice(i + 1).map(plain));
            expect(rk.map(plain)).toEqual(rc.map(plain));
          }
        }
      },
    ),
    { numRuns: 40 },
  );
  expect(run).toBeGreaterThanOrEqual(40);
});
