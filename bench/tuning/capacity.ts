/** Shared setup of scenarios 2 and 3: emulator at capacity C with live traffic, L widened, lag sampled. */
import type { SimChild } from '../../src/sim/child.js';
import type { TuningContext } from './context.js';
import { type ReplayRun, runReplay } from './replay.js';
import { type Samples, SimSampler } from './sampler.js';
import { patchConfig, resetSim, startSim, WIDE_LATENESS_MS } from './sim.js';

export const capacityOf = (ctx: TuningContext) => ctx.opts.partitions * ctx.opts.applyRate;
export const liveRateOf = (ctx: TuningContext) => Math.round(capacityOf(ctx) * ctx.opts.liveFraction);

export function startCapacitySim(ctx: TuningContext): Promise<SimChild> {
  return startSim({
    partitions: ctx.opts.partitions,
    applyRate: ctx.opts.applyRate,
    liveRate: liveRateOf(ctx),
  });
}

export interface CapacityRun {
  run: ReplayRun;
  samples: Samples;
  /** ms since the sampler origin at which the first / last replayed event was applied */
  firstAppliedMs: number;
  lastAppliedMs: number;
  /** Replay events applied per second between the first and the last one applied. */
  appliedRate: number;
}

/**
 * Resets the sim, restores apply_rate and widens L, lets live traffic settle for 1 s, then runs
 * the replay while sampling. `during(origin)` runs beside the replay (scenario 3's capacity changes).
 */
export async function runAtCapacity(
  ctx: TuningContext,
  sim: SimChild,
  name: string,
  windowMin: number,
  flow: string,
  during?: (sampler: SimSampler) => Promise<void>,
): Promise<CapacityRun> {
  await resetSim(sim.url);
  await patchConfig(sim.url, { apply_rate: ctx.opts.applyRate, lateness_allowance_ms: WIDE_LATENESS_MS });
  await new Promise((r) => setTimeout(r, 1000));
  const sampler = new SimSampler(sim.url, performance.now());
  sampler.start();
  sampler.recording = true;
  const replay = runReplay({
    name,
    dbUrl: ctx.dbUrl,
    table: ctx.table,
    targetUrl: sim.url,
    partitions: ctx.opts.partitions,
    windowMin,
    workers: 'auto',
    flow,
  });
  const side = during ? during(sampler) : Promise.resolve();
  let run: ReplayRun;
  try {
    run = await replay;
    // The run ends when its last batch is acknowledged (committed); the emulator's ring may still
    // hold up to --ring events per partition. Keep sampling until they are applied.
    await waitApplied(sampler, run.events, 120_000);
  } finally {
    sampler.recording = false;
    await side.catch(() => undefined);
  }
  const samples = await sampler.stop();
  const first = samples.replay.find(([, n]) => n > 0)?.[0] ?? 0;
  const last = samples.replay.find(([, n]) => n >= run.events)?.[0] ?? samples.replay.at(-1)?.[0] ?? 0;
  const applied = samples.replay.at(-1)?.[1] ?? 0;
  return {
    run,
    samples,
    firstAppliedMs: first,
    lastAppliedMs: last,
    appliedRate: last > first ? (Math.min(applied, run.events) * 1000) / (last - first) : 0,
  };
}

async function waitApplied(sampler: SimSampler, events: number, timeoutMs: number): Promise<void> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if ((sampler.samples.replay.at(-1)?.[1] ?? 0) >= events) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the sampler has seen the first replayed event applied (or the timeout). */
export async function waitFirstApplied(sampler: SimSampler, timeoutMs = 60_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const first = sampler.samples.replay.find(([, n]) => n > 0);
    if (first) return first[0];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no replayed event applied within the timeout');
}
