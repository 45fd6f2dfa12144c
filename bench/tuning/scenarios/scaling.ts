/**
 * Scenario 4 — scaling and memory: 1 vs 2 workers (adaptive and the static middle point, taken from
 * scenario 1), and peak RSS of the replay process (VmRSS every 200 ms, worker threads included) on
 * the main table vs the big one (3M by default, 10M with --full).
 */
import type { GoalRow, TuningContext } from '../context.js';
import { ensureTable } from '../dataset.js';
import { runReplay } from '../replay.js';
import { appendResults, fmtNum, table, verdict, writePlot } from '../report.js';
import { startSim } from '../sim.js';
import type { ThroughputResult } from './throughput.js';

export async function scalingScenario(
  ctx: TuningContext,
  s1: ThroughputResult,
): Promise<{ goals: GoalRow[] }> {
  const { opts } = ctx;
  ctx.log(`\n[4] scaling and memory: ${opts.rows} vs ${opts.bigRows} rows`);
  const bigTable = await ensureTable(ctx.dbUrl, opts.bigRows, opts.partitions, ctx.log);
  const sim = await startSim({ partitions: opts.partitions, applyRate: 1_000_000 });
  let big: Awaited<ReturnType<typeof runReplay>>;
  try {
    big = await runReplay({
      name: 'tuning-memory',
      dbUrl: ctx.dbUrl,
      table: bigTable,
      targetUrl: sim.url,
      partitions: opts.partitions,
      windowMin: 60,
      workers: 2,
      flow: `parallelPartitions: ${opts.parallelPartitions}`,
    });
  } finally {
    await sim.stop();
  }
  const small = s1.adaptive.run;
  ctx.log(`  ${bigTable}: ${fmtNum(big.eventsPerSec)} events/s, peak RSS ${fmtNum(big.peakRssMb)} MB`);
  const pairs: [string, string][] = [['adaptive (default flow) w1', 'adaptive (default flow) w2']];
  const mid = opts.sweep.filter(([, b, f]) => b === 1000 && f === 4);
  if (mid.length === 2) pairs.push(['static w1 b1000 f4', 'static w2 b1000 f4']);
  const scale = pairs.flatMap(([a, b]) => {
    const ra = s1.rows.find((r) => r.name === a);
    const rb = s1.rows.find((r) => r.name === b);
    return ra && rb ? [{ name: b.replace(/ w2$/, '').replace('w2 ', ''), r1: ra.run, r2: rb.run }] : [];
  });
  const growth = big.peakRssMb / small.peakRssMb - 1;
  const plot = await writePlot('tuning-rss', {
    title: 'Replay process RSS (VmRSS, all threads), adaptive, 2 workers',
    xLabel: 'seconds since spawn',
    yLabel: 'RSS MB',
    series: [
      { name: `${fmtNum(small.events)} events`, points: small.rss.map(([t, v]) => [t / 1000, v] as const) },
      { name: `${fmtNum(big.events)} events`, points: big.rss.map(([t, v]) => [t / 1000, v] as const) },
    ],
    maxPoints: 200,
  });
  const lines = [
    `## Tuning 4 — scaling and memory (bench/tuning.ts) — ${ctx.stamp()}`,
    '',
    `Workers: from the scenario 1 runs above (same data, emulator 1M/s per partition). Memory: VmRSS of the replay process every 200 ms (worker threads are in-process), adaptive, 2 workers. Plot: \`bench/${plot}\`.`,
    '',
    table(
      ['config', '1 worker events/s', '2 workers events/s', 'ratio', '1 w CPU s', '2 w CPU s'],
      scale.map((x) => [
        x.name,
        x.r1.eventsPerSec,
        x.r2.eventsPerSec,
        x.r2.eventsPerSec / x.r1.eventsPerSec,
        x.r1.cpuSeconds,
        x.r2.cpuSeconds,
      ]),
    ),
    '',
    table(
      ['events replayed', 'events/s', 'peak RSS MB', 'replay CPU s'],
      [
        [small.events, small.eventsPerSec, small.peakRssMb, small.cpuSeconds],
        [big.events, big.eventsPerSec, big.peakRssMb, big.cpuSeconds],
      ],
    ),
    '',
    `RSS growth ${fmtNum(small.events)} → ${fmtNum(big.events)} events: ${(growth * 100).toFixed(1)} %.`,
    '',
  ];
  await appendResults(lines.join('\n'), opts.record);
  const ad = scale[0];
  return {
    goals: [
      {
        goal: '1 → 2 workers ≥ 1.6× (adaptive)',
        measured: ad ? `${(ad.r2.eventsPerSec / ad.r1.eventsPerSec).toFixed(2)} ×` : 'not measured',
        verdict: ad ? verdict(ad.r2.eventsPerSec / ad.r1.eventsPerSec, 1.6, true, ' ×') : 'not measured',
      },
      {
        goal: `RSS growth 1M → 10M ≤ 10 % (ran ${fmtNum(small.events)} → ${fmtNum(big.events)})`,
        measured: `${(growth * 100).toFixed(1)} % (${fmtNum(small.peakRssMb)} → ${fmtNum(big.peakRssMb)} MB)`,
        verdict: verdict(growth * 100, 10, false, ' pp'),
      },
    ],
  };
}
