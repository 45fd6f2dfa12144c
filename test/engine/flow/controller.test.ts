import { describe, expect, it } from 'vitest';
import { FlowController } from '../../../src/engine/flow/index.js';
import { FakeClock, lagSample, makeController, metricValue, noSignalSample, useLimit } from './helpers.js';

const P = 0;

/** One decision period: the runner used the limit, 250 ms passed, a sample arrived. */
function period(ctl: FlowController, clock: FakeClock, lagMs: number, use = true): void {
  if (use) useLimit(ctl, P);
  clock.advance(250);
  ctl.onLagSample(lagSample({ [P]: lagMs }, clock.t));
}

describe('FlowController: increase', () => {
  it('rises while lag is low and the limit is used: batch size first, then in-flight', () => {
    const { ctl, clock } = makeController();
    expect(ctl.knobs(P)).toEqual({ batchSize: 500, maxInFlight: 2 });
    let prevEvents = 1000;
    let prevBatch = 500;
    for (let i = 0; i < 40; i++) {
      period(ctl, clock, 20);
      const k = ctl.knobs(P);
      // In-flight only grows once the batch size has reached maxBatch.
      if (k.maxInFlight === 3 && prevEvents === 10_000) expect(prevBatch).toBe(5000);
      prevBatch = k.batchSize;
      expect(k.batchSize).toBeLessThanOrEqual(5000);
      expect(k.maxInFlight).toBeLessThanOrEqual(8);
      if (prevEvents < 5000 * 8) expect(k.batchSize * k.maxInFlight).toBeGreaterThan(prevEvents);
      prevEvents = k.batchSize * k.maxInFlight;
    }
    expect(ctl.knobs(P).maxInFlight).toBeGreaterThanOrEqual(3);
  });

  it('does NOT rise when the limit was not used', async () => {
    const { ctl, clock, registry } = makeController();
    for (let i = 0; i < 10; i++) {
      ctl.onBatchLaunched(P, 1, 120); // partial batches, one of two in flight
      clock.advance(250);
      ctl.onLagSample(lagSample({ [P]: 10 }, clock.t));
    }
    expect(ctl.knobs(P)).toEqual({ batchSize: 500, maxInFlight: 2 });
    expect(
      await metricValue(registry, 'replay_controller_decisions_total', {
        action: 'hold',
        reason: 'limit_not_used',
      }),
    ).toBe(10);
  });

  it('does not add in-flight when full batches never filled the window', () => {
    const { ctl, clock } = makeController({ startBatch: 5000, maxBatch: 5000 });
    for (let i = 0; i < 5; i++) {
      ctl.onBatchLaunched(P, 1, 5000);
      clock.advance(250);
      ctl.onLagSample(lagSample({ [P]: 10 }, clock.t));
    }
    expect(ctl.knobs(P)).toEqual({ batchSize: 5000, maxInFlight: 2 });
  });
});

describe('FlowController: decrease', () => {
  it('cuts on back-pressure (429, 503, TransientBackpressure) at most once per lag sample', async () => {
    const { ctl, clock, registry } = makeController();
    period(ctl, clock, 120, false);
    for (let i = 0; i < 3; i++)
      ctl.onAttempt({ partition: P, rttMs: 5, events: 500, outcome: 'backpressure' });
    expect(ctl.knobs(P)).toEqual({ batchSize: 500, maxInFlight: 1 });
    period(ctl, clock, 120, false);
    ctl.onAttempt({ partition: P, rttMs: 5, events: 500, outcome: 'http429' });
    ctl.onAttempt({ partition: P, rttMs: 5, events: 500, outcome: 'http429' });
    expect(ctl.knobs(P)).toEqual({ batchSize: 250, maxInFlight: 1 });
    period(ctl, clock, 120, false);
    ctl.onAttempt({ partition: P, rttMs: 5, events: 250, outcome: 'http503' });
    ctl.onAttempt({ partition: P, rttMs: 5, events: 250, outcome: 'error' });
    expect(ctl.knobs(P)).toEqual({ batchSize: 125, maxInFlight: 1 });
    expect(await metricValue(registry, 'replay_controller_decisions_total', { reason: 'http503' })).toBe(1);
  });

  it('cuts on lag above target, once per congestion episode, again if lag stays high', () => {
    const { ctl, clock } = makeController();
    ctl.knobs(P);
    period(ctl, clock, 300, false);
    expect(ctl.knobs(P)).toEqual({ batchSize: 500, maxInFlight: 1 });
    period(ctl, clock, 310, false); // the cut has not reached the head of the queue yet: hold
    expect(ctl.knobs(P)).toEqual({ batchSize: 500, maxInFlight: 1 });
    for (let i = 0; i < 3; i++) period(ctl, clock, 320, false);
    expect(ctl.knobs(P).batchSize).toBe(250);
  });

  it('treats replication lag above its limit like apply lag above target', async () => {
    const { ctl, clock, registry } = makeController();
    ctl.knobs(P);
    clock.advance(250);
    ctl.onLagSample({
      id: 10_000,
      atMs: clock.t,
      signal: 'metrics',
      partitions: new Map([[P, { applyLagMs: 20, replicationLagMs: 400, exact: true }]]),
    });
    expect(ctl.knobs(P).maxInFlight).toBe(1);
    expect(
      await metricValue(registry, 'replay_controller_decisions_total', {
        action: 'decrease',
        reason: 'replication_lag',
      }),
    ).toBe(1);
  });

  it('never goes below the minimums; at them it paces the partition instead', () => {
    const { ctl, clock } = makeController({ minBatch: 100, startBatch: 100, startInFlight: 1 });
    useLimit(ctl, P);
    clock.advance(250);
    ctl.onLagSample(lagSample({ [P]: 500 }, clock.t));
    expect(ctl.knobs(P)).toEqual({ batchSize: 100, maxInFlight: 1 });
    expect(ctl.inspect(P).pace.rate).toBeGreaterThan(0);
    // A paced partition waits: two batches back to back cannot both go now.
    expect(ctl.reserve(P, 100)).toBe(0);
    expect(ctl.reserve(P, 100)).toBeGreaterThan(0);
  });
});

describe('FlowController: hysteresis and pacing of decisions', () => {
  it('holds inside the band: a lag hovering between the low watermark and target changes nothing', async () => {
    const { ctl, clock, registry } = makeController();
    const series = [120, 130, 125, 135, 128, 140, 132, 126, 138, 131, 124, 136, 129, 133, 127, 139];
    for (let i = 0; i < 48; i++) period(ctl, clock, series[i % series.length]!);
    expect(ctl.knobs(P)).toEqual({ batchSize: 500, maxInFlight: 2 });
    expect(
      await metricValue(registry, 'replay_controller_decisions_total', { action: 'hold', reason: 'band' }),
    ).toBe(48);
  });

  it('makes at most one decision per lag sample (duplicates and stale samples are ignored)', async () => {
    const { ctl, clock, registry } = makeController();
    useLimit(ctl, P);
    clock.advance(250);
    const s = lagSample({ [P]: 10 }, clock.t);
    ctl.onLagSample(s);
    useLimit(ctl, P);
    ctl.onLagSample(s);
    ctl.onLagSample({ ...s, id: s.id - 1 });
    expect(ctl.knobs(P).batchSize).toBe(625);
    const m = await registry.getSingleMetric('replay_controller_decisions_total')!.get();
    expect(m.values.reduce((a, v) => a + v.value, 0)).toBe(1);
  });

  it('never exceeds the target hint (batchSize × maxInFlight ≤ client_window_size)', () => {
    const { ctl, clock } = makeController();
    ctl.onAttempt({
      partition: P,
      rttMs: 5,
      events: 500,
      outcome: 'ok',
      hint: { clientWindowSize: 600, retryBackoffMs: 0 },
    });
    expect(ctl.knobs(P)).toEqual({ batchSize: 500, maxInFlight: 1 });
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let hint = 600;
    for (let i = 0; i < 300; i++) {
      if (rnd() < 0.2) {
        hint = Math.floor(30 + rnd() * 20_000);
        ctl.onAttempt({
          partition: P,
          rttMs: 5,
          events: 1,
          outcome: 'ok',
          hint: { clientWindowSize: hint, retryBackoffMs: 0 },
        });
      }
      period(ctl, clock, rnd() < 0.1 ? 400 : 10);
      const k = ctl.knobs(P);
      expect(k.batchSize * k.maxInFlight).toBeLessThanOrEqual(hint);
    }
  });

  it('recovers after a stall: lag spike, then normal lag brings the knobs back up', () => {
    const { ctl, clock } = makeController();
    for (let i = 0; i < 8; i++) period(ctl, clock, 20);
    const before = ctl.knobs(P).batchSize * ctl.knobs(P).maxInFlight;
    for (let i = 0; i < 12; i++) {
      // The runner reserves before each launch (pace), as it would with acquire().
      ctl.reserve(P, ctl.knobs(P).batchSize);
      period(ctl, clock, 2000 + i * 300);
    }
    const low = ctl.knobs(P);
    expect(low.batchSize * low.maxInFlight).toBeLessThan(before);
    expect(ctl.inspect(P).pace.rate).not.toBeNull();
    for (let i = 0; i < 80; i++) {
      const k = ctl.knobs(P);
      for (let j = 0; j < k.maxInFlight + 1; j++) ctl.reserve(P, k.batchSize);
      period(ctl, clock, 5);
    }
    const k = ctl.knobs(P);
    expect(ctl.inspect(P).pace.rate).toBeNull();
    expect(k.batchSize * k.maxInFlight).toBeGreaterThanOrEqual(before);
  });
});

describe('FlowController: no lag signal', () => {
  it('falls back to RTT: grows while RTT stays near its baseline, cuts when RTT inflates', async () => {
    const { ctl, clock, registry } = makeController();
    for (let i = 0; i < 6; i++) {
      useLimit(ctl, P);
      ctl.onAttempt({ partition: P, rttMs: 20, events: 500, outcome: 'ok' });
      clock.advance(250);
      ctl.onLagSample(noSignalSample(clock.t));
    }
    const grown = ctl.knobs(P).batchSize;
    expect(grown).toBeGreaterThan(500);
    expect(
      await metricValue(registry, 'replay_controller_decisions_total', { reason: 'rtt_low' }),
    ).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) ctl.onAttempt({ partition: P, rttMs: 200, events: 500, outcome: 'ok' });
    clock.advance(250);
    ctl.onLagSample(noSignalSample(clock.t));
    expect(ctl.knobs(P).maxInFlight).toBe(1);
    expect(await metricValue(registry, 'replay_controller_decisions_total', { reason: 'rtt_inflated' })).toBe(
      1,
    );
  });

  it('without a lag signal, back-pressure cuts at most once per smoothed RTT', () => {
    const { ctl, clock } = makeController({ startInFlight: 8, maxInFlight: 8 });
    ctl.onAttempt({ partition: P, rttMs: 40, events: 500, outcome: 'ok' });
    ctl.onAttempt({ partition: P, rttMs: 40, events: 500, outcome: 'backpressure' });
    ctl.onAttempt({ partition: P, rttMs: 40, events: 500, outcome: 'backpressure' });
    expect(ctl.knobs(P).maxInFlight).toBe(4);
    clock.advance(50);
    ctl.onAttempt({ partition: P, rttMs: 40, events: 500, outcome: 'backpressure' });
    expect(ctl.knobs(P).maxInFlight).toBe(2);
  });
});

describe('FlowController: static mode, metrics, rate cap', () => {
  it('static mode keeps the knobs fixed and only records metrics', async () => {
    const { ctl, clock, registry } = makeController({ mode: 'static', startBatch: 800, startInFlight: 3 });
    ctl.knobs(P);
    for (let i = 0; i < 5; i++) {
      ctl.onAttempt({
        partition: P,
        rttMs: 5,
        events: 1,
        outcome: 'http429',
        hint: { clientWindowSize: 10, retryBackoffMs: 5 },
      });
      period(ctl, clock, 1500);
    }
    expect(ctl.knobs(P)).toEqual({ batchSize: 800, maxInFlight: 3 });
    expect(
      await metricValue(registry, 'replay_observed_apply_lag_seconds', { job: 'j1', partition: '0' }),
    ).toBe(1.5);
    expect(await metricValue(registry, 'replay_batch_size', { job: 'j1', partition: '0' })).toBe(800);
  });

  it('publishes the live knobs as gauges and reports changes through onChange', async () => {
    const clock = new FakeClock();
    const changes: unknown[] = [];
    const { Registry } = await import('prom-client');
    const registry = new Registry();
    const ctl = new FlowController({ job: 'j1', registry, clock, onChange: (c) => changes.push(c) });
    const knobs = ctl.knobs(3);
    clock.advance(250);
    ctl.onLagSample(lagSample({ 3: 900 }, clock.t));
    expect(knobs).toBe(ctl.knobs(3)); // the same live object the runner holds
    expect(knobs.maxInFlight).toBe(1);
    expect(changes).toEqual([
      { partition: 3, knobs, pace: null, decision: { action: 'decrease', reason: 'lag_high' } },
    ]);
    expect(await metricValue(registry, 'replay_inflight_limit', { job: 'j1', partition: '3' })).toBe(1);
    ctl.forget(3);
    expect(
      await metricValue(registry, 'replay_inflight_limit', { job: 'j1', partition: '3' }),
    ).toBeUndefined();
  });

  it('acquire() honours maxRate with the controller clock and counts throttle time', async () => {
    const { ctl, clock, registry } = makeController({ maxRate: 1000, maxBurst: 250 });
    expect(await ctl.acquire(P, 250)).toBe(0);
    let done = false;
    const waited = ctl.acquire(P, 250).then((ms) => {
      done = true;
      return ms;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(250);
    expect(await waited).toBe(250);
    expect(ctl.tryAcquire(P, 1)).toBe(false);
    expect(
      await metricValue(registry, 'replay_throttle_seconds_total', {
        job: 'j1',
        partition: '0',
        cause: 'rate',
      }),
    ).toBe(0.25);
  });
});
