/** Shared shapes of the flow-control component (poller → controller → runner). */
import type { AttemptOutcome } from '../../sinks/sink.js';

/** Where a lag sample came from; `none` means no endpoint gave a usable lag series. */
export const LagSignal = { Metrics: 'metrics', Readyz: 'readyz', None: 'none' } as const;
export type LagSignal = (typeof LagSignal)[keyof typeof LagSignal];

export interface PartitionLag {
  applyLagMs: number;
  replicationLagMs?: number;
  /**
   * false when only a boolean was available (`/readyz` array form: reason `apply_lag` present or
   * not): the value is then 0 (healthy) or HEALTHY_APPLY_LAG_MS + 1 (over the contract's 200 ms).
   */
  exact: boolean;
}

export interface LagSample {
  /** Strictly increasing per poller. */
  id: number;
  atMs: number;
  signal: LagSignal;
  partitions: Map<number, PartitionLag>;
}

/** Contract §5 thresholds the target itself uses for its `apply_lag` / `replication_lag` reasons. */
export const HEALTHY_APPLY_LAG_MS = 200;
export const HEALTHY_REPLICATION_LAG_MS = 250;

/** The sink classifies every attempt into this vocabulary (the port owns it). */
export { AttemptOutcome } from '../../sinks/sink.js';

export interface AttemptHint {
  clientWindowSize: number;
  retryBackoffMs: number;
}

/** One HTTP attempt (not one retry sequence) of one partition's batch. */
export interface AttemptReport {
  partition: number;
  rttMs: number;
  events: number;
  outcome: AttemptOutcome;
  /** Events refused for capacity (`backpressure` attempts); absent = all of them. */
  refused?: number;
  hint?: AttemptHint;
}

export const FlowAction = { Increase: 'increase', Decrease: 'decrease', Hold: 'hold' } as const;
export type FlowAction = (typeof FlowAction)[keyof typeof FlowAction];

export const FlowReason = {
  LagLow: 'lag_low',
  LagHigh: 'lag_high',
  ReplicationLag: 'replication_lag',
  Band: 'band',
  LimitNotUsed: 'limit_not_used',
  AtMax: 'at_max',
  AtMin: 'at_min',
  Hint: 'hint',
  Backpressure: 'backpressure',
  /** Refusals with the queue below the set point: scattered, not a capacity limit (no cut). */
  Noise: 'backpressure_noise',
  Http429: 'http429',
  Http503: 'http503',
  RttLow: 'rtt_low',
  RttInflated: 'rtt_inflated',
  Unclean: 'unclean_period',
} as const;
export type FlowReason = (typeof FlowReason)[keyof typeof FlowReason];

export interface FlowDecision {
  action: FlowAction;
  reason: FlowReason;
}

/** Milliseconds clock plus a sleep that honours it (tests pass a fake one). */
export interface FlowClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: FlowClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal?.reason);
      };
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
