/** Apply-lag-driven flow control: lag poller, the rate law (AIMD only without a lag signal), global events/s cap. */
export type { PartitionFlowState } from './aimd.js';
export { FlowController, type FlowControllerDeps, type KnobChange } from './controller.js';
export { type FetchText, LagPoller, type LagPollerOptions } from './lag-poller.js';
export { lagFromMetrics, lagFromReadyz } from './lag-sources.js';
export { createFlowMetrics, type FlowMetrics, ThrottleCause } from './metrics.js';
export {
  defaultFlowControllerOptions,
  type FlowControllerOptions,
  FlowMode,
  resolveFlowControllerOptions,
} from './options.js';
export { type PromSample, parsePromText } from './prom-text.js';
export { absoluteNowMs, TOKEN_BUCKET_BYTES, TokenBucket, type TokenBucketOptions } from './token-bucket.js';
export {
  type AttemptHint,
  AttemptOutcome,
  type AttemptReport,
  FlowAction,
  type FlowClock,
  type FlowDecision,
  FlowReason,
  HEALTHY_APPLY_LAG_MS,
  HEALTHY_REPLICATION_LAG_MS,
  type LagSample,
  LagSignal,
  type PartitionLag,
  systemClock,
} from './types.js';
