/** Seeded tables (LIST-partitioned, reused across runs) and the raw COPY ceiling on them. */
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { seedEvents } from '../../src/sources/synthetic/index.js';
import { adminDatabaseUrl, ensureDatabase } from '../lib.js';

export const TUNING_DB = 'ceptra_replay_bench_tuning';

export const tableFor = (rows: number) => `events_${rows}`;

export async function tuningDatabase(): Promise<string> {
  return ensureDatabase(adminDatabaseUrl(), TUNING_DB, false);
}

/** Seeds `events_<rows>` unless it already holds exactly `rows` rows. Returns the table name. */
export async function ensureTable(
  url: string,
  rows: number,
  partitions: number,
  log: (s: string) => void,
): Promise<string> {
  const table = tableFor(rows);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  let have = -1;
  try {
    const exists = await c.query('SELECT to_regclass($1) AS t', [table]);
    if (exists.rows[0].t !== null)
      have = Number((await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);
  } finally {
    await c.end();
  }
  if (have === rows) {
    log(`  reusing ${table} (${rows.toLocaleString('en-US')} rows)`);
    return table;
  }
  log(`  seeding ${table}: ${rows.toLocaleString('en-US')} rows over ${partitions} LIST partitions …`);
  const s = await seedEvents(url, { table, rows, partitions, listPartitioned: true });
  log(`  ${Math.round(s.rowsPerSec).toLocaleString('en-US')} rows/s`);
  return table;
}

async function lanes<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  const q = [...items];
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let x = q.shift(); x !== undefined; x = q.shift()) await fn(x);
    }),
  );
}

/** Every partition read in replay order with COPY … TO STDOUT to nowhere (as bench/e2e.ts (a)). */
export async function rawCopyCeiling(
  url: string,
  table: string,
  partitions: number,
  parallel: number,
): Promise<{ rows: number; seconds: number; eventsPerSec: number }> {
  const pool = new pg.Pool({ connectionString: url, max: parallel, options: '-c enable_sort=off' });
  let rows = 0;
  const t = performance.now();
  await lanes([...Array(partitions).keys()], parallel, async (p) => {
    const c = await pool.connect();
    try {
      const sql = `COPY (SELECT * FROM ${table} WHERE part_id = ${p} ORDER BY event_time, event_id) TO STDOUT`;
      for await (const chunk of c.query(copyTo(sql))) for (const b of chunk as Buffer) if (b === 10) rows++;
    } finally {
      c.release();
    }
  });
  await pool.end();
  const seconds = (performance.now() - t) / 1000;
  return { rows, seconds, eventsPerSec: rows / seconds };
}
