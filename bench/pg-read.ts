/**
 * Postgres read benchmark: rows/s of the ways to stream a partition out of Postgres in
 * (event_time, event_id) order, beside the ceiling (raw COPY to nowhere).
 *
 *   npx tsx bench/pg-read.ts [--rows 1000000] [--rounds 2] [--no-record]
 *
 * Creates its own database on DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
 * seeds N rows over 16 partitions with INSERT … SELECT generate_series (~200-byte jsonb payloads,
 * index on (part, event_time, event_id)), measures each method over all 16 partitions
 * sequentially and 4 at a time, prints a table, appends it to bench/RESULTS.md, drops the database.
 */
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import QueryStream from 'pg-query-stream';
import { createPostgresSource } from '../src/sources/postgres/index.js';
import type { TimeWindow } from '../src/sources/source.js';

const PARTS = 16;
const argRows = process.argv.indexOf('--rows');
const ROWS = argRows > 0 ? Number(process.argv[argRows + 1]) : 1_000_000;
const argRounds = process.argv.indexOf('--rounds');
const ROUNDS = argRounds > 0 ? Number(process.argv[argRounds + 1]) : 1;
const RECORD = !process.argv.includes('--no-record');
const admin = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `cr_bench_pgread_${randomBytes(3).toString('hex')}`;
const url = (() => {
  const u = new URL(admin);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const WINDOW: TimeWindow = { startNs: 0n, endNs: 4_000_000_000_000_000_000n };
const SELECT = (p: number) =>
  `SELECT event_time, event_id, key, payload, schema_key FROM events WHERE part = ${p} ORDER BY event_time, event_id`;

async function adminQuery(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

async function seed(db: pg.Client): Promise<void> {
  await db.query(`CREATE TABLE events (part int NOT NULL, event_time timestamptz NOT NULL, event_id bigint NOT NULL,
    key text NOT NULL, payload jsonb NOT NULL, schema_key text NOT NULL)`);
  await db.query(`INSERT INTO events
    SELECT g % ${PARTS}, '2024-01-01'::timestamptz + (g / 3) * interval '1 ms' + (g % 997) * interval '1 microsecond', g,
           'tenant-' || (g % 5000),
           jsonb_build_object('user', 'user-' || (g % 100000), 'amount', round((g % 10000) * 1.37, 2), 'currency', 'EUR',
             'sku', md5(g::text), 'qty', g % 7, 'country', 'DE', 'channel', 'web',
             'tags', jsonb_build_array('replay', 'bench', g % 13), 'note', substr(md5((g * 7)::text), 1, 24)),
           'proto:1.0:abc123'
      FROM generate_series(1, ${ROWS}) g`);
  await db.query('CREATE INDEX events_part_time_id_idx ON events (part, event_time, event_id)');
  await db.query('VACUUM ANALYZE events');
}

type Reader = (p: number) => Promise<number>;

async function rawCopy(pool: pg.Pool, p: number): Promise<number> {
  const c = await pool.connect();
  try {
    const sink = new Writable({
      write(_chunk: Buffer, _e, cb) {
        cb();
      },
    });
    const s = c.query(copyStreams.to(`COPY (${SELECT(p)}) TO STDOUT`));
    await pipeline(s, sink);
    return s.rowCount;
  } finally {
    c.release();
  }
}

async function naive(pool: pg.Pool, p: number): Promise<number> {
  const c = await pool.connect();
  try {
    let n = 0;
    for await (const row of c.query(new QueryStream(SELECT(p)))) {
      if (row) n++;
    }
    return n;
  } finally {
    c.release();
  }
}

/** Wall seconds, and this process's CPU seconds (robust when neighbours load the shared cores). */
async function run(readers: Reader, parallel: number): Promise<{ rows: number; secs: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const queue = Array.from({ length: PARTS }, (_, i) => i);
  let rows = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
        const n = await readers(p); // not `rows += await …`: that reads `rows` before the await
        rows += n;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { rows, secs: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (cpu.user + cpu.system) / 1e6 };
}

async function main(): Promise<void> {
  await adminQuery(`CREATE DATABASE ${dbName}`);
  const pools: pg.Pool[] = [];
  try {
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const t0 = Date.now();
    await seed(db);
    const pgVersion = (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
      .rows[0]!.v;
    await db.end();
    process.stdout.write(`seeded ${ROWS} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    // Same planner settings as the source's sessions, so every method runs the same index-ordered
    // plan (by default the planner sorts each partition of this mixed heap instead).
    const pool = new pg.Pool({
      connectionString: url,
      max: 4,
      options: '-c enable_sort=off -c enable_incremental_sort=off',
    });
    pool.on('error', () => undefined); // DROP … WITH (FORCE) at the end may hit idle clients
    pools.push(pool);
    const mk = async (readMethod: 'copy' | 'cursor'): Promise<Reader> => {
      const src = await createPostgresSource({
        url,
        table: 'events',
        columns: {
          partition: 'part',
          eventTime: 'event_time',
          eventId: 'event_id',
          key: 'key',
          payload: 'payload',
          schemaKey: 'schema_key',
        },
        partitions: 'all',
        ceptraPartitions: PARTS,
        readMethod,
        poolSize: 4,
      });
      pools.push(src.pool);
      const plan = await src.explain(0, WINDOW);
      process.stdout.write(`${readMethod}: access path ${plan.accessPath}\n`);
      return async (p) => {
        let n = 0;
        for await (const b of src.read(p, null, WINDOW, { batchSize: 1000 })) n += b.events.length;
        return n;
      };
    };
    const methods: [string, Reader][] = [
      ['raw COPY to nowhere (ceiling)', (p) => rawCopy(pool, p)],
      ['source COPY reader', await mk('copy')],
      ['source cursor reader', await mk('cursor')],
      ['naive pg-query-stream (pg parses)', (p) => naive(pool, p)],
    ];
    const lines = [
      '| method | partitions at once | rows | best s | best rows/s | all rounds rows/s | Node CPU µs/row |',
      '|---|---:|---:|---:|---:|---|---:|',
    ];
    // Warm-up: one full pass puts the heap in cache (the partitions share one heap, so every
    // partition scan touches every page; otherwise the first method measured pays the cold reads),
    // then one partition per method for JIT and connections.
    await run(methods[0]![1], 4);
    for (const [, reader] of methods) await reader(0);
    // Rounds interleave the methods so a noisy neighbour on the shared cores hits all of them alike.
    const results = new Map<string, number[]>();
    const cpuPerRow = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, reader] of methods) {
        for (const parallel of [1, 4]) {
          const r = await run(reader, parallel);
          if (r.rows !== ROWS) throw new Error(`${name} read ${r.rows} rows, expected ${ROWS}`);
          const k = `${name}|${parallel}`;
          results.set(k, [...(results.get(k) ?? []), r.secs]);
          cpuPerRow.set(k, Math.min(cpuPerRow.get(k) ?? Number.POSITIVE_INFINITY, (r.cpu * 1e6) / r.rows));
          process.stdout.write(
            `round ${round + 1}: ${name}, ${parallel} at once: ${Math.round(r.rows / r.secs)} rows/s\n`,
          );
        }
      }
    }
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    for (const [k, secs] of results) {
      const [name, parallel] = k.split('|');
      const best = Math.min(...secs);
      lines.push(
        `| ${name} | ${parallel} | ${ROWS} | ${best.toFixed(2)} | ${fmt(ROWS / best)} | ${secs.map((x) => fmt(ROWS / x)).join(', ')} | ${cpuPerRow.get(k)!.toFixed(2)} |`,
      );
    }
    const cpu = cpus()[0]?.model ?? 'unknown CPU';
    const nproc = execSync('nproc').toString().trim();
    const section = [
      '',
      `## Postgres read (bench/pg-read.ts, ${ROWS.toLocaleString('en-US')} rows, 16 partitions) — ${new Date().toISOString()}`,
      '',
      `Machine: ${nproc} cores (${cpu}), Node ${process.version}, PostgreSQL ${pgVersion} on the same host.`,
      'Payload ~200-byte jsonb; index (part, event_time, event_id); readers use batchSize 1000, cursor fetchRows 10000;',
      `"partitions at once" = concurrent partition scans in one Node process; best of ${ROUNDS} interleaved rounds after a warm-up.`,
      '',
      ...lines,
      '',
      '',
    ].join('\n');
    process.stdout.write(`${lines.join('\n')}\n`);
    if (RECORD) await appendFile(new URL('./RESULTS.md', import.meta.url), section);
  } finally {
    for (const p of pools) await p.end().catch(() => undefined);
    await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
