/** The Postgres source passes the shared Source contract (real Postgres, COPY and cursor readers). */
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { CONTRACT_PARTITIONS, sourceContract } from '../source-contract.js';
import { source } from './fixtures.js';

let db: TestDatabase;
let n = 0;
beforeAll(async () => {
  db = await createTestDatabase('source_contract');
});
afterAll(async () => {
  await db?.drop();
});

for (const readMethod of ['copy', 'cursor'] as const) {
  sourceContract(`PostgresSource (${readMethod})`, () => {
    const table = `contract_${readMethod}_${n++}`;
    return {
      async open(data) {
        await db.query(
          `CREATE TABLE ${table} (part int NOT NULL, et timestamptz NOT NULL, id text NOT NULL,
             k bytea NOT NULL, payload bytea NOT NULL, schema text NOT NULL)`,
        );
        await db.query(`CREATE INDEX ON ${table} (part, et, id)`);
        const rows = [...data].flatMap(([p, evs]) => evs.map((e) => ({ p, e })));
        await db.query(
          `INSERT INTO ${table} SELECT p, 'epoch'::timestamptz + (t::numeric / 1000) * interval '1 microsecond', i, k, pl, sk
             FROM unnest($1::int[], $2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::text[]) AS u(p, t, i, k, pl, sk)`,
          [
            rows.map((r) => r.p),
            rows.map((r) => r.e.tsNs.toString()),
            rows.map((r) => r.e.eventId),
            rows.map((r) => r.e.key),
            rows.map((r) => r.e.payload),
            rows.map((r) => r.e.schemaKey),
          ],
        );
        await db.query(`ANALYZE ${table}`);
        return source(db, table, { ceptraPartitions: CONTRACT_PARTITIONS, readMethod, fetchRows: 4 });
      },
      async cleanup() {
        await db.query(`DROP TABLE ${table}`);
      },
    };
  });
}
