import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/engine/flow/index.js';

describe('TokenBucket (GCRA over a SharedArrayBuffer)', () => {
  it('grants the burst from idle, then exactly the rate over a bounded run (fake clock)', () => {
    let t = 1_000_000;
    const b = TokenBucket.create({ ratePerSec: 1000, burst: 100 }, () => t);
    let grants = 0;
    while (b.tryAcquire(1)) grants++;
    expect(grants).toBe(100);
    // 10 simulated seconds in 1 ms steps, greedy consumer: 1000 events/s exactly.
    let later = 0;
    for (let step = 0; step < 10_000; step++) {
      t += 1;
      while (b.tryAcquire(1)) later++;
    }
    expect(later).toBe(10_000);
  });

  it('batch grants: a batch larger than the burst never fits tryAcquire but reserve() queues it', () => {
    let t = 0;
    const b = TokenBucket.create({ ratePerSec: 500, burst: 100 }, () => t);
    expect(b.tryAcquire(101)).toBe(false);
    expect(b.reserve(300)).toBeCloseTo(400, 6); // (300 − 100) / 500 s
    expect(b.reserve(50)).toBeCloseTo(500, 6); // queued behind the first
    t += 500;
    expect(b.tryAcquire(1)).toBe(false);
    t += 100;
    expect(b.tryAcquire(50)).toBe(true);
  });

  it('rate 0 disables the cap; setRate applies to every view of the buffer', () => {
    const t = 0;
    const b = TokenBucket.create({ ratePerSec: 0, burst: 1 }, () => t);
    expect(b.enabled).toBe(false);
    for (let i = 0; i < 1000; i++) expect(b.tryAcquire(1_000_000)).toBe(true);
    const view = TokenBucket.attach(b.buffer, () => t);
    view.setRate(10, 2);
    expect(b.ratePerSec).toBe(10);
    expect(b.tryAcquire(1)).toBe(true);
    expect(view.tryAcquire(1)).toBe(true);
    expect(b.tryAcquire(1)).toBe(false);
  });

  describe('shared by two worker threads', () => {
    const workers: Worker[] = [];
    afterEach(async () => {
      await Promise.all(workers.map((w) => w.terminate()));
      workers.length = 0;
    });

    it('never grants more than the capacity in total', async () => {
      const clock = new SharedArrayBuffer(8);
      const now = new Float64Array(clock);
      now[0] = 5_000;
      const control = new SharedArrayBuffer(8);
      const ctl = new Int32Array(control);
      const burst = 5000;
      const rate = 20_000;
      const bucket = TokenBucket.create({ ratePerSec: rate, burst }, () => now[0]!);
      const boot = fileURLToPath(new URL('./ts-worker-boot.mjs', import.meta.url));
      const entry = new URL('./bucket-worker.ts', import.meta.url).href;
      const results = new Map<number, number[]>();
      const done: Promise<void>[] = [];
      for (let i = 0; i < 2; i++) {
        const w = new Worker(boot, { workerData: { entry, bucket: bucket.buffer, clock, control } });
        workers.push(w);
        results.set(i, []);
        done.push(
          new Promise((resolve, reject) => {
            w.on('error', reject);
            w.on('message', (m: { round?: number; grants?: number; done?: boolean }) => {
              if (m.done) resolve();
              else results.get(i)!.push(m.grants!);
            });
          }),
        );
      }
      const roundDone = async (round: number) => {
        while ([...results.values()].some((r) => r.length < round))
          await new Promise((r) => setTimeout(r, 5));
      };
      // Round 1 at a frozen time: together they may take the burst, not one grant more.
      // Round 2 after 100 ms: another rate × 0.1 s.
      for (const [round, advanceMs] of [
        [1, 0],
        [2, 100],
      ] as const) {
        now[0]! += advanceMs;
        Atomics.store(ctl, 0, round);
        Atomics.notify(ctl, 0);
        await roundDone(round);
      }
      Atomics.store(ctl, 1, 1);
      Atomics.store(ctl, 0, 3);
      Atomics.notify(ctl, 0);
      await Promise.all(done);
      const [a, b] = [results.get(0)!, results.get(1)!];
      expect(a[0]! + b[0]!).toBe(burst);
      expect(a[1]! + b[1]!).toBe((rate * 100) / 1000);
      // Nothing left for the main thread either.
      expect(bucket.tryAcquire(1)).toBe(false);
    });
  });
});
