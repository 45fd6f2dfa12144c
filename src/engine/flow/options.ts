/**
 * Options of the flow controller (`flow.*` in a job config). Every field has a default that works
 * alone, so `flow: { targetApplyLagMs: 200 }` is a complete configuration; see README.md for what
 * each knob does to the control loop.
 */
import { ConfigError } from '../../common/errors.js';

export const FlowMode = { Adaptive: 'adaptive', Static: 'static' } as const;
export type FlowMode = (typeof FlowMode)[keyof typeof FlowMode];

export interface FlowControllerOptions {
  /** `adaptive`: paced by the rate law on apply lag; `static`: knobs stay at the start values, metrics only. */
  mode: FlowMode;
  /** Apply lag the controller keeps each partition under (contract §5: ≤ 200 ms is healthy). */
  targetApplyLagMs: number;
  /** How often the target's lag is polled; also the controller's decision period. */
  lagPollIntervalMs: number;
  minBatch: number;
  maxBatch: number;
  startBatch: number;
  startInFlight: number;
  /**
   * Adaptive: the pace (events/s per partition) a partition starts at before the first lag
   * sample; it doubles per sample while the target keeps up. A partition that joins a running
   * job starts at the median pace of the partitions already running, if that is higher.
   */
  startRate: number;
  maxInFlight: number;
  /** Events added to the batch size per increase decision. */
  increaseStep: number;
  /** Multiplier applied on a cut (0.5 halves). */
  decreaseFactor: number;
  /** Increase only while lag < targetApplyLagMs × lowWatermark; hold between that and the target. */
  lowWatermark: number;
  /** Global events/s cap shared by all partitions; 0 = no cap. */
  maxRate: number;
  /** Burst of the global cap, in events; 0 = one decision period's worth (maxRate × interval). */
  maxBurst: number;
  /** replication_lag_ms above this counts like apply lag above target (contract §5: 250). */
  replicationLagLimitMs: number;
  /** Without a lag signal: RTT above baseline × this counts as congestion. */
  rttInflation: number;
}

export const defaultFlowControllerOptions = {
  mode: FlowMode.Adaptive,
  targetApplyLagMs: 200,
  lagPollIntervalMs: 250,
  minBatch: 50,
  maxBatch: 5000,
  startBatch: 1000,
  startInFlight: 2,
  startRate: 1000,
  maxInFlight: 4,
  increaseStep: 250,
  decreaseFactor: 0.5,
  lowWatermark: 0.5,
  maxRate: 0,
  maxBurst: 0,
  replicationLagLimitMs: 250,
  rttInflation: 2,
} as const satisfies FlowControllerOptions;

type NumericField = Exclude<keyof FlowControllerOptions, 'mode'>;

const bounds: Record<NumericField, { min: number; max: number; int: boolean }> = {
  targetApplyLagMs: { min: 1, max: 600_000, int: false },
  lagPollIntervalMs: { min: 10, max: 60_000, int: false },
  minBatch: { min: 1, max: 1_000_000, int: true },
  maxBatch: { min: 1, max: 1_000_000, int: true },
  startBatch: { min: 1, max: 1_000_000, int: true },
  startInFlight: { min: 1, max: 1024, int: true },
  startRate: { min: 1, max: 1e9, int: false },
  maxInFlight: { min: 1, max: 1024, int: true },
  increaseStep: { min: 1, max: 1_000_000, int: true },
  decreaseFactor: { min: 0.05, max: 0.95, int: false },
  lowWatermark: { min: 0, max: 1, int: false },
  maxRate: { min: 0, max: 1e9, int: false },
  maxBurst: { min: 0, max: 1e9, int: true },
  replicationLagLimitMs: { min: 1, max: 600_000, int: false },
  rttInflation: { min: 1.05, max: 100, int: false },
};

/**
 * Defaults → given fields, validated, frozen. A start value the caller did not set is clamped
 * into the caller's range (`{maxBatch: 200}` starts at 200, not at the default 500); a range the
 * caller did set inconsistently is a ConfigError naming `flow.<field>` and the fix.
 */
export function resolveFlowControllerOptions(
  input: Partial<FlowControllerOptions> = {},
): FlowControllerOptions {
  const given = Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined),
  ) as Partial<FlowControllerOptions>;
  const o: FlowControllerOptions = { ...defaultFlowControllerOptions, ...given };
  if (o.mode !== FlowMode.Adaptive && o.mode !== FlowMode.Static) {
    throw new ConfigError('flow.mode', `must be 'adaptive' or 'static' (got ${JSON.stringify(o.mode)})`);
  }
  for (const field of Object.keys(bounds) as NumericField[]) {
    const { min, max, int } = bounds[field];
    const v = o[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v)) || v < min || v > max) {
      const kind = int ? 'an integer' : 'a number';
      throw new ConfigError(
        `flow.${field}`,
        `must be ${kind} in [${min}, ${max}] (got ${JSON.stringify(v)})`,
      );
    }
  }
  if (given.minBatch === undefined && o.minBatch > o.maxBatch) o.minBatch = o.maxBatch;
  if (given.maxBatch === undefined && o.maxBatch < o.minBatch) o.maxBatch = o.minBatch;
  if (o.minBatch > o.maxBatch) {
    throw new ConfigError(
      'flow.minBatch',
      `must be ≤ flow.maxBatch (got ${o.minBatch} > ${o.maxBatch}); lower minBatch or raise maxBatch`,
    );
  }
  if (given.startBatch === undefined) o.startBatch = clamp(o.startBatch, o.minBatch, o.maxBatch);
  if (o.startBatch < o.minBatch || o.startBatch > o.maxBatch) {
    throw new ConfigError(
      'flow.startBatch',
      `must be within [flow.minBatch, flow.maxBatch] = [${o.minBatch}, ${o.maxBatch}] (got ${o.startBatch})`,
    );
  }
  if (given.startInFlight === undefined) o.startInFlight = Math.min(o.startInFlight, o.maxInFlight);
  if (o.startInFlight > o.maxInFlight) {
    throw new ConfigError(
      'flow.startInFlight',
      `must be ≤ flow.maxInFlight (got ${o.startInFlight} > ${o.maxInFlight}); lower it or raise maxInFlight`,
    );
  }
  return Object.freeze(o);
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}
