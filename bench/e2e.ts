/**
 * End-to-end benchmark (`npm run bench:e2e [-- --rows 1000000 --reuse]`). On the same data, in one run:
 *   (a) the raw ceiling: every partition read in replay order with COPY … TO STDOUT to nowhere;
 *   (b) a naive baseline: pg-query-stream (batchSize 1000, pg's own type parsing) → JSON → undici POST loop;
 *   (c) `ceptra-replay run` (the CLI as a child process) into the same emulator.
 * Each path runs `--rounds` times (default 3), interleaved so load drift hits every path alike.
 * Prints the median events/s of each (every round beside it), c/a and c/b of the medians, and the
 * replay's CPU per event, and appends them with the machine to bench/RESULTS.md.
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
import { adminDatabaseUrl, cpuSeconds, ensureDatabase, machine, runReplayJob } from './lib.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '16' },
    parallel: { type: 'string', default: '4' },
    /** Each path this many times, interleaved (raw, naive, static, adaptive, raw, …); medians reported. */
    rounds: { type: 'string', default: '3' },
    reuse: { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
    /** Also write the figures as JSON (bench/regression.ts reads them). */
    json: { type: 'string' },
  },
});
const ROWS = Number(values.rows);
const PARTS = Number(values.partitions);
const PARALLEL = Number(values.parallel);
const DB = ROWS === 1_000_000 ? 'ceptra_replay_bench_e2e' : `ceptra_replay_bench_e2e_${ROWS}`;

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
  const ROUNDS = Math.max(1, Number(values.rounds));
  type Run = { events: number; seconds: number; cpuSeconds?: number; simCpu?: number };
  const names = [
    '(a) raw COPY to nowhere (ceiling)',
    '(b) naive pg-query-stream → POST',
    '(c) ceptra-replay run, static flow (batchSize 1000, maxInFlight 4)',
    "(c') ceptra-replay run, adaptive flow (default)",
  ];
  const runs: Run[][] = names.map(() => []);
  const dir = await mkdtemp(join(tmpdir(), 'cr-bench-'));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      let t = performance.now();
      const a = await rawCopy(url);
      runs[0]!.push({ events: a, seconds: (performance.now() - t) / 1000 });

      await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
      t = performance.now();
      const b = await naive(url, sim.url);
      runs[1]!.push({ events: b, seconds: (performance.now() - t) / 1000 });

      for (const [k, flow] of [
        [2, 'mode: static'],
        [3, 'mode: adaptive'],
      ] as const) {
        await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
        const simCpu0 = cpuSeconds(sim.child.pid!);
        const r = await runReplayJob({
          dir,
          job: 'bench-e2e',
          dbUrl: url,
          targetUrl: sim.url,
          partitions: PARTS,
          flow: `${flow}, parallelPartitions: ${PARALLEL}`,
        });
        runs[k]!.push({ ...r, simCpu: cpuSeconds(sim.child.pid!) - simCpu0 });
      }
      process.stdout.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
  } finally {
    await sim.stop();
  }
  const rate = (x: Run) => x.events / x.seconds;
  const median = (xs: number[]) => {
    const v = [...xs].sort((p, q) => p - q);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const usPerEvent = (x: Run) => ((x.cpuSeconds ?? 0) * 1e6) / x.events;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const [ra, rb, rc, rc2] = runs.map((rs) => median(rs.map(rate))) as [number, number, number, number];
  const cpuStatic = median(runs[2]!.map(usPerEvent));
  const cpuAdaptive = median(runs[3]!.map(usPerEvent));
  const lines = [
    `## End to end (bench/e2e.ts, ${ROWS.toLocaleString('en-US')} rows, ${PARTS} partitions, ${PARALLEL} at once, medians of ${ROUNDS} interleaved rounds) — ${new Date().toISOString()}`,
    '',
    `Machine: ${machine()}. Postgres, the emulator (own process) and the replay share the machine.`,
    `Command: \`npx tsx bench/e2e.ts --rows ${ROWS} --rounds ${ROUNDS}\`.`,
    '',
    '| path | median events/s | every round, events/s | replay CPU µs/event (median; rounds) | emulator CPU s (rounds) |',
    '|---|---:|---|---|---|',
    ...runs.map((rs, k) => {
      const cpu =
        rs[0]?.cpuSeconds === undefined
          ? ''
          : `${median(rs.map(usPerEvent)).toFixed(1)}; ${rs.map((x) => usPerEvent(x).toFixed(1)).join(' / ')}`;
      const sim = rs[0]?.simCpu === undefined ? '' : rs.map((x) => x.simCpu!.toFixed(1)).join(' / ');
      return `| ${names[k]} | ${fmt(median(rs.map(rate)))} | ${rs.map((x) => fmt(rate(x))).join(' / ')} | ${cpu} | ${sim} |`;
    }),
    '',
    `Medians: c/a = ${(rc / ra).toFixed(2)}, c/b = ${(rc / rb).toFixed(2)}; adaptive: c'/a = ${(rc2 / ra).toFixed(2)}, c'/b = ${(rc2 / rb).toFixed(2)}. Replay CPU per event (whole process, user + sys): static ${cpuStatic.toFixed(1)} µs, adaptive ${cpuAdaptive.toFixed(1)} µs.`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json) {
    await writeFile(
      values.json,
      JSON.stringify(
        {
          rows: ROWS,
          rawCopy: ra,
          naive: rb,
          static: rc,
          adaptive: rc2,
          staticOverNaive: rc / rb,
          adaptiveOverNaive: rc2 / rb,
          staticCpuUsPerEvent: cpuStatic,
          adaptiveCpuUsPerEvent: cpuAdaptive,
        },
        null,
        2,
      ),
    );
  }
  if (!values['no-record'])
    await appendFile(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
}

await main();
