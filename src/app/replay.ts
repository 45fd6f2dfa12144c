/**
 * The composition root: one validated job config → a replay ready to run. `createReplay` opens
 * the state store (and takes the job's run lock), the source and the sink, runs the pre-flight
 * checks, marks the job running under its stream epoch and plans it; `run()` streams it to the
 * end (or until stopped) and closes everything. `run`, `demo`, the benches and a daemon all start
 * here; the CLI only parses flags, shows progress and maps errors to exit codes.
 *
 * Whatever fails half-way, what was opened is closed (in reverse order), and a job already marked
 * running is marked failed with the cause.
 */
import { Registry } from 'prom-client';
import { Closers } from '../common/closers.js';
import { ErrorCode, isReplayError, ReplayError } from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import type { JobConfig } from '../config/index.js';
import type { JobRecord, StateStore } from '../engine/cursor.js';
import { JobRunner, type JobSummary, type RunSnapshot } from '../engine/job-runner.js';
import { createReplayMetrics } from '../engine/metrics.js';
import { type JobPlan, planJob } from '../engine/planner.js';
import { PoisonPolicy } from '../engine/poison.js';
import { PoolExecutor } from '../engine/pool/pool-executor.js';
import type { JobSpec } from '../engine/types.js';
import { startFlow } from './flow.js';
import { type FoldRecording, startFoldRecording } from './fold-recording.js';
import { failJobRecord, finishJobRecord, openStateStore, prepareJobRecord } from './job-record.js';
import { openSink, openSource, portsConfig } from './open.js';
import { preflight, RUN_ROUTING_SAMPLE_ROWS } from './preflight.js';
import { jobSpec, scanPartitions } from './spec.js';
import { POOL_WORKER_FILE } from './worker-ports.js';

export interface ReplayOptions {
  /** Discard the job's cursors and start over under a new stream epoch (`run --restart`). */
  restart?: boolean;
  logger?: Logger;
  /** Where the replay's and the ingest client's metrics go (a `/metrics` server reads it). */
  registry?: Registry;
  /** Worker-thread entry for `workers > 0` (tests supply their own). */
  workerFile?: string;
}

export interface RunSignals {
  /** Graceful stop: no new reads, in-flight batches drain, cursors commit. */
  stop?: AbortSignal;
  /** Hard stop: in-flight sends are abandoned (the next run re-sends them; the target absorbs). */
  abort?: AbortSignal;
}

export interface Replay {
  readonly config: JobConfig;
  readonly spec: JobSpec;
  /** What will be sent (row counts estimated from statistics). */
  readonly plan: JobPlan;
  readonly record: JobRecord;
  /** Whether the target sequences replay streams (contract §2). */
  readonly sequencing: boolean;
  /** The engine's runner: progress snapshots, and the source-side fold once the run is over. */
  readonly runner: JobRunner;
  snapshot(): RunSnapshot;
  /** Metrics snapshots of the worker threads (their sinks' series), for a merged `/metrics`. */
  workerMetrics(): unknown[];
  /** Streams the job to its end or until stopped, then closes everything. Once. */
  run(signals?: RunSignals): Promise<JobSummary>;
  /** Closes without running; with a `cause`, the job (already marked running) is marked failed. */
  close(cause?: unknown): Promise<void>;
}

export async function createReplay(config: JobConfig, opts: ReplayOptions = {}): Promise<Replay> {
  const logger = (opts.logger ?? createLogger()).child({ job: config.job });
  for (const w of config.warnings) logger.warn({ warning: w }, 'config adjusted');
  const registry = opts.registry ?? new Registry();
  const metrics = createReplayMetrics(registry);
  const closers = new Closers(logger);
  const restart = opts.restart ?? false;
  let store: StateStore | undefined;
  let record: JobRecord | undefined;
  try {
    store = closers.add('state store', await openStateStore(config, restart, logger), (s) => s.close());
    const lock = closers.add('run lock', await store.lock(config.job), (l) => l.release());
    const source = closers.add('source', await openSource(config, logger, registry), (s) => s.close());
    const { ids: partitions, perWindow } = await scanPartitions(config, source);
    await withSourceRetries(
      () => preflight(config, source, partitions, logger, RUN_ROUTING_SAMPLE_ROWS),
      logger,
    );
    const sink = closers.add('sink', await openSink(config, logger, registry), (s) => s.close());
    record = await prepareJobRecord(store, sink, config, partitions, restart, logger);
    const spec = jobSpec(config, partitions, record.epoch);
    const plan = await planJob(source, store, spec, {
      rate: config.guardrails.rate,
      exact: false,
      ...(perWindow ? { known: perWindow } : {}),
    });
    // Poison and refused events: kept with their raw row and reason before the cursor passes them.
    const poison = new PoisonPolicy(config.guardrails, store, config.job);
    const flow = closers.add('flow control', startFlow(config, sink, registry, logger), (f) => f.stop());
    const executor =
      config.workers > 0
        ? closers.add(
            'worker pool',
            new PoolExecutor({
              job: config.job,
              windows: spec.windows,
              workers: config.workers,
              parallelPartitions: spec.parallelPartitions,
              partitions,
              readBatchSize: spec.readBatchSize,
              ...(spec.fold ? { fold: spec.fold } : {}),
              workerFile: opts.workerFile ?? POOL_WORKER_FILE,
              portsSpec: portsConfig(
                config,
                Math.ceil(spec.parallelPartitions / config.workers),
                logger.level,
              ),
              logger,
              onWorkerCrash: () => metrics.workerCrashes.inc({ job: config.job }),
            }),
            (e) => e.close(),
          )
        : undefined;
    const runner = new JobRunner(
      {
        source,
        sink,
        store,
        logger,
        metrics,
        flow: flow.hooks,
        deadLetters: (records) => poison.record(records),
        ...(executor ? { executor } : {}),
      },
      spec,
    );
    logger.info(
      {
        partitions: partitions.length,
        planned: plan.totals.remaining,
        sequencing: sink.sequencing,
        streamEpoch: record.epoch,
        workers: config.workers,
      },
      'replay ready',
    );
    const openedStore = store;
    const openedRecord = record;
    let started = false;
    return {
      config,
      spec,
      plan,
      record,
      sequencing: sink.sequencing,
      runner,
      snapshot: () => runner.snapshot(),
      workerMetrics: () => executor?.workerMetrics() ?? [],
      async run(signals = {}) {
        if (started) throw new ReplayError(ErrorCode.Bug, 'Replay.run() called twice');
        started = true;
        let folds: FoldRecording | null = null;
        try {
          folds = await startFoldRecording(config, openedStore, partitions, logger);
          const summary = await runner
            .run({
              stop: signals.stop ?? new AbortController().signal,
              abort: signals.abort ?? new AbortController().signal,
              fence: lock.lost,
              planned: new Map(plan.partitions.map((p) => [p.partition, p.remaining])),
            })
            .catch(async (err: unknown) => {
              await folds?.finish(runner, undefined);
              throw err;
            });
          await folds?.finish(runner, summary);
          await finishJobRecord(openedStore, config.job, openedRecord, summary);
          return summary;
        } catch (err) {
          await failJobRecord(openedStore, config.job, openedRecord, err, logger);
          throw err;
        } finally {
          await closers.closeAll();
        }
      },
      async close(cause?: unknown) {
        if (cause !== undefined && !started)
          await failJobRecord(openedStore, config.job, openedRecord, cause, logger);
        started = true;
        await closers.closeAll();
      },
    };
  } catch (err) {
    if (store && record) await failJobRecord(store, config.job, record, err, logger);
    await closers.closeAll();
    throw err;
  }
}

/** `createReplay` and `run()` in one call (tests, benches, scripts). */
export async function runReplay(
  config: JobConfig,
  opts: ReplayOptions & RunSignals & { onReplay?(r: Replay): void } = {},
): Promise<JobSummary> {
  const replay = await createReplay(config, opts);
  try {
    opts.onReplay?.(replay);
  } catch (err) {
    await replay.close(err);
    throw err;
  }
  return replay.run({
    ...(opts.stop ? { stop: opts.stop } : {}),
    ...(opts.abort ? { abort: opts.abort } : {}),
  });
}

/** Pre-flight reads retry like the replay's own (a terminated connection, a restart), a few times. */
async function withSourceRetries<T>(fn: () => Promise<T>, logger: Logger, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (!(isReplayError(err) && err.canRetry) || i >= attempts) throw err;
      const delay = 200 * 2 ** i;
      logger.warn({ error: err.message, retryInMs: delay }, 'pre-flight check failed; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
