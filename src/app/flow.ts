/**
 * Flow control for a run: the controller and lag poller live in the main thread; sinks (inline or
 * in worker threads) report every attempt, and every batch asks before it launches (pace and the
 * global events/s cap). Maps the sink's attempts onto the controller's outcome vocabulary.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../common/logger.js';
import type { JobConfig } from '../config/index.js';
import {
  type AttemptReport,
  defaultFlowControllerOptions,
  FlowController,
  LagPoller,
} from '../engine/flow/index.js';
import type { FlowHooks } from '../engine/job-runner.js';
import type { CeptraSink } from '../sinks/ceptra/index.js';
import type { SinkAttempt } from '../sinks/sink.js';

/** The sink's classified attempt, as the controller takes it (the sink owns the classification). */
export function attemptReport(a: SinkAttempt): AttemptReport {
  return {
    partition: a.partition,
    rttMs: a.rttMs,
    events: a.events,
    outcome: a.outcome,
    refused: a.refused,
    ...(a.hint ? { hint: a.hint } : {}),
  };
}

export interface FlowRuntime {
  hooks: FlowHooks;
  controller: FlowController;
  stop(): Promise<void>;
}

export function startFlow(
  config: JobConfig,
  sink: CeptraSink,
  registry: Registry,
  logger: Logger,
): FlowRuntime {
  const f = config.flow;
  const controller = new FlowController({
    job: config.job,
    registry,
    logger,
    options: {
      mode: f.mode,
      targetApplyLagMs: f.targetApplyLagMs,
      lagPollIntervalMs: f.lagPollIntervalMs,
      minBatch: f.mode === 'static' ? Math.min(f.minBatch, f.batchSize) : f.minBatch,
      maxBatch: Math.max(f.maxBatch, f.mode === 'static' ? f.batchSize : 0),
      startBatch:
        f.mode === 'static'
          ? f.batchSize
          : Math.min(f.maxBatch, Math.max(f.minBatch, f.startBatch ?? f.batchSize)),
      startInFlight:
        f.mode === 'static'
          ? f.maxInFlight
          : Math.min(f.maxInFlight, f.startInFlight ?? defaultFlowControllerOptions.startInFlight),
      maxInFlight: f.maxInFlight,
      startRate: f.startRate,
      increaseStep: f.increaseStep,
      decreaseFactor: f.decreaseFactor,
      lowWatermark: f.lowWatermark,
      maxRate: f.maxRate,
      maxBurst: f.maxBurst,
      replicationLagLimitMs: f.replicationLagLimitMs,
      rttInflation: f.rttInflation,
    },
  });
  const poller =
    f.mode === 'adaptive'
      ? new LagPoller({
          fetchText: (path) => sink.control.fetchText(path),
          intervalMs: f.lagPollIntervalMs,
          logger,
          onSample: (s) => controller.onLagSample(s),
        })
      : null;
  poller?.start();
  const onAttempt = (a: SinkAttempt) => controller.onAttempt(attemptReport(a));
  sink.onAttempt = onAttempt; // the inline sink; pooled sinks forward theirs through the executor
  const hooks: FlowHooks = {
    knobs: (p) => controller.knobs(p),
    beforeLaunch: async (p, events, inflight, signal) => {
      await controller.acquire(p, events, signal);
      controller.onBatchLaunched(p, inflight, events);
    },
    onAttempt,
    forget: (p) => controller.forget(p),
  };
  return {
    hooks,
    controller,
    stop: async () => {
      await poller?.stop();
    },
  };
}
