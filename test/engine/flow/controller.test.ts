import { describe, expect, it } from 'vitest';
import { FlowController } from '../../../src/engine/flow/index.js';
import { FakeClock, lagSample, makeController, metricValue, noSignalSample, useLimit } from './helpers.js';

const P = 0;

/** A runner that always has data: launches every batch the pace allows during `ms`. */
function saturate(ctl: FlowController, clock: FakeClock, ms = 250): void {
  let due = -1;
  for (let t = 0; t < ms; t += 5) {
    for (let n = 0; ; n++) {
      if (n > 10_000) throw new Error(`the pace never binds (pace ${ctl.inspect(P).pace.rate})`);
      if (due < 0) due = clock.t + ctl.reserve(P, ctl.knobs(P).batchSize);
      if (clock.t < due) break;
      ctl.onBatchLaunched(P, 1, ctl.knobs(P).batchSize);
      due = -1;
    }
    clock.advance(5);
  }
}

/** One decision period: the runner sent what the pace allowed (or nothing), then a sample came. */
function period(ctl: FlowController, clock: FakeClock, lagMs: number, use = true): void {
  if (use) saturate(ctl, clock);
  else clock.advance(250);
  ctl.onLagSample(lagSample({ [P]: lagMs }, clock.t));
}

const pace = (ctl: FlowController) => ctl.inspect(P).pace.rate!;

describe('FlowController (rate law): start and increase', () => {
  it('paces a partition from its first batch at startRate, in batches that cannot burst', () => {
    const { ctl } = makeController();
    // 1000 events/s; a batch is a quarter of the 200 ms target's worth: 50 events.
    expect(ctl.knobs(P)).toEqual({ batchSize: 50, maxInFlight: 2 });
    expect(pace(ctl)).toBe(1000);
    expect(ctl.reserve(P, 500)).toBe(0);
    expect(ctl.reserve(P, 500)).toBe(500); // the second 500 events wait half a second
  });

  it('slow start: the pace at least doubles per sample while no queue stands and it is the limit', () => {
    const { ctl, clock } = makeController();
    const paces = [pace(ctl)];
    for (let i = 0; i < 6; i++) {
      period(ctl, clock, 5);
      paces.push(pace(ctl));
    }
    for (let i = 1; i < paces.length; i++) expect(paces[i]!).toBeGreaterThanOrEqual(1.5 * paces[i - 1]!);
    expect(paces.at(-1)!).toBeGreaterThanOrEqual(16_000);
    // The knobs follow the pace: batch = pace × 50 ms up to maxBatch.
    expect(ctl.knobs(P).batchSize).toBe(Math.min(5000, Math.round(paces.at(-1)! * 0.05)));
  });

  it('does NOT rise when the pace was not the limit', async () => {
    const { ctl, clock, registry } = makeController();
    for (let i = 0; i < 10; i++) {
      ctl.onBatchLaunched(P, 1, 50); // 200 events/s, well under the pace
      clock.advance(250);
      ctl.onLagSample(lagSample({ [P]: 5 }, clock.t));
    }
    expect(pace(ctl)).toBe(1000);
    expect(
      await metricValue(registry, 'replay_controller_decisions_total', {
        action: 'hold',
        reason: 'limit_not_used',
      }),
    ).toBe(10);
  });
});

describe('FlowController (rate law): estimate and decrease', () => {
  /** Paced at 4000/s, a queue forms (60 ms), then grows by 50 ms per 250 ms: μ = 0.8 × 4000. */
  function congested() {
    const h = makeController({ startRate: 4000 });
    period(h.ctl, h.clock, 60);
    expect(pace(h.ctl)).toBe(4000); // under the set point (100 ms): no reason to slow down
    period(h.ctl, h.clock, 110);
    return h;
  }

  it('estimates the apply rate from the lag slope and paces at it', async () => {
    const { ctl, registry } = congested();
    // λ·(1 − dL/dt) = 4000 × 0.8 = 3200, blended with the first bound (≈ 4000 × (1 − 60/250));
    // the lag 10 ms over the set point (100 ms) trims 10/400 of it.
    const estimate = ctl.inspect(P).rate.estimate!;
    expect(estimate).toBeGreaterThan(2900);
    expect(estimate).toBeLessThan(3300);
    expect(pace(ctl)).toBeCloseTo(estimate * (1 - 10 / 400), 6);
    expect(
      await metricValue(registry, 'replay_estimated_apply_rate_events_per_second', {
        job: 'j1',
        partition: '0',
      }),
    ).toBe(estimate);
    expect(await metricValue(registry, 'replay_pace_events_per_second', { job: 'j1', partition: '0' })).toBe(
      pace(ctl),
    );
  });

  it('cuts hard on lag above target: the excess over the set point drains within 2 × target', async () => {
    const { ctl, clock, registry } = congested();
    const before = pace(ctl);
    period(ctl, clock, 300); // +190 ms in 250 ms: the target applies ~24 % of what it gets
    // estimate ≈ 3042 × 0.24 ≈ 730, and (300 − 100) / 400 of it is held back to drain the queue.
    expect(pace(ctl)).toBeLessThan(0.15 * before);
    expect(pace(ctl)).toBeGreaterThanOrEqual(50); // never below one minBatch per second
    expect(
      await metricValue(registry, 'replay_controller_decisions_total', {
        action: 'decrease',
        reason: 'lag_high',
      }),
    ).toBe(1);
  });

  it('does not cut for a queue the replay did not send (live traffic, a slow tick)', async () => {
    const { ctl, clock, registry } = makeController();
    ctl.knobs(P);
    clock.advance(250);
    ctl.onLagSample(lagSample({ [P]: 900 }, clock.t));
    expect(pace(ctl)).toBe(1000);
    expect(
      await metricValue(registry, 'replay_controller_decisions_total', { action: 'hold', reason: 'band' }),
    ).toBe(1);
  });

  it('cuts on 429 and 503 at once, at most once per lag sample', async () => {
    const { ctl, clock, registry } = makeController();
    period(ctl, clock, 5, false);
    ctl.onAttempt({ partition: P, rttMs: 5, events: 50, outcome: 'http429' });
    ctl.onAttempt({ partition: P, rttMs: 5, events: 50, outcome: 'http429' });
    expect(pace(ctl)).toBe(500);
    period(ctl, clock, 5, false);
    ctl.onAttempt({ partition: P, rttMs: 5, events: 50, outcome: 'http503' });
    ctl.onAttempt({ partition: P, rttMs: 5, events: 50, outcome: 'error' });
    expect(pace(ctl)).toBe(250);
    expect(await metricValue(registry, 'replay_controller_decisions_total', { reason: 'http503' })).toBe(1);
    expect(ctl.inspect(P).rate.ssthresh).toBe(250); // slow start now ends at half the pace last cut
  });

  it('judges TransientBackpressure at the next sample: a standing queue is a limit, an empty one is noise', async () => {
    const { ctl, clock, registry } = makeController();
    period(ctl, clock, 5, false);
    // Scattered refusals while the queue is empty (lag 5 ms, set point 100 ms): no cut, and the
    // period still counts as clean, so the pace may grow.
    for (let i = 0; i < 3; i++)
      ctl.onAttempt({ partition: P, rttMs: 5, events: 50, refused: 1, outcome: 'backpressure' });
    expect(pace(ctl)).toBe(1000);
    period(ctl, clock, 5);
    expect(pace(ctl)).toBeGreaterThan(1000);
    expect(
      await metricValue(registry, 'replay_controller_decisions_total', {
        action: 'hold',
        reason: 'backpressure_noise',
      }),
    ).toBe(1);
    const before = pace(ctl);
    // Refusals with a queue above the set point: the target's capacity limit, one cut per sample.
    for (let i = 0; i < 3; i++)
      ctl.onAttempt({ partition: P, rttMs: 5, events: 50, refused: 50, outcome: 'backpressure' });
    expect(pace(ctl)).toBe(before);
    period(ctl, clock, 150);
    expect(pace(ctl)).toBe(before / 2);
    expect(
      await metricValue(registry, 'replay_controller_decisions_total', {
        action: 'decrease',
        reason: 'backpressure',
      }),
    ).toBe(1);
  });

  it('treats replication lag above its limit like congestion', async () => {
    const { ctl, clock, registry } = makeController();
    saturate(ctl, clock);
    ctl.onLagSample({
      id: 10_000,
      atMs: clock.t,
      signal: 'metrics',
      partitions: new Map([[P, { applyLagMs: 5, replicationLagMs: 400, exact: true }]]),
    });
    expect(pace(ctl)).toBe(500);
    expect(
      await metricValue(registry, 'replay_controller_decisions_total', {
        action: 'decrease',
        reason: 'replication_lag',
      }),
    ).toBe(1);
  });
});

describe('FlowController (rate law): hysteresis and decisions', () => {
  it('holds inside the band: a lag hovering around the set point changes nothing', async () => {
    const { ctl, clock, registry } = makeController({ startRate: 4000 });
    const series = [82, 88, 85, 90, 86, 89, 84, 87, 91, 85, 83, 88];
    for (let i = 0; i < 48; i++) period(ctl, clock, series[i % series.length]!);
    expect(pace(ctl)).toBe(4000);
    expect(
      await metricValue(registry, 'replay_controller_decisions_total', { action: 'hold', reason: 'band' }),
    ).toBe(48);
  });

  it('makes at most one decision per lag sample (duplicates and stale samples are ignored)', async () => {
    const { ctl, clock, registry } = makeController();
    saturate(ctl, clock);
    const s = lagSample({ [P]: 5 }, clock.t);
    ctl.onLagSample(s);
    ctl.onLagSample(s);
    ctl.onLagSample({ ...s, id: s.id - 1 });
    expect(pace(ctl)).toBe(2000);
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
      hint: { clientWindowSize: 60, retryBackoffMs: 0 },
    });
    expect(ctl.knobs(P)).toEqual({ batchSize: 50, maxInFlight: 1 });
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let hint = 60;
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

  it('recovers after a stall: lag spike, then normal lag brings the pace back up', () => {
    const { ctl, clock } = makeController();
    for (let i = 0; i < 5; i++) period(ctl, clock, 5);
    const before = pace(ctl);
    expect(before).toBeGreaterThanOrEqual(8000);
    for (let i = 0; i < 8; i++) period(ctl, clock, 150 + i * 250); // apply stalled: lag grows 1:1
    expect(pace(ctl)).toBeLessThan(0.1 * before);
    let periods = 0;
    while (pace(ctl) < before && periods < 60) {
      period(ctl, clock, 5);
      periods++;
    }
    expect(pace(ctl)).toBeGreaterThanOrEqual(before);
    expect(periods).toBeLessThanOrEqual(40); // back within 10 s
  });

  it('a partition joining a running job starts at the median pace of the running ones', () => {
    const { ctl, clock } = makeController();
    for (let i = 0; i < 3; i++) period(ctl, clock, 5);
    expect(pace(ctl)).toBeGreaterThan(4000);
    expect(ctl.inspect(7).pace.rate).toBe(pace(ctl));
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
    expect(grown).toBeGreaterThan(50);
    expect(ctl.inspect(P).pace.rate).toBeNull(); // no lag signal: the pace is released
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
    ctl.onLagSample(noSignalSample(clock.t)); // the target has no lag series: knobs follow RTT
    ctl.knobs(P);
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
      period(ctl, clock, 1500, false);
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
    for (let i = 0; i < 4; i++) ctl.onBatchLaunched(3, 1, 50);
    clock.advance(250);
    ctl.onLagSample(lagSample({ 3: 20 }, clock.t));
    ctl.onBatchLaunched(3, 1, 50);
    clock.advance(250);
    ctl.onLagSample(lagSample({ 3: 900 }, clock.t));
    expect(knobs).toBe(ctl.knobs(3)); // the same live object the runner holds
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      partition: 3,
      knobs,
      decision: { action: 'decrease', reason: 'lag_high' },
    });
    const paced = (changes[0] as { pace: number }).pace;
    expect(paced).toBeLessThan(1000);
    expect(await metricValue(registry, 'replay_batch_size', { job: 'j1', partition: '3' })).toBe(
      knobs.batchSize,
    );
    expect(await metricValue(registry, 'replay_pace_events_per_second', { job: 'j1', partition: '3' })).toBe(
      paced,
    );
    ctl.forget(3);
    expect(
      await metricValue(registry, 'replay_inflight_limit', { job: 'j1', partition: '3' }),
    ).toBeUndefined();
    expect(
      await metricValue(registry, 'replay_pace_events_per_second', { job: 'j1', partition: '3' }),
    ).toBeUndefined();
  });

  it('acquire() honours maxRate with the controller clock and counts throttle time', async () => {
    // startRate far above the cap: the global cap, not the partition's pace, is what binds.
    const { ctl, clock, registry } = makeController({ maxRate: 1000, maxBurst: 250, startRate: 1e6 });
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
