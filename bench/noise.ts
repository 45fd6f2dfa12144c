/**
 * Noise is not congestion (issue 11): the same replay with 0 %, 0.3 %, 1 % and 3 % of events
 * refused TransientBackpressure at random by the emulator (`transientEventProbability`: scattered
 * refusals, the queue empty), adaptive flow (the default) and static flow, in one run.
 * `npx tsx bench/noise.ts [--rows 200000] [--no-record]` — prints events/s beside the fault-free
 * rate of the same mode and appends the table to bench/RESULTS.md.
 */
import { appendFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimChild } from '../src/sim/child.js';
import { seedEvents } from '../src/sources/synthetic/index.js';
import { adminDatabaseUrl, cpuSeconds, ensureDatabase, machine, runReplayJob } from './lib.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    partitions: { type: 'string', default: '16' },
    parallel: { type: 'string', default: '16' },
    reuse: { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const PARTS = Number(values.partitions);
const SHARES = [0, 0.003, 0.01, 0.03];

async function main(): Promise<void> {
  const url = await ensureDatabase(adminDatabaseUrl(), 'ceptra_replay_bench_noise', !values.reuse);
  if (!values.reuse) await seedEvents(url, { rows: ROWS, partitions: PARTS, listPartitioned: true });
  const sim = await startSimChild([
    '--partitions',
    String(PARTS),
    '--apply-rate',
    '1000000',
    '--no-applied-log',
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'cr-noise-'));
  const rows: string[] = [];
  try {
    for (const mode of ['adaptive', 'static'] as const) {
      let clean = 0;
      for (const share of SHARES) {
        await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
        await fetch(`${sim.url}/sim/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ transientEventProbability: share, seed: 7 }),
        });
        const simCpu0 = cpuSeconds(sim.child.pid!);
        const r = await runReplayJob({
          dir,
          job: 'bench-noise',
          dbUrl: url,
          targetUrl: sim.url,
          partitions: PARTS,
          flow: `mode: ${mode}, parallelPartitions: ${values.parallel}`,
          extra: 'verify: { enabled: false }',
        });
        const rate = r.events / r.seconds;
        const retries = r.retries;
        if (share === 0) clean = rate;
        const simCpu = cpuSeconds(sim.child.pid!) - simCpu0;
        const line = `| ${mode} | ${(share * 100).toFixed(1)} % | ${Math.round(rate).toLocaleString('en-US')} | ${(rate / clean).toFixed(2)} | ${r.cpuSeconds.toFixed(1)} s / ${simCpu.toFixed(1)} s | ${retries} |`;
        process.stdout.write(`${line}\n`);
        rows.push(line);
      }
    }
  } finally {
    await sim.stop();
  }
  const text = [
    `## Noise is not congestion (bench/noise.ts, ${ROWS.toLocaleString('en-US')} rows, ${PARTS} partitions) — ${new Date().toISOString()}`,
    '',
    `Machine: ${machine()}. Postgres, the emulator (own process, apply rate 1M/s per partition) and the replay share the machine. The emulator refuses each event TransientBackpressure with the given probability (the queue stays empty); the sink re-sends at the hinted jitter.`,
    '',
    '| flow | refused at random | events/s | × fault-free (same mode) | CPU replay / emulator | retries |',
    '|---|---:|---:|---:|---|---|',
    ...rows,
    '',
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (!values['no-record']) await appendFile(new URL('./RESULTS.md', import.meta.url), `\n${text}\n`);
}

await main();
