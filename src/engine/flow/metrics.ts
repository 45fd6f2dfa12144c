/**
 * The controller's Prometheus series, on an injected registry. Decisions happen a few times per
 * second per partition, so plain labelled calls are cheap enough here.
 *
 * Note: `replay_batch_size` is a gauge here (the current limit per partition); the engine's
 * `src/engine/metrics.ts` registers a histogram of the same name, so the two cannot share one
 * registry until that histogram is renamed.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export const ThrottleCause = { Rate: 'rate', Pace: 'pace', Backpressure: 'backpressure' } as const;
export type ThrottleCause = (typeof ThrottleCause)[keyof typeof ThrottleCause];

export interface FlowMetrics {
  batchSize: Gauge<'job' | 'partition'>;
  inflightLimit: Gauge<'job' | 'partition'>;
  observedApplyLag: Gauge<'job' | 'partition'>;
  pace: Gauge<'job' | 'partition'>;
  applyRateEstimate: Gauge<'job' | 'partition'>;
  throttleSeconds: Counter<'job' | 'partition' | 'cause'>;
  decisions: Counter<'job' | 'action' | 'reason'>;
}

export function createFlowMetrics(registry: Registry): FlowMetrics {
  const registers = [registry];
  /** A per-partition gauge: every controller gauge has the labels job and partition. */
  const partitionGauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ['job', 'partition'] as const, registers });
  return {
    batchSize: partitionGauge(
      'replay_batch_size',
      'Batch size limit the flow controller currently sets, per partition',
    ),
    inflightLimit: partitionGauge(
      'replay_inflight_limit',
      'Batches in flight the flow controller currently allows, per partition',
    ),
    observedApplyLag: partitionGauge(
      'replay_observed_apply_lag_seconds',
      "Target's apply lag last observed by the flow controller",
    ),
    pace: partitionGauge(
      'replay_pace_events_per_second',
      'Events/s the flow controller currently lets a partition send (adaptive, with a lag signal)',
    ),
    applyRateEstimate: partitionGauge(
      'replay_estimated_apply_rate_events_per_second',
      "Apply rate the flow controller estimates is left for the replay on a partition (from the apply lag's slope)",
    ),
    throttleSeconds: new Counter({
      name: 'replay_throttle_seconds_total',
      help: 'Time paused by the global cap (cause=rate), the controller pace (pace) or target back-pressure (backpressure)',
      labelNames: ['job', 'partition', 'cause'],
      registers,
    }),
    decisions: new Counter({
      name: 'replay_controller_decisions_total',
      help: 'Flow-controller decisions by action (increase, decrease, hold) and reason',
      labelNames: ['job', 'action', 'reason'],
      registers,
    }),
  };
}
