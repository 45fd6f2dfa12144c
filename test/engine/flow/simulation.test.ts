/**
 * Closed loop, pure and deterministic: the controller drives toy partitions (FIFO apply queue
 * with capacity C, live traffic at 10–20 % of C, a round trip growing with the batch, acks on
 * commit, not on apply) on a fake clock. One of them is the tuning bench's partition
 * (1,500 events/s, live 150/s), where the acks say nothing about apply speed at all.
 */
import { describe, expect, it } from 'vitest';
import { FlowController } from '../../../src/engine/flow/index.js';
import { FakeClock } from './helpers.js';
import { runLoop, type SimRun, type ToyOptions, ToyPartition } from './toy-queue.js';

const TARGET = 200;
const HALVE_AT = 30_000;
const DOUBLE_AT = 45_000;

function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(0.99 * s.length))]!;
}

function window(run: SimRun, fromMs: number, toMs: number) {
  const idx = run.trace.map((x, i) => [x, i] as const).filter(([[t]]) => t >= fromMs && t < toMs);
  const first = idx[0]!;
  const last = idx[idx.length - 1]!;
  const seconds = (last[0][0] - first[0][0]) / 1000;
  return {
    lags: idx.map(([[, lag]]) => lag),
    throughput: (run.applied[last[1]]! - run.applied[first[1]]!) / seconds,
    replay: (run.replayApplied[last[1]]! - run.replayApplied[first[1]]!) / seconds,
    overTarget: idx.filter(([[, lag]]) => lag > TARGET).map(([[t]]) => t),
  };
}

const MODELS: ToyOptions[] = [
  { partition: 0, capacity: 60_000, liveRate: 12_000, rttBaseMs: 10, rttPerEventMs: 0.01 },
  { partition: 1, capacity: 40_000, liveRate: 8_000, rttBaseMs: 20, rttPerEventMs: 0.01 },
  { partition: 2, capacity: 1_500, liveRate: 150, rttBaseMs: 3, rttPerEventMs: 0.01 },
];

describe('closed-loop simulation (rate law)', () => {
  const clock = new FakeClock();
  const ctl = new FlowController({ job: 'sim', options: { targetApplyLagMs: TARGET }, clock });
  const parts = MODELS.map((m) => new ToyPartition(m, ctl));
  const runs = runLoop(ctl, parts, 60_000, {
    at: (now) => {
      clock.t = now;
      if (now === HALVE_AT) for (const p of parts) p.capacity /= 2;
      if (now === DOUBLE_AT) for (const p of parts) p.capacity *= 2;
    },
  });

  it.each(MODELS.map((m, i) => [m.capacity, i] as const))(
    'C = %i/s: lag p99 ≤ target at ≥ 0.95·C, and the same after C halves',
    (c, i) => {
      const run = runs[i]!;
      const steady = window(run, 10_000, HALVE_AT);
      expect(p99(steady.lags), 'lag p99 before').toBeLessThanOrEqual(TARGET);
      expect(steady.throughput, 'throughput before').toBeGreaterThanOrEqual(0.95 * c);
      const halved = window(run, HALVE_AT + 4_000, DOUBLE_AT);
      expect(p99(halved.lags), 'lag p99 at C/2').toBeLessThanOrEqual(TARGET);
      expect(halved.throughput, 'throughput at C/2').toBeGreaterThanOrEqual(0.9 * (c / 2));
    },
  );

  it.each(MODELS.map((m, i) => [m.capacity, i] as const))(
    'C = %i/s: back under target within 2 s of a halving',
    (_c, i) => {
      const shock = window(runs[i]!, HALVE_AT, HALVE_AT + 4_000);
      expect(Math.max(...shock.lags), 'felt the halving').toBeGreaterThan(TARGET);
      expect(Math.max(...shock.overTarget) - HALVE_AT, 'ms over target').toBeLessThan(2_000);
    },
  );

  it.each(MODELS.map((m, i) => [m, i] as const))(
    'C = $0.capacity/s: the replay reaches 90 % of the doubled capacity within 3 s, lag still ≤ target',
    (m, i) => {
      const after = window(runs[i]!, DOUBLE_AT + 3_000, 60_000);
      expect(after.replay).toBeGreaterThanOrEqual(0.9 * (m.capacity - m.liveRate));
      expect(p99(after.lags)).toBeLessThanOrEqual(TARGET);
    },
  );
});
