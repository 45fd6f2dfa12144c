/**
 * The flow controller: one live `PartitionKnobs` object per partition (batch size, batches in
 * flight), driven by the target's apply lag, back-pressure, credit hints and RTT, plus the
 * optional global events/s cap. See README.md for the algorithm; the control law is in aimd.ts.
 */

import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { unreachable } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import type { PartitionKnobs } from '../types.js';
import {
  clampToHint,
  cut,
  decideOnRtt,
  endPeriod,
  newPartitionState,
  type PartitionFlowState,
  periodRate,
  recordRtt,
} from './aimd.js';
import { createFlowMetrics, type FlowMetrics, ThrottleCause } from './metrics.js';
import { type FlowControllerOptions, FlowMode, resolveFlowControllerOptions } from './options.js';
import { paceReserve } from './pacing.js';
import { cutRate, decideRate, knobsForPace } from './rate.js';
import { absoluteNowMs, TokenBucket } from './token-bucket.js';
import type { PartitionLag } from './types.js';
import {
  AttemptOutcome,
  type AttemptReport,
  FlowAction,
  type FlowClock,
  type FlowDecision,
  FlowReason,
  type LagSample,
  LagSignal,
  systemClock,
} from './types.js';

export interface KnobChange {
  partition: number;
  knobs: Readonly<PartitionKnobs>;
  /** events/s pace of the partition when the knobs are at their minimums; null = not paced. */
  pace: number | null;
  decision: FlowDecision;
}

export interface FlowControllerDeps {
  job: string;
  options?: Partial<FlowControllerOptions>;
  /** Injected registry (never the global one); a private one when absent. */
  registry?: Registry;
  logger?: Logger;
  clock?: FlowClock;
  /** A bucket to share (e.g. attached to a SharedArrayBuffer); else built from `maxRate`. */
  bucket?: TokenBucket;
  onChange?: (change: KnobChange) => void;
}

export class FlowController {
  readonly options: FlowControllerOptions;
  readonly bucket: TokenBucket | null;
  private readonly job: string;
  private readonly metrics: FlowMetrics;
  private readonly logger: Logger;
  private readonly clock: FlowClock;
  private readonly states = new Map<number, PartitionFlowState>();
  private latestSampleId = 0;
  private latestSignal: LagSignal = LagSignal.None;
  private warnedNoLag = false;

  constructor(private readonly deps: FlowControllerDeps) {
    this.options = resolveFlowControllerOptions(deps.options);
    this.job = deps.job;
    this.metrics = createFlowMetrics(deps.registry ?? new Registry());
    this.logger = (deps.logger ?? silentLogger()).child({ component: 'flow' });
    this.clock = deps.clock ?? systemClock;
    const o = this.options;
    const burst =
      o.maxBurst > 0 ? o.maxBurst : Math.max(1, Math.round((o.maxRate * o.lagPollIntervalMs) / 1000));
    const nowMs = deps.clock ? () => deps.clock!.now() : absoluteNowMs;
    this.bucket =
      deps.bucket ??
      (o.maxRate > 0 ? TokenBucket.create({ ratePerSec: o.maxRate, burst }, nowMs, this.clock.sleep) : null);
  }

  /** The live knobs object of a partition (same object for the partition's lifetime). */
  knobs(partition: number): PartitionKnobs {
    return this.state(partition).knobs;
  }

  /** Diagnostic view of a partition's controller state. */
  inspect(partition: number): Readonly<PartitionFlowState> {
    return this.state(partition);
  }

  /** Stops tracking a finished partition and drops its series. */
  forget(partition: number): void {
    if (!this.states.delete(partition)) return;
    const labels = { job: this.job, partition: String(partition) };
    this.metrics.batchSize.remove(labels);
    this.metrics.inflightLimit.remove(labels);
    this.metrics.pace.remove(labels);
    this.metrics.applyRateEstimate.remove(labels);
    this.metrics.observedApplyLag.remove(labels);
  }

  onLagSample(sample: LagSample): void {
    if (sample.id <= this.latestSampleId) return;
    this.latestSampleId = sample.id;
    this.latestSignal = sample.signal;
    for (const st of this.states.values()) {
      const lag = sample.partitions.get(st.partition);
      if (lag) this.metrics.observedApplyLag.set(this.labels(st), lag.applyLagMs / 1000);
      if (this.options.mode === FlowMode.Static || sample.id <= st.lastDecidedSampleId) continue;
      st.lastDecidedSampleId = sample.id;
      const now = this.clock.now();
      let d: FlowDecision;
      if (lag && this.judgeRefusals(st, lag)) {
        d = { action: FlowAction.Decrease, reason: FlowReason.Backpressure };
      } else if (lag) {
        if (!st.rateMode) this.enterRateMode(st, now);
        const r = decideRate(
          {
            rate: st.rate,
            pace: st.pace.rate ?? this.options.startRate,
            paceBound: st.pace.bound,
            unclean: st.unclean,
            launchedEvents: st.launchedEvents,
            periodStartMs: st.periodStartMs,
          },
          lag,
          this.options,
          now,
        );
        if (r.action !== FlowAction.Hold) this.setPace(st, r.pace);
        d = r;
      } else {
        if (st.rateMode) this.leaveRateMode(st);
        d = decideOnRtt(st, this.options, now);
      }
      endPeriod(st, now);
      this.apply(st, d);
    }
  }

  /**
   * Refusals of the closing period, in rate mode: with a queue standing above the set point
   * (target × lowWatermark) they are the target's capacity limit, and the pace is cut
   * × decreaseFactor (returns true); with the queue below it they are noise — the target is not
   * behind what the replay sends — and the rate law decides as if they had not happened (the
   * sink re-sends what was refused, at the contract's jittered backoff).
   */
  private judgeRefusals(st: PartitionFlowState, lag: PartitionLag): boolean {
    if (!st.rateMode || st.refusedEvents === 0 || st.pace.rate === null) return false;
    const setPoint = this.options.targetApplyLagMs * this.options.lowWatermark;
    if (lag.applyLagMs <= setPoint) {
      this.metrics.decisions.inc({ job: this.job, action: FlowAction.Hold, reason: FlowReason.Noise });
      return false;
    }
    this.setPace(st, cutRate(st.rate, st.pace.rate, this.options));
    return true;
  }

  /**
   * The rate law takes over (a lag signal exists for this partition): paced from now on, at the
   * start rate, or at what it launched over the last period if it was running unpaced.
   */
  private enterRateMode(st: PartitionFlowState, nowMs: number): void {
    st.rateMode = true;
    if (st.pace.rate === null) {
      this.setPace(st, Math.max(this.options.startRate, periodRate(st, nowMs)));
    }
  }

  /** No lag for this partition: the pace is released and the knobs follow RTT (AIMD). */
  private leaveRateMode(st: PartitionFlowState): void {
    st.rateMode = false;
    st.pace.rate = null;
    st.knobs.batchSize = this.options.startBatch;
    st.knobs.maxInFlight = this.options.startInFlight;
    clampToHint(st, this.options);
    if (!this.warnedNoLag) {
      this.warnedNoLag = true;
      this.logger.info(
        { partition: st.partition },
        'no apply-lag reading for a partition: pacing released, batch size and in-flight follow round-trip time and back-pressure',
      );
    }
  }

  /** Sets the pace of a rate-mode partition and the knobs that carry it. */
  private setPace(st: PartitionFlowState, pace: number): void {
    st.pace.rate = pace;
    knobsForPace(pace, st.srttMs, this.options, st.knobs);
    clampToHint(st, this.options);
    this.metrics.pace.set(this.labels(st), pace);
    if (st.rate.estimate !== null) this.metrics.applyRateEstimate.set(this.labels(st), st.rate.estimate);
  }

  onAttempt(r: AttemptReport): void {
    const st = this.state(r.partition);
    if (r.outcome === AttemptOutcome.Ok) recordRtt(st, r.rttMs);
    if (r.hint && r.hint.clientWindowSize > 0) st.hintWindow = r.hint.clientWindowSize;
    if (this.options.mode === FlowMode.Static) return;
    if (clampToHint(st, this.options))
      this.apply(st, { action: FlowAction.Decrease, reason: FlowReason.Hint });
    switch (r.outcome) {
      case AttemptOutcome.Ok:
        return;
      case AttemptOutcome.Error:
        // Transport errors are retried by the sink; they are not proof of congestion, but a
        // period with one is not clean enough to grow in.
        st.unclean = true;
        return;
      case AttemptOutcome.Backpressure:
        // With a lag signal, refusals are judged at the next sample, beside the lag: scattered
        // refusals with an empty queue are noise, not a capacity limit (issue 11: 3 % random
        // refusals drove the pace to its floor, 360 events/s against 1,700 without them).
        if (st.rateMode) st.refusedEvents += r.refused ?? r.events;
        else this.congestion(st, FlowReason.Backpressure);
        return;
      case AttemptOutcome.Http429:
        this.congestion(st, FlowReason.Http429);
        return;
      case AttemptOutcome.Http503:
        this.congestion(st, FlowReason.Http503);
        return;
      default:
        unreachable(r.outcome, 'attempt outcome');
    }
  }

  /** Called by the runner after launching a batch: was the current limit actually used? */
  onBatchLaunched(partition: number, inflightNow: number, batchSize: number): void {
    const st = this.state(partition);
    st.launchedEvents += batchSize;
    if (batchSize >= st.knobs.batchSize) st.fullBatches = true;
    if (inflightNow >= st.knobs.maxInFlight) st.windowFull = true;
  }

  /**
   * Reserves `events` for a batch about to be sent: the partition's pace (only engaged when the
   * knobs are at their minimums or after a lag-driven cut) and the global events/s cap. Returns
   * the ms to wait first.
   */
  reserve(partition: number, events: number): number {
    return this.reserveWithCause(partition, events).waitMs;
  }

  /** Waits until a batch of `events` may be sent (see `reserve`); returns the ms waited. */
  async acquire(partition: number, events: number, signal?: AbortSignal): Promise<number> {
    const { waitMs, cause } = this.reserveWithCause(partition, events);
    if (waitMs <= 0) return 0;
    await this.clock.sleep(waitMs, signal);
    this.recordPause(partition, waitMs, cause);
    return waitMs;
  }

  private reserveWithCause(partition: number, events: number): { waitMs: number; cause: ThrottleCause } {
    const st = this.state(partition);
    const paced = paceReserve(st.pace, events, this.clock.now());
    const global = this.bucket ? this.bucket.reserve(events) : 0;
    return paced >= global
      ? { waitMs: paced, cause: ThrottleCause.Pace }
      : { waitMs: global, cause: ThrottleCause.Rate };
  }

  /** Grants `events` now or not at all (global cap and pace). */
  tryAcquire(partition: number, events: number): boolean {
    const st = this.state(partition);
    const now = this.clock.now();
    if (st.pace.rate !== null && st.pace.tatMs > now) {
      st.pace.bound = true;
      return false;
    }
    if (this.bucket && !this.bucket.tryAcquire(events)) return false;
    paceReserve(st.pace, events, now);
    return true;
  }

  /** Time a partition spent paused outside the bucket (e.g. the sink's back-pressure delay). */
  recordPause(partition: number, ms: number, cause: ThrottleCause): void {
    if (ms > 0)
      this.metrics.throttleSeconds.inc({ job: this.job, partition: String(partition), cause }, ms / 1000);
  }

  /**
   * At most one cut per congestion event: per lag sample while a lag signal exists, else per
   * smoothed RTT. The in-flight batches of one congested moment all report back-pressure.
   */
  private congestion(st: PartitionFlowState, reason: FlowReason): void {
    st.unclean = true;
    const perSample = this.latestSampleId > 0 && this.latestSignal !== LagSignal.None;
    const allowed = perSample
      ? st.lastCutSampleId < this.latestSampleId
      : this.clock.now() - st.lastCutAtMs >= (st.srttMs ?? 0);
    if (!allowed) return;
    if (st.rateMode && st.pace.rate !== null) {
      this.setPace(st, cutRate(st.rate, st.pace.rate, this.options));
      this.apply(st, { action: FlowAction.Decrease, reason });
      return;
    }
    this.apply(st, cut(st, this.options, reason, this.clock.now()));
  }

  private apply(st: PartitionFlowState, d: FlowDecision): void {
    this.metrics.decisions.inc({ job: this.job, action: d.action, reason: d.reason });
    if (d.action === FlowAction.Hold) return;
    if (d.action === FlowAction.Decrease && d.reason !== FlowReason.Hint) {
      st.lastCutSampleId = this.latestSampleId;
      st.lastCutAtMs = this.clock.now();
    }
    this.publish(st);
    this.logger.debug(
      { partition: st.partition, ...d, ...st.knobs, pace: st.pace.rate },
      'flow knobs changed',
    );
    this.deps.onChange?.({ partition: st.partition, knobs: st.knobs, pace: st.pace.rate, decision: d });
  }

  private state(partition: number): PartitionFlowState {
    let st = this.states.get(partition);
    if (!st) {
      st = newPartitionState(partition, this.options, this.clock.now());
      // A partition that joins mid-run decides from the next sample on.
      st.lastDecidedSampleId = this.latestSampleId;
      if (this.options.mode === FlowMode.Adaptive && !this.knownWithoutLag()) {
        // Paced from its first batch: an unpaced start would put a burst into the target's queue
        // before the first lag sample could show it. Joining a running job, it starts at the
        // median pace of the running partitions (they share the target), if that is higher.
        st.rateMode = true;
        this.setPace(st, Math.max(this.options.startRate, this.medianPace()));
      }
      this.states.set(partition, st);
      this.publish(st);
    }
    return st;
  }

  /** The poller has answered and found no lag series on the target. */
  private knownWithoutLag(): boolean {
    return this.latestSampleId > 0 && this.latestSignal === LagSignal.None;
  }

  private medianPace(): number {
    const paces: number[] = [];
    for (const s of this.states.values()) if (s.rateMode && s.pace.rate !== null) paces.push(s.pace.rate);
    if (paces.length === 0) return 0;
    paces.sort((a, b) => a - b);
    return paces[Math.floor(paces.length / 2)]!;
  }

  private publish(st: PartitionFlowState): void {
    this.metrics.batchSize.set(this.labels(st), st.knobs.batchSize);
    this.metrics.inflightLimit.set(this.labels(st), st.knobs.maxInFlight);
  }

  private labels(st: PartitionFlowState): { job: string; partition: string } {
    return { job: this.job, partition: String(st.partition) };
  }
}
