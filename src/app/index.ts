/**
 * The composition root: everything a shell (the CLI, a daemon, a bench) needs to run, plan and
 * verify a job from a validated config, with the drivers behind the engine's ports.
 */

export { retryJobDeadLetters, withJobStore } from './dead-letters.js';
export {
  type DemoDatabase,
  demoJobConfig,
  freshDatabase,
  groundTruth,
  openDemoDatabase,
  type SimPartitionTruth,
} from './demo.js';
export { type EmbeddedPg, startEmbeddedPostgres } from './embedded-postgres.js';
export { attemptReport, type FlowRuntime, startFlow } from './flow.js';
export { type FoldRecording, foldSpecOf, startFoldRecording } from './fold-recording.js';
export { openStateStore } from './job-record.js';
export { MergedMetrics, type MetricsSource, startMetricsServer } from './metrics-server.js';
export { openSink, openSource, type PortsConfig, portsConfig } from './open.js';
export { buildPlan } from './plan.js';
export { type PreflightReport, preflight, ROUTING_SAMPLE_ROWS } from './preflight.js';
export { ProgressSampler } from './progress-sampler.js';
export { createReplay, type Replay, type ReplayOptions, type RunSignals, runReplay } from './replay.js';
export { jobSpec, scanPartitions, spanOf } from './spec.js';
export { targetStartupError } from './startup-errors.js';
export { type VerifyOutcome, type VerifyRunOptions, verifyReplay, windowsFromFile } from './verify.js';
