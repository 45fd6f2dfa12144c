/**
 * Per-partition controller state, and the AIMD law on batch size and in-flight used when the
 * target gives no lag signal (RTT and back-pressure only): additive increase while the period was
 * clean and the limit was used, multiplicative decrease on RTT inflation or back-pressure, never
 * above the target's hint. With a lag signal the rate law (rate.ts) steers instead. Free of I/O
 * and clocks so it can be tested step by step.
 */
import type { PartitionKnobs } from '../types.js';
import { clamp, type FlowControllerOptions } from './options.js';
import { newPaceState, type PaceState, paceCut, paceIncrease } from './pacing.js';
import { newRateState, type RateState, recordPeriod } from './rate.js';
import { FlowAction, type FlowDecision, FlowReason } from './types.js';

/** RTT baseline = min of the per-decision-period minima over this many periods (5 s at 250 ms). */
const RTT_BASELINE_PERIODS = 20;
/** An increase adds at most this share of the current batch (a +250 step on a 50-event batch
 * would multiply the rate by 6 and overshoot by a queue's worth). */
const MAX_STEP_SHARE = 0.25;
/** EWMA weight of a new RTT sample (TCP's 1/8). */
const SRTT_ALPHA = 0.125;

export interface PartitionFlowState {
  readonly partition: number;
  /** The live object the runner reads before every batch. */
  readonly knobs: PartitionKnobs;
  /** Last `client_window_size`: batchSize × maxInFlight never exceeds it. */
  hintWindow: number | null;
  /** Since the last decision: a launched batch was full / in-flight reached the limit. */
  fullBatches: boolean;
  windowFull: boolean;
  /** Since the last decision: back-pressure or transport errors (blocks an increase). */
  unclean: boolean;
  /**
   * Since the last decision, rate mode: events the target refused for capacity. Judged at the
   * next lag sample against the lag (controller.ts `judgeRefusals`), not one cut per refusal.
   */
  refusedEvents: number;
  lastDecidedSampleId: number;
  /** Latest sample id at the moment of the last cut, and when it happened. */
  lastCutSampleId: number;
  lastCutAtMs: number;
  srttMs: number | null;
  periodMinRttMs: number;
  rttMinima: number[];
  /** Events launched since the last decision, and when that period started. */
  launchedEvents: number;
  periodStartMs: number;
  /** The pace (pacing.ts): steered by the rate law, or the lowest AIMD tier without a lag signal. */
  pace: PaceState;
  /** true while the rate law steers (a lag signal exists); false in the RTT fallback. */
  rateMode: boolean;
  rate: RateState;
}

export function newPartitionState(
  partition: number,
  o: FlowControllerOptions,
  nowMs: number,
): PartitionFlowState {
  return {
    partition,
    knobs: { batchSize: o.startBatch, maxInFlight: o.startInFlight },
    hintWindow: null,
    fullBatches: false,
    windowFull: false,
    unclean: false,
    refusedEvents: 0,
    lastDecidedSampleId: 0,
    lastCutSampleId: -1,
    lastCutAtMs: Number.NEGATIVE_INFINITY,
    srttMs: null,
    periodMinRttMs: Number.POSITIVE_INFINITY,
    rttMinima: [],
    launchedEvents: 0,
    periodStartMs: nowMs,
    pace: newPaceState(),
    rateMode: false,
    rate: newRateState(),
  };
}

const decision = (action: FlowAction, reason: FlowReason): FlowDecision => ({ action, reason });

/** Decision for a period without a lag value for this partition: credit hints and RTT only. */
export function decideOnRtt(st: PartitionFlowState, o: FlowControllerOptions, nowMs: number): FlowDecision {
  if (Number.isFinite(st.periodMinRttMs)) {
    st.rttMinima.push(st.periodMinRttMs);
    if (st.rttMinima.length > RTT_BASELINE_PERIODS) st.rttMinima.shift();
  }
  st.periodMinRttMs = Number.POSITIVE_INFINITY;
  const baseline = st.rttMinima.length > 0 ? Math.min(...st.rttMinima) : null;
  if (st.srttMs !== null && baseline !== null && st.srttMs > baseline * o.rttInflation) {
    return cut(st, o, FlowReason.RttInflated, nowMs);
  }
  if (st.unclean) return decision(FlowAction.Hold, FlowReason.Unclean);
  if (st.srttMs === null) return decision(FlowAction.Hold, FlowReason.LimitNotUsed);
  return increase(st, o, FlowReason.RttLow);
}

/** Clears the per-period flags after a decision. */
export function endPeriod(st: PartitionFlowState, nowMs: number): void {
  recordPeriod(st.rate, st.periodStartMs, nowMs, st.launchedEvents);
  st.launchedEvents = 0;
  st.periodStartMs = nowMs;
  st.pace.bound = false;
  st.fullBatches = false;
  st.windowFull = false;
  st.unclean = false;
  st.refusedEvents = 0;
}

/** Events/s launched in the current (open) decision period. */
export function periodRate(st: PartitionFlowState, nowMs: number): number {
  const elapsed = nowMs - st.periodStartMs;
  return elapsed > 0 ? (st.launchedEvents * 1000) / elapsed : 0;
}

export function recordRtt(st: PartitionFlowState, rttMs: number): void {
  if (!(rttMs >= 0) || !Number.isFinite(rttMs)) return;
  st.srttMs = st.srttMs === null ? rttMs : st.srttMs + SRTT_ALPHA * (rttMs - st.srttMs);
  if (rttMs < st.periodMinRttMs) st.periodMinRttMs = rttMs;
}

/**
 * Pacing released first, then batch size up to maxBatch, then one more batch in flight; each only
 * if it was the binding limit during the period.
 */
export function increase(st: PartitionFlowState, o: FlowControllerOptions, reason: FlowReason): FlowDecision {
  if (st.pace.rate !== null) {
    if (st.pace.bound) {
      paceIncrease(st.pace);
      return decision(FlowAction.Increase, reason);
    }
    st.pace.rate = null; // the knobs bind, not the pace: release it, grow them next time
    return decision(FlowAction.Increase, reason);
  }
  const k = st.knobs;
  const cap = st.hintWindow ?? Number.POSITIVE_INFINITY;
  if (k.batchSize < o.maxBatch && st.fullBatches) {
    const next = Math.min(
      o.maxBatch,
      k.batchSize + Math.min(o.increaseStep, Math.ceil(k.batchSize * MAX_STEP_SHARE)),
      Math.floor(cap / k.maxInFlight),
    );
    if (next <= k.batchSize) return decision(FlowAction.Hold, FlowReason.Hint);
    k.batchSize = next;
    return decision(FlowAction.Increase, reason);
  }
  if (k.batchSize < o.maxBatch || !st.windowFull) return decision(FlowAction.Hold, FlowReason.LimitNotUsed);
  if (k.maxInFlight >= o.maxInFlight) return decision(FlowAction.Hold, FlowReason.AtMax);
  // One more batch in flight, with the batch size lowered so that events in flight grow by at
  // most MAX_STEP_SHARE (1 → 2 in flight would otherwise double the rate in one step); the batch
  // size then climbs back to maxBatch step by step before the next in-flight increase.
  const inFlight = k.maxInFlight + 1;
  const batch = Math.max(
    o.minBatch,
    Math.floor((k.batchSize * k.maxInFlight * (1 + MAX_STEP_SHARE)) / inFlight),
  );
  if (inFlight * Math.min(batch, k.batchSize) > cap) return decision(FlowAction.Hold, FlowReason.Hint);
  k.maxInFlight = inFlight;
  k.batchSize = Math.min(batch, k.batchSize);
  return decision(FlowAction.Increase, reason);
}

/**
 * In-flight first (× decreaseFactor), then batch size, never below 1 / minBatch; at both minimums
 * the partition is paced (events/s, × decreaseFactor per further cut) — the only way to go slower
 * than one minBatch per round trip.
 */
export function cut(
  st: PartitionFlowState,
  o: FlowControllerOptions,
  reason: FlowReason,
  nowMs: number,
): FlowDecision {
  const k = st.knobs;
  const measured = periodRate(st, nowMs);
  if (k.maxInFlight > 1) {
    k.maxInFlight = Math.max(1, Math.floor(k.maxInFlight * o.decreaseFactor));
  } else if (k.batchSize > o.minBatch) {
    k.batchSize = Math.max(o.minBatch, Math.floor(k.batchSize * o.decreaseFactor));
  } else if (!paceCut(st.pace, measured, o.decreaseFactor, o)) {
    return decision(FlowAction.Hold, FlowReason.AtMin);
  }
  return decision(FlowAction.Decrease, reason);
}

/**
 * Applies a new `client_window_size` at once (cuts are never delayed): in-flight first, then the
 * batch size. The hint wins over minBatch — exceeding it only buys back-pressure.
 */
export function clampToHint(st: PartitionFlowState, o: FlowControllerOptions): boolean {
  const cap = st.hintWindow;
  const k = st.knobs;
  if (cap === null || k.batchSize * k.maxInFlight <= cap) return false;
  k.maxInFlight = clamp(Math.floor(cap / k.batchSize), 1, k.maxInFlight);
  if (k.batchSize * k.maxInFlight > cap) k.batchSize = Math.max(1, Math.min(o.maxBatch, Math.floor(cap)));
  return true;
}
