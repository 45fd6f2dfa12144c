/**
 * Throughput tuning harness (issue 4 §3): `npm run bench:tuning [-- --quick | --full | --rows N |
 * --big-rows N | --only throughput,utilisation,step,scaling | --no-profile | --no-record]`.
 * Scenarios live in bench/tuning/scenarios; each prints a table, writes an SVG under bench/results/
 * and appends a section to bench/RESULTS.md; a goals table closes the run.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { machine } from './lib.js';
import type { GoalRow, TuningContext } from './tuning/context.js';
import { ensureTable, tuningDatabase } from './tuning/dataset.js';
import { parseTuningArgs, Scenario } from './tuning/options.js';
import { appendResults, redirectPlots, table } from './tuning/report.js';
import { scalingScenario } from './tuning/scenarios/scaling.js';
import { stepScenario } from './tuning/scenarios/step.js';
import { type ThroughputResult, throughputScenario } from './tuning/scenarios/throughput.js';
import { utilisationScenario } from './tuning/scenarios/utilisation.js';

async function main(): Promise<void> {
  const opts = parseTuningArgs(process.argv.slice(2));
  if (!opts.record) redirectPlots(pathToFileURL(`${await mkdtemp(join(tmpdir(), 'cr-tuning-plots-'))}/`));
  const t0 = performance.now();
  const log = (s: string) => process.stdout.write(`${s}\n`);
  log(`tuning harness${opts.quick ? ' (--quick)' : ''}: ${opts.scenarios.join(', ')}`);
  const dbUrl = await tuningDatabase();
  const tbl = await ensureTable(dbUrl, opts.rows, opts.partitions, log);
  const ctx: TuningContext = {
    opts,
    dbUrl,
    table: tbl,
    log,
    stamp: () =>
      `${new Date().toISOString()}${opts.quick ? ' (--quick)' : ''}\n\nMachine: ${machine()}; Postgres, the emulator and the replay share it; load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' / ')}.`,
  };
  const goals: GoalRow[] = [];
  let s1: ThroughputResult | null = null;
  const want = (s: Scenario) => opts.scenarios.includes(s);
  if (want(Scenario.throughput) || want(Scenario.scaling)) {
    s1 = await throughputScenario(ctx);
    goals.push(...s1.goals);
  }
  const figures: Record<string, number> = {};
  if (want(Scenario.utilisation)) {
    const u = await utilisationScenario(ctx);
    goals.push(...u.goals);
    Object.assign(figures, u.figures);
  }
  if (want(Scenario.step)) goals.push(...(await stepScenario(ctx)).goals);
  if (want(Scenario.scaling) && s1) goals.push(...(await scalingScenario(ctx, s1)).goals);
  if (opts.json) await writeFile(opts.json, JSON.stringify(figures, null, 2));
  const minutes = (performance.now() - t0) / 60_000;
  await appendResults(
    [
      `## Tuning — goals (bench/tuning.ts, ${minutes.toFixed(1)} min) — ${ctx.stamp()}`,
      '',
      table(
        ['goal', 'measured', 'verdict'],
        goals.map((g) => [g.goal, g.measured, g.verdict]),
      ),
      '',
    ].join('\n'),
    opts.record,
  );
}

await main();
