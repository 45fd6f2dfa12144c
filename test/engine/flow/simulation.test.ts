/**
 * Closed loop, pure and deterministic: the controller drives two toy partitions (FIFO apply queue
 * with capacity C, live traffic at 20 % of C, round trip growing with the batch) on a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { FlowController } from '../../../src/engine/flow/index.js';
import { FakeClock } from './helpers.js';
import { runLoop, type SimRun, ToyPartition } from './toy-queue.js';

const TARGET = 200;

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
    overTarget: idx.filter(([[, lag]]) => lag > TARGET).map(([[t]]) => t),
  };
}

describe('closed-loop simulation', () => {
  it('keeps lag p99 ≤ target at ≥ 0.8·C, and recovers within 2 s when C halves', () => {
    const clock = new FakeClock();
    const ctl = new FlowController({ job: 'sim', options: { targetApplyLagMs: TARGET }, clock });
    const models = [
      { partition: 0, capacity: 60_000, liveRate: 12_000, rttBaseMs: 10, rttPerEventMs: 0.01 },
      { partition: 1, capacity: 40_000, liveRate: 8_000, rttBaseMs: 20, rttPerEventMs: 0.01 },
    ];
    const parts = models.map((m) => new ToyPartition(m, ctl));
    const runs = runLoop(ctl, parts, 60_000, {
      at: (now) => {
        clock.t = now;
        if (now === 30_000) for (const p of parts) p.capacity /= 2;
      },
    });
    runs.forEach((run, i) => {
      const c = models[i]!.capacity;
      const steady = window(run, 10_000, 30_000);
      expect(p99(steady.lags), `partition ${i} lag p99 before`).toBeLessThanOrEqual(TARGET);
      expect(steady.throughput, `partition ${i} throughput before`).toBeGreaterThanOrEqual(0.8 * c);
      const shock = window(run, 30_000, 34_000);
      expect(Math.max(...shock.lags), `partition ${i} felt the halving`).toBeGreaterThan(TARGET);
      expect(Math.max(...shock.overTarget), `partition ${i} back under target`).toBeLessThan(32_000);
      const after = window(run, 34_000, 60_000);
      expect(p99(after.lags), `partition ${i} lag p99 after`).toBeLessThanOrEqual(TARGET);
      expect(after.throughput, `partition ${i} throughput after`).toBeGreaterThanOrEqual(0.8 * (c / 2));
    });
  });
});
