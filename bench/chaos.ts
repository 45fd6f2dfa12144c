/**
 * Chaos harness (`npm run chaos -- --kills 100`; short: `--kills 10 --rows 20000`): interrupts
 * `ceptra-replay run` again and again (SIGKILL at random moments, sometimes SIGTERM) under
 * downstream faults (emulator) and source faults (reader connections terminated, PostgreSQL
 * restarts where allowed), then checks the emulator's ground truth against the source and
 * prints the figures. Exit 1 if anything was lost, applied twice or out of order (or another
 * figure failed). `--record` appends the table to bench/RESULTS.md.
 */
import { appendFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { renderFigures, runChaos } from './chaos/index.js';
import { machine } from './lib.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '10' },
    rows: { type: 'string', default: '20000' },
    partitions: { type: 'string', default: '16' },
    'apply-rate': { type: 'string', default: '0' },
    'batch-size': { type: 'string', default: '200' },
    'max-in-flight': { type: 'string', default: '4' },
    'terminate-rounds': { type: 'string' },
    'pg-restarts': { type: 'string' },
    'sigterm-share': { type: 'string', default: '0.15' },
    'term-grace-ms': { type: 'string', default: '0' },
    'no-faults': { type: 'boolean', default: false },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    record: { type: 'boolean', default: false },
  },
});

function int(flag: string, v: string | undefined): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0) {
    process.stderr.write(`--${flag}: expected a non-negative number (got "${v}")\n`);
    process.exit(2);
  }
  return x;
}

async function main(): Promise<void> {
  const kills = int('kills', values.kills);
  const seed = int('seed', values.seed);
  const result = await runChaos({
    kills,
    rows: int('rows', values.rows),
    partitions: int('partitions', values.partitions),
    applyRate: int('apply-rate', values['apply-rate']),
    batchSize: int('batch-size', values['batch-size']),
    maxInFlight: int('max-in-flight', values['max-in-flight']),
    terminateRounds: int(
      'terminate-rounds',
      values['terminate-rounds'] ?? String(Math.max(2, Math.round(kills / 8))),
    ),
    pgRestarts: int('pg-restarts', values['pg-restarts'] ?? String(kills >= 50 ? 2 : 0)),
    sigtermShare: int('sigterm-share', values['sigterm-share']),
    termGraceMs: int('term-grace-ms', values['term-grace-ms']),
    downstreamFaults: !values['no-faults'],
    seed,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const table = renderFigures(result.figures);
  const o = result.options;
  const setup = `${o.rows.toLocaleString('en-US')} events, ${o.partitions} partitions (LIST-partitioned), emulator child at ${o.applyRate} events/s per partition (ring ${o.ring}) during the chaos runs and ${o.finalApplyRate} for the final run; flow batchSize ${o.batchSize}, maxInFlight ${o.maxInFlight}, parallelPartitions ${o.parallelPartitions}, commitIntervalMs ${o.commitIntervalMs}; kills ${o.minDelayMs}-${o.maxDelayMs} ms after process start or (${Math.round(o.activityAnchorShare * 100)} %) after the first send; SIGTERM drain grace ${o.termGraceMs} ms; seed ${seed}.`;
  process.stdout.write(`\n${setup}\n\n${table}\n`);
  for (const f of result.figures.failures) process.stdout.write(`FAILED: ${f}\n`);
  for (const e of result.figures.verdict.examples) process.stdout.write(`  ${e}\n`);
  if (values.record) {
    await appendFile(
      new URL('./RESULTS.md', import.meta.url),
      `\n## chaos (bench/chaos.ts --kills ${kills}) — ${new Date().toISOString()}\n\nMachine: ${machine()}, PostgreSQL on the same host.\n${setup}\nLeader failover is emulated (the emulator has no such switch): HTTP 503 with Retry-After on every ingest request for 2-4 s, state intact.\n\n${table}\n`,
    );
    process.stdout.write('appended to bench/RESULTS.md\n');
  }
  process.exitCode = result.figures.ok ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
