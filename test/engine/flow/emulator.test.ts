/**
 * The poller and controller against the project's CEPtra emulator (real HTTP on 127.0.0.1): the
 * emulator's own /metrics and /readyz spellings must yield a lag signal the controller acts on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type FetchText, FlowController, LagPoller, type LagSample } from '../../../src/engine/flow/index.js';
import { type SimServer, startSim } from '../../../src/sim/index.js';
import { batch, ev, keyFor, until } from '../../sim/helpers.js';
import { FakeClock } from './helpers.js';

let sim: SimServer | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const fetcher =
  (base: string, rewrite: (path: string) => string | null = (p) => p): FetchText =>
  async (path) => {
    const to = rewrite(path);
    if (to === null) return { status: 404, body: '' };
    const res = await fetch(base + to);
    return { status: res.status, body: await res.text() };
  };

/** 100 events queued on partition 0 of an emulator applying 100 events/s: lag climbs for ~1 s. */
async function loadedSim(): Promise<SimServer> {
  const s = await startSim({ port: 0, partitions: 2, ring: 10_000, applyRate: 100 });
  const key = keyFor(0, 2);
  const res = await batch(
    s.url,
    Array.from({ length: 100 }, (_, i) => ev(`e${i}`, { key })),
  );
  expect(res.every((r) => r.status === 'Healthy')).toBe(true);
  return s;
}

async function sampleOver(poller: LagPoller, ms: number): Promise<LagSample> {
  return until<LagSample | null>(
    async () => {
      const s = await poller.poll();
      return (s.partitions.get(0)?.applyLagMs ?? 0) > ms ? s : null;
    },
    5000,
    20,
  ) as Promise<LagSample>;
}

describe('flow control against the emulator', () => {
  it('reads apply lag from /metrics and cuts the partition above target', async () => {
    sim = await loadedSim();
    const poller = new LagPoller({ fetchText: fetcher(sim.url) });
    const sample = await sampleOver(poller, 200);
    expect(sample.signal).toBe('metrics');
    expect(sample.partitions.get(1)?.applyLagMs).toBe(0);
    const clock = new FakeClock();
    const ctl = new FlowController({ job: 'emu', clock });
    ctl.knobs(0);
    ctl.knobs(1);
    // The replay sent those 100 events (partition 0) over the period the sample closes.
    ctl.onBatchLaunched(0, 1, 50);
    ctl.onBatchLaunched(0, 2, 50);
    clock.advance(250);
    ctl.onLagSample(sample);
    expect(ctl.inspect(0).pace.rate).toBeLessThan(1000); // cut below the start rate
    expect(ctl.inspect(1).pace.rate).toBe(1000); // no lag, nothing sent: unchanged
  });

  it('falls back to /readyz (object and array forms) when /metrics is missing', async () => {
    sim = await loadedSim();
    for (const form of ['', '?format=array']) {
      const poller = new LagPoller({
        fetchText: fetcher(sim.url, (p) => (p === '/metrics' ? null : p + form)),
      });
      const sample = await sampleOver(poller, 200);
      expect(sample.signal).toBe('readyz');
      expect(sample.partitions.get(0)?.exact).toBe(true);
    }
  });
});
