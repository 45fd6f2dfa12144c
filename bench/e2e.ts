/**
 * End-to-end benchmark (`npm run bench:e2e [-- --rows 1000000 --reuse]`). On the same data, in one run:
 *   (a) the raw ceiling: every partition read in replay order with COPY … TO STDOUT to nowhere;
 *   (b) a naive baseline: pg-query-stream (batchSize 1000, pg's own type parsing) → JSON → undici POST loop;
 *   (c) `ceptra-replay run` (the CLI as a child process) into the same emulator.
 * Prints events/s for each, c/a and c/b, and appends them with the machine to bench/RESULTS.md.
 */
import { appendFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import QueryStream from 'pg-query-stream';
import { request } from 'undici';
import { startSimChild } from '../src/sim/child.js';
import { seedEvents } from '../src/sources/synthetic/index.js';
import { adminDatabaseUrl, cpuSeconds, ensureDatabase, machine, runCli } from './lib.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '16' },
    parallel: { type: 'string', default: '4' },
    reuse: { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const PARTS = Number(values.partitions);
const PARALLEL = Number(values.parallel);
const DB = 'ceptra_replay_bench_e2e';

async function lanes<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  const q = [...items];
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let x = q.shift(); x !== undefined; x = q.shift()) await fn(x);
    }),
  );
}

const ORDER = 'ORDER BY event_time, event_id';

async function rawCopy(url: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: PARALLEL, options: '-c enable_sort=off' });
  let rows = 0;
  await lanes([...Array(PARTS).keys()], PARALLEL, async (p) => {
    const c = await pool.connect();
    try {
      const stream = c.query(copyTo(`COPY (SELECT * FROM events WHERE part_id = ${p} ${ORDER}) TO STDOUT`));
      for await (const chunk of stream) for (const b of chunk as Buffer) if (b === 10) rows++;
    } finally {
      c.release();
    }
  });
  await pool.end();
  return rows;
}

async function naive(url: string, target: string): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: PARALLEL, options: '-c enable_sort=off' });
  let sent = 0;
  await lanes([...Array(PARTS).keys()], PARALLEL, async (p) => {
    const c = await pool.connect();
    try {
      const qs = c.query(
        new QueryStream(`SELECT * FROM events WHERE part_id = $1 ${ORDER}`, [p], { batchSize: 1000 }),
      );
      let batch: unknown[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const res = await request(`${target}/append/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ events: batch }),
        });
        await res.body.text();
        sent += batch.length;
        batch = [];
      };
      for await (const row of qs as AsyncIterable<Record<string, unknown>>) {
        const t = row.event_time as Date;
        batch.push({
          event_id: String(row.event_id),
          partition_key_b64: Buffer.from(String(row.key)).toString('base64'),
          schema_key: String(row.schema_key),
          payload_b64: Buffer.from(JSON.stringify(row.payload)).toString('base64'),
          ts_ns: (BigInt(t.getTime()) * 1_000_000n).toString(),
          flags: ['REPLAY'],
        });
        if (batch.length === 1000) await flush();
      }
      await flush();
    } finally {
      c.release();
    }
  });
  await pool.end();
  return sent;
}

async function main(): Promise<void> {
  const admin = adminDatabaseUrl();
  const url = await ensureDatabase(admin, DB, !values.reuse);
  if (!values.reuse) {
    process.stdout.write(`seeding ${ROWS} rows over ${PARTS} partitions (LIST-partitioned) …\n`);
    const s = await seedEvents(url, { rows: ROWS, partitions: PARTS, listPartitioned: true });
    process.stdout.write(`  ${Math.round(s.rowsPerSec)} rows/s\n`);
  }
  const sim = await startSimChild([
    '--partitions',
    String(PARTS),
    '--apply-rate',
    '1000000',
    '--no-applied-log',
  ]);
  const results: { name: string; events: number; seconds: number; cpu?: string }[] = [];
  try {
    let t = performance.now();
    const a = await rawCopy(url);
    results.push({
      name: '(a) raw COPY to nowhere (ceiling)',
      events: a,
      seconds: (performance.now() - t) / 1000,
    });

    await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
    t = performance.now();
    const b = await naive(url, sim.url);
    results.push({
      name: '(b) naive pg-query-stream → POST',
      events: b,
      seconds: (performance.now() - t) / 1000,
    });

    const dir = await mkdtemp(join(tmpdir(), 'cr-bench-'));
    for (const [label, flow] of [
      ['(c) ceptra-replay run, static flow (batchSize 1000, maxInFlight 4)', 'mode: static'],
      ["(c') ceptra-replay run, adaptive flow (default)", 'mode: adaptive'],
    ] as const) {
      await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
      const job = join(dir, 'job.yaml');
      await writeFile(
        job,
        `job: bench-e2e
window: { start: 2025-08-01T00:00:00Z, end: 2025-08-01T01:00:00Z }
source: { type: postgres, url: "${url}", table: events }
target: { url: "${sim.url}", partitions: ${PARTS} }
flow: { ${flow}, parallelPartitions: ${PARALLEL} }
state: { url: "${url}" }
`,
      );
      const simCpu0 = cpuSeconds(sim.child.pid!);
      const r = await runCli(['run', '-c', job, '--restart', '--no-progress']);
      if (r.code !== 0) throw new Error(`run failed (${r.code}): ${r.stderr.slice(-2000)}`);
      const m = /events (\d+), .*?\((\d+) ms\)/.exec(r.stdout);
      if (!m) throw new Error(`unexpected run output: ${r.stdout}`);
      results.push({
        name: label,
        events: Number(m[1]),
        seconds: Number(m[2]) / 1000,
        cpu: `replay ${r.cpuSeconds.toFixed(1)} s, emulator ${(cpuSeconds(sim.child.pid!) - simCpu0).toFixed(1)} s`,
      });
    }
  } finally {
    await sim.stop();
  }
  const rate = (x: { events: number; seconds: number }) => x.events / x.seconds;
  const [ra, rb, rc, rc2] = results.map(rate) as [number, number, number, number];
  const lines = [
    `## End to end (bench/e2e.ts, ${ROWS.toLocaleString('en-US')} rows, ${PARTS} partitions, ${PARALLEL} at once) — ${new Date().toISOString()}`,
    '',
    `Machine: ${machine()}. Postgres, the emulator (own process) and the replay share the machine.`,
    '',
    '| path | events | seconds | events/s | CPU |',
    '|---|---:|---:|---:|---|',
    ...results.map(
      (x) =>
        `| ${x.name} | ${x.events} | ${x.seconds.toFixed(2)} | ${Math.round(rate(x)).toLocaleString('en-US')} | ${x.cpu ?? ''} |`,
    ),
    '',
    `c/a = ${(rc / ra).toFixed(2)}, c/b = ${(rc / rb).toFixed(2)}; adaptive: c'/a = ${(rc2 / ra).toFixed(2)}, c'/b = ${(rc2 / rb).toFixed(2)}`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (!values['no-record'])
    await appendFile(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
}

await main();
