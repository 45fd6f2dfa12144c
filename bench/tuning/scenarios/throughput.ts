/**
 * Scenario 1 — throughput: static sweep (workers × batchSize × maxInFlight) and the adaptive
 * controller on the seeded table, emulator apply rate far above the replay, beside the raw COPY
 * ceiling measured in the same run. Also the 1 vs 2 workers pair and, optionally, a --cpu-prof run.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds } from '../../lib.js';
import { type GoalRow, staticFlow, type TuningContext } from '../context.js';
import { rawCopyCeiling } from '../dataset.js';
import { readProfiles, type SelfTime, topSelfTime } from '../profile.js';
import { type ReplayRun, runReplay } from '../replay.js';
import { appendResults, fmtNum, table, verdict, writePlot } from '../report.js';
import { SimSampler } from '../sampler.js';
import { resetSim, startSim } from '../sim.js';
import { windowRate } from '../stats.js';

export interface ThroughputRow {
  name: string;
  workers: number | 'auto';
  run: ReplayRun;
  simCpu: number;
  rate: [number, number][];
}

export interface ThroughputResult {
  ceiling: number;
  rows: ThroughputRow[];
  adaptive: ThroughputRow;
  adaptive1: ThroughputRow;
  profile: { top: SelfTime[]; totalMs: number } | null;
  goals: GoalRow[];
}

export async function throughputScenario(ctx: TuningContext): Promise<ThroughputResult> {
  const { opts } = ctx;
  ctx.log('\n[1] throughput: emulator apply rate 1M/s per partition');
  const sim = await startSim({ partitions: opts.partitions, applyRate: 1_000_000 });
  const rows: ThroughputRow[] = [];
  let profile: ThroughputResult['profile'] = null;
  let ceiling = 0;
  try {
    const c = await rawCopyCeiling(ctx.dbUrl, ctx.table, opts.partitions, 4);
    ceiling = c.eventsPerSec;
    ctx.log(`  raw COPY ceiling: ${fmtNum(ceiling)} rows/s (${c.rows} rows, ${c.seconds.toFixed(2)} s)`);
    const plan: { name: string; workers: number | 'auto'; flow: string }[] = [
      ...opts.sweep.map(([w, b, f]) => ({
        name: `static w${w} b${b} f${f}`,
        workers: w,
        flow: staticFlow(b, f, opts.parallelPartitions),
      })),
      {
        name: 'adaptive (default flow) w1',
        workers: 1,
        flow: `parallelPartitions: ${opts.parallelPartitions}`,
      },
      {
        name: 'adaptive (default flow) w2',
        workers: 2,
        flow: `parallelPartitions: ${opts.parallelPartitions}`,
      },
    ];
    for (const p of plan) {
      await resetSim(sim.url);
      const sampler = new SimSampler(sim.url, performance.now());
      sampler.start();
      const cpu0 = cpuSeconds(sim.child.pid!);
      const run = await runReplay({
        name: 'tuning-throughput',
        dbUrl: ctx.dbUrl,
        table: ctx.table,
        targetUrl: sim.url,
        partitions: opts.partitions,
        windowMin: 60,
        workers: p.workers,
        flow: p.flow,
      });
      const simCpu = cpuSeconds(sim.child.pid!) - cpu0;
      const s = await sampler.stop();
      rows.push({ name: p.name, workers: p.workers, run, simCpu, rate: windowRate(s.replay, 1000) });
      ctx.log(
        `  ${p.name}: ${fmtNum(run.eventsPerSec)} events/s (${(run.eventsPerSec / ceiling).toFixed(2)} × ceiling)`,
      );
    }
    if (opts.profile) {
      await resetSim(sim.url);
      const dir = await mkdtemp(join(tmpdir(), 'cr-tuning-prof-'));
      await runReplay(
        {
          name: 'tuning-profile',
          dbUrl: ctx.dbUrl,
          table: ctx.table,
          targetUrl: sim.url,
          partitions: opts.partitions,
          windowMin: 15, // a quarter of the rows is plenty of samples
          workers: 2,
          flow: `parallelPartitions: ${opts.parallelPartitions}`,
        },
        { profileDir: dir },
      );
      profile = topSelfTime(await readProfiles(dir), 12);
      ctx.log(`  profile written to ${dir}`);
    }
  } finally {
    await sim.stop();
  }
  const adaptive = rows.find((r) => r.name.endsWith('w2'))!;
  const adaptive1 = rows.find((r) => r.name.endsWith('w1') && r.name.startsWith('adaptive'))!;
  const plot = await writePlot('tuning-throughput', {
    title: `Replay applied rate, ${ctx.table} (1 s window)`,
    xLabel: 'seconds since the replay started',
    yLabel: 'events/s',
    series: rows.map((r) => ({
      name: r.name.replace('adaptive (default flow)', 'adaptive'),
      points: r.rate.map(([t, v]) => [t / 1000, v] as const),
    })),
    hline: { y: ceiling, label: 'raw COPY ceiling' },
    maxPoints: 80,
  });
  const best = rows.reduce((a, b) => (b.run.eventsPerSec > a.run.eventsPerSec ? b : a));
  const goals: GoalRow[] = [
    {
      goal: 'end-to-end ≥ 0.7 × raw COPY ceiling (adaptive, 2 workers)',
      measured: `${(adaptive.run.eventsPerSec / ceiling).toFixed(2)} × (best: ${best.name} ${(best.run.eventsPerSec / ceiling).toFixed(2)} ×)`,
      verdict: verdict(adaptive.run.eventsPerSec / ceiling, 0.7, true, ' ×'),
    },
  ];
  const lines = [
    `## Tuning 1 — throughput (bench/tuning.ts, ${ctx.table}, ${opts.partitions} partitions) — ${ctx.stamp()}`,
    '',
    `Raw COPY ceiling (4 partitions at once, same run): **${fmtNum(ceiling)} events/s**. Emulator apply rate 1M/s per partition; parallelPartitions ${opts.parallelPartitions}. Plot: \`bench/${plot}\`.`,
    '',
    table(
      [
        'config',
        'events',
        'seconds',
        'events/s',
        '× ceiling',
        'replay CPU s',
        'emulator CPU s',
        'replay peak RSS MB',
      ],
      rows.map((r) => [
        r.name,
        r.run.events,
        r.run.durationMs / 1000,
        r.run.eventsPerSec,
        r.run.eventsPerSec / ceiling,
        r.run.cpuSeconds,
        r.simCpu,
        r.run.peakRssMb,
      ]),
    ),
    '',
  ];
  if (profile) {
    lines.push(
      `CPU profile of the replay (adaptive, 2 workers, first 15 min of the window, \`--cpu-prof\`, main thread + workers merged, ${fmtNum(profile.totalMs)} ms non-idle): top self time`,
      '',
      table(
        ['function', 'self ms', 'share'],
        profile.top.map((t) => [t.fn.replace(/\|/g, '\\|'), t.ms, `${(t.share * 100).toFixed(1)} %`]),
      ),
      '',
    );
  }
  await appendResults(lines.join('\n'), opts.record);
  return { ceiling, rows, adaptive, adaptive1, profile, goals };
}
