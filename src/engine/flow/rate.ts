/**
 * The rate law: the per-partition control used while the target reports apply lag.
 *
 * CEPtra acknowledges a batch once it is *committed*, not once it is *applied*, so round trips
 * and in-flight limits say nothing about how fast a partition applies: a partition that applies
 * 1,500 events/s acks 20,000 events/s just as fast, and the surplus waits in its commit→apply
 * queue as apply lag. What keeps apply lag low is the *rate* the replay sends at, so the law
 * steers a per-partition pace (events/s) and derives batch size and in-flight from it.
 *
 * Estimating the apply rate from the lag alone. Apply lag is the age of the oldest unapplied
 * event. While the queue is not empty its head moves through the commit history at the apply
 * rate μ, so over a sample period the lag changes by dL/dt = 1 − μ/λ, where λ is the commit rate
 * at the time the head was committed (L ago). Hence μ ≈ λ(now − L) · (1 − dL/dt), with λ the
 * replay's own launch rate then — which, with live traffic sharing the partition, estimates
 * exactly what is left for the replay (at dL/dt = 0 it is μ − live).
 *
 * The law, one decision per lag sample:
 * - queue present: rate = μ̂ · (1 − (L − S) / τ), clamped to [0.1, 1.1] · μ̂, with the set point
 *   S = target × lowWatermark and the drain horizon τ = 2 × target: at L = S the pace equals the
 *   estimated apply rate, above it the excess queue is drained within τ, below it the pace probes
 *   up to 10 % above the estimate;
 * - no standing queue (L ≤ ε = target / 4, about one batch's worth): the target keeps up, so
 *   probe upwards, only if the pace was the binding limit: × 2 per sample below a slow-start
 *   threshold (TCP's ssthresh: unbounded at first, half the pace at every cut), × 1.25 every
 *   other sample above it (each probe is watched for one sample before the next);
 * - μ̂ is smoothed (EWMA ½); with the lag over target, a sample below 0.7 μ̂ replaces it at
 *   once: losing capacity is acted on at the next sample;
 * - below the set point, with the lag not heading above it, the pace is never lowered;
 * - hysteresis: a new pace within ±5 % of the current one is not applied (hold);
 * - back-pressure (TransientBackpressure, 429, 503) or replication lag over its limit multiply
 *   the pace by `decreaseFactor` (once per sample).
 * Batch size = the pace's worth of `BURST_SHARE × target` (a batch lands in the queue at once,
 * so its size is lag the target must absorb); in-flight = enough to carry the pace over the
 * smoothed round trip, ≥ startInFlight.
 */
import type { PartitionKnobs } from '../types.js';
import { clamp, type FlowControllerOptions } from './options.js';
import { FlowAction, type FlowDecision, FlowReason, type PartitionLag } from './types.js';

/** A batch is at most this share of the lag target's worth of the pace. */
const BURST_SHARE = 0.25;
/**
 * Lag at or below this share of the target means no standing queue: one batch (BURST_SHARE of
 * the target's worth of the pace) lands at once and ages while it drains, and the target applies
 * in ticks, so a partition that keeps up shows up to about this much lag.
 */
const EMPTY_QUEUE_SHARE = 0.25;
/** Drain horizon τ as a multiple of the target. */
const DRAIN_HORIZON_TARGETS = 2;
/** Bounds of the pace relative to the estimate. */
const MIN_RATE_SHARE = 0.1;
const MAX_RATE_SHARE = 1.1;
/** Growth per sample with an empty queue: before the first congestion, and after. */
const SLOW_START_GROWTH = 2;
const PROBE_GROWTH = 1.25;
/** Pace changes smaller than this share are not applied (hysteresis). */
const DEADBAND = 0.05;
/** EWMA weight of a new apply-rate sample; a sample this far below the estimate replaces it. */
const ESTIMATE_ALPHA = 0.5;
const ESTIMATE_DROP = 0.7;
/** Launch history kept (periods) and the window the launch rate is averaged over (ms). */
const HISTORY_PERIODS = 120;
const RATE_WINDOW_MS = 500;
/** In-flight covers this many round trips' worth of the pace. */
const INFLIGHT_HEADROOM = 1.5;

export interface LaunchPeriod {
  startMs: number;
  endMs: number;
  events: number;
}

export interface RateState {
  /** Estimated apply rate left for the replay on this partition (events/s); null = unknown. */
  estimate: number | null;
  /**
   * Slow-start threshold (TCP's ssthresh): below it an empty queue doubles the pace per sample;
   * above it the pace grows × 1.25, one probe per two samples (the second one shows whether the
   * target kept up). Infinite until the first congestion; half the pace at each cut after.
   */
  ssthresh: number;
  /** The last decision was a probe above the threshold: observe one sample before the next. */
  probed: boolean;
  /** Launches of past decision periods, oldest first. */
  history: LaunchPeriod[];
  prevLagMs: number | null;
  prevAtMs: number;
}

export function newRateState(): RateState {
  return {
    estimate: null,
    ssthresh: Number.POSITIVE_INFINITY,
    probed: false,
    history: [],
    prevLagMs: null,
    prevAtMs: 0,
  };
}

/** Lowest pace: one minBatch per second, so a paced partition never stops completely. */
export function rateFloor(o: FlowControllerOptions): number {
  return o.minBatch;
}

/** What the rate law needs from the partition's state. */
export interface RateInputs {
  rate: RateState;
  /** Current pace, events/s. */
  pace: number;
  /** A batch waited for the pace during the period (the pace was the binding limit). */
  paceBound: boolean;
  /** Back-pressure or transport errors during the period. */
  unclean: boolean;
  /** Events launched in the current (not yet closed) period, and when it started. */
  launchedEvents: number;
  periodStartMs: number;
}

export interface RateDecision extends FlowDecision {
  /** The new pace (equal to the current one on hold). */
  pace: number;
}

/** Events/s launched over [fromMs, toMs], from the history plus the period open until `nowMs`. */
export function launchRate(inp: RateInputs, nowMs: number, fromMs: number, toMs: number): number {
  if (!(toMs > fromMs)) return 0;
  let events = 0;
  const open: LaunchPeriod = { startMs: inp.periodStartMs, endMs: nowMs, events: inp.launchedEvents };
  const spans = [...inp.rate.history, open];
  let covered = 0;
  for (const p of spans) {
    const len = p.endMs - p.startMs;
    if (len <= 0) continue;
    const overlap = Math.min(p.endMs, toMs) - Math.max(p.startMs, fromMs);
    if (overlap <= 0) continue;
    events += (p.events * overlap) / len;
    covered += overlap;
  }
  // Before the history starts the partition was not sending: rate over the covered part only.
  return covered > 0 ? (events * 1000) / covered : 0;
}

/** Closes a decision period into the launch history. */
export function recordPeriod(rate: RateState, startMs: number, endMs: number, events: number): void {
  if (endMs <= startMs) return;
  rate.history.push({ startMs, endMs, events });
  if (rate.history.length > HISTORY_PERIODS) rate.history.shift();
}

const hold = (pace: number, reason: FlowReason): RateDecision => ({
  action: FlowAction.Hold,
  reason,
  pace,
});

/** One decision of the rate law for one lag sample of this partition. */
export function decideRate(
  inp: RateInputs,
  lag: PartitionLag,
  o: FlowControllerOptions,
  nowMs: number,
): RateDecision {
  const r = inp.rate;
  const L = lag.applyLagMs;
  const prev = r.prevLagMs;
  const dt = nowMs - r.prevAtMs;
  r.prevLagMs = L;
  r.prevAtMs = nowMs;
  const floor = rateFloor(o);
  const overRepl = lag.replicationLagMs !== undefined && lag.replicationLagMs > o.replicationLagLimitMs;
  const recent = launchRate(inp, nowMs, nowMs - RATE_WINDOW_MS, nowMs);
  let next: number;
  let reason: FlowReason;
  if (!lag.exact) {
    // A boolean reading (readyz reasons): over target or not, no slope. Halve over, probe under.
    if (L > o.targetApplyLagMs) {
      next = Math.min(inp.pace, recent || inp.pace) * o.decreaseFactor;
      reason = FlowReason.LagHigh;
    } else if (inp.paceBound && !inp.unclean) {
      next = grow(r, inp.pace);
      reason = FlowReason.LagLow;
    } else return hold(inp.pace, inp.unclean ? FlowReason.Unclean : FlowReason.LimitNotUsed);
  } else {
    const rise = prev === null ? 0 : Math.max(0, L - prev);
    const S = o.targetApplyLagMs * o.lowWatermark;
    updateEstimate(r, inp, L, prev, dt, recent, nowMs, o);
    const empty = EMPTY_QUEUE_SHARE * o.targetApplyLagMs;
    if (L <= empty) {
      // The target keeps up with everything sent: probe upwards, if the pace was the binding
      // limit (× 2 per sample below ssthresh, else × 1.25 every other sample).
      if (inp.unclean) return hold(inp.pace, FlowReason.Unclean);
      if (!inp.paceBound) return hold(inp.pace, FlowReason.LimitNotUsed);
      next = grow(r, inp.pace);
      if (next === inp.pace) return hold(inp.pace, FlowReason.Band);
      reason = FlowReason.LagLow;
    } else {
      // A queue: pace at the estimated apply rate, less what drains the excess over the set
      // point within τ (up to 10 % more below it). Below the set point and not heading above
      // it, a short queue is no reason to slow down.
      const then = launchRate(inp, nowMs, nowMs - L - RATE_WINDOW_MS, nowMs - L);
      if (r.estimate === null || (then === 0 && recent === 0)) {
        // Nothing of the replay's in that queue (or no estimate yet): it is not the replay's to
        // drain. Hold; the next sample tells whether it grows with what the replay sends.
        return hold(inp.pace, FlowReason.Band);
      }
      const tau = DRAIN_HORIZON_TARGETS * o.targetApplyLagMs;
      const estimate = r.estimate;
      next = estimate * clamp(1 - (L - S) / tau, MIN_RATE_SHARE, MAX_RATE_SHARE);
      if (L + rise <= S) next = Math.max(next, inp.pace);
      if (next < inp.pace) reason = L > o.targetApplyLagMs ? FlowReason.LagHigh : FlowReason.Band;
      else if (inp.unclean) return hold(inp.pace, FlowReason.Unclean);
      else if (!inp.paceBound) return hold(inp.pace, FlowReason.LimitNotUsed);
      else reason = FlowReason.LagLow;
    }
  }
  if (overRepl) {
    next = Math.min(next, inp.pace * o.decreaseFactor);
    reason = FlowReason.ReplicationLag;
  }
  next = Math.max(floor, next);
  if (Math.abs(next - inp.pace) <= DEADBAND * inp.pace) return hold(inp.pace, FlowReason.Band);
  if (next < inp.pace) congested(r, inp.pace);
  return { action: next > inp.pace ? FlowAction.Increase : FlowAction.Decrease, reason, pace: next };
}

/**
 * Updates the apply-rate estimate from one exact lag reading: with a queue at both ends of the
 * period, μ ≈ λ(then) · (1 − dL/dt); a queue that formed during the period bounds it from above
 * by λ · (1 − L/dt); an empty queue shows the target kept up with what was launched.
 */
function updateEstimate(
  r: RateState,
  inp: RateInputs,
  L: number,
  prev: number | null,
  dt: number,
  recent: number,
  nowMs: number,
  o: FlowControllerOptions,
): void {
  const empty = EMPTY_QUEUE_SHARE * o.targetApplyLagMs;
  if (L <= empty) {
    if (r.estimate !== null && recent > r.estimate) r.estimate = recent;
    return;
  }
  // λ at the time the head of the queue was committed (L ago), over the rate window.
  const then = launchRate(inp, nowMs, nowMs - L - RATE_WINDOW_MS, nowMs - L) || recent;
  if (then <= 0) return; // the replay sent nothing then: the slope says nothing about its share
  if (prev === null || prev <= empty || !(dt > 0)) {
    const bound = then * clamp(1 - L / Math.max(dt, o.lagPollIntervalMs), 0, 1);
    if (r.estimate === null || bound < r.estimate) r.estimate = bound;
    return;
  }
  const sample = then * Math.max(0, 1 - (L - prev) / dt);
  // A steep drop replaces the estimate at once only with the lag over target: inside the band a
  // single reading (a late tick, a stalled poll) is not trusted alone.
  const drop = L > o.targetApplyLagMs && sample < ESTIMATE_DROP * (r.estimate ?? 0);
  if (r.estimate === null || drop) r.estimate = sample;
  else r.estimate += ESTIMATE_ALPHA * (sample - r.estimate);
}

/** A cut: slow start ends below half the pace the target could not take. */
function congested(r: RateState, pace: number): void {
  r.ssthresh = pace / 2;
  r.probed = false;
}

/** Growth with an empty queue: slow start below ssthresh, else one × 1.25 probe per two samples. */
function grow(r: RateState, pace: number): number {
  if (pace < r.ssthresh) return Math.min(pace * SLOW_START_GROWTH, Math.max(r.ssthresh, pace * PROBE_GROWTH));
  r.probed = !r.probed;
  return r.probed ? pace * PROBE_GROWTH : pace;
}

/** Back-pressure under the rate law: the pace × decreaseFactor (the caller limits it to one per sample). */
export function cutRate(r: RateState, pace: number, o: FlowControllerOptions): number {
  congested(r, pace);
  if (r.estimate !== null) r.estimate *= o.decreaseFactor;
  return Math.max(rateFloor(o), pace * o.decreaseFactor);
}

/**
 * Knobs that carry `pace` without bursting: a batch is `BURST_SHARE × target` worth of the pace
 * (it lands in the target's queue at once), in-flight covers the smoothed round trip, at least
 * `startInFlight`.
 */
export function knobsForPace(
  pace: number,
  srttMs: number | null,
  o: FlowControllerOptions,
  knobs: PartitionKnobs,
): void {
  const burst = (pace * BURST_SHARE * o.targetApplyLagMs) / 1000;
  const batch = clamp(Math.round(burst), o.minBatch, o.maxBatch);
  const perSecond = pace / batch;
  const inFlight =
    srttMs === null
      ? o.startInFlight
      : Math.ceil((perSecond * INFLIGHT_HEADROOM * Math.max(srttMs, 1)) / 1000);
  knobs.batchSize = batch;
  // Never under startInFlight: a round trip stretched by load must not make in-flight the limit.
  knobs.maxInFlight = clamp(Math.max(inFlight, o.startInFlight), 1, o.maxInFlight);
}
