/**
 * Scenario 3 — step response: adaptive at capacity C with live traffic; `stepPhaseS` after the first
 * replayed event C is halved (PATCH apply_rate), another `stepPhaseS` later doubled back. Time until
 * apply lag (max over partitions) is first back under 200 ms after the halving, and until it stays
 * there for good, and the share of the phase spent above; time until the replay rate reaches
 * 90 % of the new capacity (C_new − live) after each change.
 */
import { capacityOf, liveRateOf, runAtCapacity, startCapacitySim, waitFirstApplied } from '../capacity.js';
import type { GoalRow, TuningContext } from '../context.js';
import { appendResults, fmtNum, table, verdict, writeJson, writePlot } from '../report.js';
import { patchConfig } from '../sim.js';
import { firstAtLeast, firstBackBelow, peak, settleBelow, shareAbove, windowRate } from '../stats.js';

/** Rate window: 500 ms over 250 ms /sim/stats samples, so a change is visible ≥ 0.5 s after it. */
const RATE_WINDOW_MS = 500;

/** ms after `change` until the windowed rate (a window wholly after the change) reaches `want`. */
function reachAfter(rate: [number, number][], change: number, until: number, want: number): number | null {
  const r = firstAtLeast(rate, change + RATE_WINDOW_MS, until, want);
  return r === null ? null : r + RATE_WINDOW_MS;
}

export async function stepScenario(ctx: TuningContext): Promise<{ goals: GoalRow[] }> {
  const { opts } = ctx;
  const C = capacityOf(ctx);
  const live = liveRateOf(ctx);
  const phaseMs = opts.stepPhaseS * 1000;
  ctx.log(`\n[3] step response: C ${C} → ${C / 2} → ${C} events/s, phases of ${opts.stepPhaseS} s`);
  const changes: { t: number; label: string; capacity: number }[] = [];
  const sim = await startCapacitySim(ctx);
  let cap: Awaited<ReturnType<typeof runAtCapacity>>;
  try {
    cap = await runAtCapacity(
      ctx,
      sim,
      'tuning-step',
      opts.stepWindowMin,
      'targetApplyLagMs: 200',
      async (s) => {
        const first = await waitFirstApplied(s);
        const at = async (ms: number) =>
          new Promise((r) => setTimeout(r, Math.max(0, s.origin + ms - performance.now())));
        await at(first + phaseMs);
        await patchConfig(sim.url, { apply_rate: opts.applyRate / 2 });
        changes.push({ t: performance.now() - s.origin, label: 'C/2', capacity: C / 2 });
        await at(first + 2 * phaseMs);
        await patchConfig(sim.url, { apply_rate: opts.applyRate });
        changes.push({ t: performance.now() - s.origin, label: 'C', capacity: C });
      },
    );
  } finally {
    await sim.stop();
  }
  const lastT = cap.samples.replay.at(-1)?.[0] ?? 0;
  const rate = windowRate(cap.samples.replay, RATE_WINDOW_MS);
  const rows: (string | number)[][] = [];
  const [half, dbl] = changes;
  let settle: number | null = null;
  let back: number | null = null;
  const secs = (ms: number | null, none: string) => (ms === null ? none : `${(ms / 1000).toFixed(2)} s`);
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  if (half) {
    const until = dbl?.t ?? lastT;
    settle = settleBelow(cap.samples.lagMax, half.t, until, 200);
    back = firstBackBelow(cap.samples.lagMax, half.t, until, 200);
    const want = 0.9 * (half.capacity - live);
    const reach = reachAfter(rate, half.t, until, want);
    rows.push([
      `halve to ${fmtNum(half.capacity)}/s`,
      secs(back, 'not within the phase'),
      secs(settle, 'not within the phase'),
      pct(shareAbove(cap.samples.lagMax, half.t, until, 200)),
      fmtNum(peak(cap.samples.lagMax, half.t, until)),
      fmtNum(want),
      reach === null ? 'not within the phase' : `${(reach / 1000).toFixed(2)} s`,
    ]);
  }
  if (dbl) {
    const want = 0.9 * (dbl.capacity - live);
    const reach = reachAfter(rate, dbl.t, lastT + 1, want);
    rows.push([
      `double back to ${fmtNum(dbl.capacity)}/s`,
      secs(firstBackBelow(cap.samples.lagMax, dbl.t, lastT + 1, 200), 'not before the replay ended'),
      secs(settleBelow(cap.samples.lagMax, dbl.t, lastT + 1, 200), 'not before the replay ended'),
      pct(shareAbove(cap.samples.lagMax, dbl.t, lastT + 1, 200)),
      fmtNum(peak(cap.samples.lagMax, dbl.t, lastT + 1)),
      fmtNum(want),
      reach === null ? 'not before the replay ended' : `${(reach / 1000).toFixed(2)} s`,
    ]);
  }
  const x = (t: number) => (t - cap.firstAppliedMs) / 1000;
  const markers = changes.map((c) => ({ x: x(c.t), label: c.label }));
  const lagPlot = await writePlot('tuning-step-lag', {
    title: 'Step response: apply lag (max over partitions)',
    xLabel: 'seconds since the first replayed event',
    yLabel: 'apply lag ms',
    series: [{ name: 'apply lag', points: cap.samples.lagMax.map(([t, v]) => [x(t), v] as const) }],
    markers,
    hline: { y: 200, label: 'target 200 ms' },
    maxPoints: 300,
  });
  const capLine = (t: number) => {
    let c = C;
    for (const ch of changes) if (t >= ch.t) c = ch.capacity;
    return c - live;
  };
  const ratePlot = await writePlot('tuning-step-rate', {
    title: `Step response: replay applied rate (${RATE_WINDOW_MS} ms window)`,
    xLabel: 'seconds since the first replayed event',
    yLabel: 'events/s',
    series: [
      { name: 'replay rate', points: rate.map(([t, v]) => [x(t), v] as const) },
      { name: 'capacity − live', points: rate.map(([t]) => [x(t), capLine(t)] as const) },
    ],
    markers,
    maxPoints: 300,
  });
  await writeJson('tuning-step', { changes, firstAppliedMs: cap.firstAppliedMs, samples: cap.samples });
  const lines = [
    `## Tuning 3 — step response (bench/tuning.ts, adaptive) — ${ctx.stamp()}`,
    '',
    `C = ${fmtNum(C)} events/s, live ${fmtNum(live)}/s, L widened; ${ctx.table} window ${opts.stepWindowMin} min (${fmtNum(cap.run.events)} events, ${(cap.run.durationMs / 1000).toFixed(1)} s, late dropped ${cap.samples.late}). C halved ${opts.stepPhaseS} s after the first replayed event, doubled back ${opts.stepPhaseS} s later. Lag = max over the 16 partitions from /metrics every 100 ms ("first": first sample back under 200 ms after the excursion; "for good": after the last sample over it in the phase); rate from /sim/stats every 250 ms (${RATE_WINDOW_MS} ms window, so rate times are ≥ 0.5 s). Plots: \`bench/${lagPlot}\`, \`bench/${ratePlot}\`.`,
    '',
    table(
      [
        'change',
        'lag back < 200 ms (first)',
        'lag < 200 ms for good',
        'time with max lag > 200 ms',
        'peak lag ms',
        '90 % of new capacity − live',
        'rate reached it after',
      ],
      rows,
    ),
    '',
  ];
  await appendResults(lines.join('\n'), opts.record);
  return {
    goals: [
      {
        goal: 'back under 200 ms within 2 s of a capacity halving',
        measured: `${secs(back, 'not within the phase')} (for good: ${secs(settle, 'not within the phase')})`,
        verdict: back === null ? 'missed' : verdict(back / 1000, 2, false, ' s'),
      },
    ],
  };
}
