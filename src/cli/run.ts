/**
 * `ceptra-replay run --config job.yaml`: the replay. Exit codes: 0 done, 1 failed, 2 bad input
 * (nothing sent), 3 interrupted and resumable (SIGINT/SIGTERM: stop reading, drain, commit).
 */
import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { Closers } from '../common/closers.js';
import { ConfigError, ExitCode, errorMessage, isReplayError } from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import { type JobConfig, jobSpecHash, loadJobConfig } from '../config/index.js';
import { type JobRecord, JobState, type StateStore } from '../engine/cursor.js';
import { JobRunner, type JobSummary } from '../engine/job-runner.js';
import { createReplayMetrics } from '../engine/metrics.js';
import { planJob } from '../engine/planner.js';
import { PoisonPolicy } from '../engine/poison.js';
import { PoolExecutor } from '../engine/pool/pool-executor.js';
import { createStateStore, FileStateStore } from '../engine/state/index.js';
import { chooseStreamEpoch } from '../engine/stream-epoch.js';
import type { Sink } from '../sinks/sink.js';
import { action } from './exit.js';
import { addJobFlags, configOverrides, type JobFlags } from './flags.js';
import { startFlow } from './flow-wiring.js';
import { jobSpec, openSink, openSource, portsConfig, scanPartitions } from './job-context.js';
import { startMetricsServer } from './metrics-server.js';
import { preflight } from './preflight.js';
import { formatDuration, startProgress } from './progress.js';
import { startFoldRecording, verifyAfterRun, windowsFromFile } from './verify.js';
import { POOL_WORKER_FILE } from './worker-ports.js';

export interface RunOptions {
  restart?: boolean;
  metricsPort?: number;
  progress?: boolean;
  logger?: Logger;
  /** Graceful stop (SIGINT/SIGTERM); the CLI wires signals to it. */
  stop?: AbortSignal;
  abort?: AbortSignal;
  registry?: Registry;
  /** Sees the job runner once built (verification reads its source-side fold). */
  onRunner?(runner: JobRunner): void;
}

/**
 * Opens the state store. `--restart` on a corrupt state file moves it aside (it cannot be trusted,
 * and the restart discards the job's cursors anyway); without `--restart` the error says so.
 */
async function openStore(config: JobConfig, restart: boolean, logger: Logger, closers: Closers) {
  const store = closers.add('state store', createStateStore(config.state, { logger }), (s) => s.close());
  try {
    await store.init();
  } catch (err) {
    if (!(restart && isReplayError(err) && err.code === 'STATE_CORRUPT' && store instanceof FileStateStore))
      throw err;
    const aside = await store.quarantine();
    logger.warn(
      { movedTo: aside },
      '--restart: the state file was corrupt; moved it aside and starting over',
    );
  }
  return store;
}

/**
 * The job record and the stream epoch of this run. A resumed job continues its epoch; `--restart`
 * and a job the store does not know (first run, or lost state) take a new one, checked against
 * the target so a stream id is never reused (contract §2).
 */
async function prepareJobRecord(
  store: StateStore,
  sink: Pick<Sink, 'sequencing' | 'lastSeq'>,
  config: JobConfig,
  partitions: number[],
  restart: boolean,
  logger: Logger,
): Promise<JobRecord> {
  const hash = jobSpecHash(config);
  const existing = await store.getJob(config.job);
  let epoch: number;
  if (restart) {
    epoch = await store.reset(config.job);
    logger.warn({ job: config.job }, '--restart: discarded the cursors of this job');
  } else if (existing && existing.specHash !== hash) {
    throw new ConfigError(
      'job',
      `job "${config.job}" already ran with a different window, source or partition count, so its cursors do not apply. Use a new job id, or pass --restart to discard its cursors and replay from the start under a new replay stream (the target's event-id dedup absorbs events it already applied, within its retry window).`,
    );
  } else {
    epoch = existing ? existing.epoch : 1;
  }
  if (restart || !existing)
    epoch = await chooseStreamEpoch(sink, config.job, partitions, Math.max(1, epoch), logger);
  const now = new Date();
  const record: JobRecord = {
    specHash: hash,
    state: JobState.Running,
    epoch,
    createdAt: existing && !restart ? existing.createdAt : now,
    updatedAt: now,
  };
  await store.putJob(config.job, record);
  return record;
}

/** Runs a job to its end (or until stopped); the CLI and the demo share it. */
export async function runJob(config: JobConfig, opts: RunOptions = {}): Promise<JobSummary> {
  const logger = (opts.logger ?? createLogger()).child({ job: config.job });
  for (const w of config.warnings) logger.warn({ warning: w }, 'config adjusted');
  const registry = opts.registry ?? new Registry();
  const metrics = createReplayMetrics(registry);
  const closers = new Closers(logger);
  let store: StateStore | undefined;
  let record: JobRecord | undefined;
  try {
    if (opts.metricsPort !== undefined) {
      const port = opts.metricsPort;
      const started = await startMetricsServer(registry, port).catch((err: unknown) => {
        const code = (err as { code?: string }).code;
        throw code === 'EADDRINUSE' || code === 'EACCES'
          ? new ConfigError(
              '--metrics-port',
              `cannot serve /metrics on 127.0.0.1:${port} (${code}); pick a free port`,
              {
                cause: err,
              },
            )
          : err;
      });
      const server = closers.add('metrics server', started, (m) => m.close());
      logger.info({ url: server.url }, 'metrics');
    }
    store = await openStore(config, opts.restart ?? false, logger, closers);
    const lock = closers.add('run lock', await store.lock(config.job), (l) => l.release());
    const source = closers.add('source', await openSource(config, logger), (s) => s.close());
    const { ids: partitions, perWindow } = await scanPartitions(config, source);
    await withSourceRetries(() => preflight(config, source, partitions, logger), logger);
    const sink = closers.add('sink', await openSink(config, logger, registry), (s) => s.close());
    record = await prepareJobRecord(store, sink, config, partitions, opts.restart ?? false, logger);
    const spec = jobSpec(config, partitions, record.epoch);
    const plan = await planJob(source, store, spec, {
      rate: config.guardrails.rate,
      exact: false,
      ...(perWindow ? { known: perWindow } : {}),
    });
    logger.info(
      {
        partitions: partitions.length,
        planned: plan.totals.remaining,
        sequencing: sink.sequencing,
        streamEpoch: record.epoch,
        workers: config.workers,
      },
      'replay starting',
    );
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
              workerFile: POOL_WORKER_FILE,
              portsSpec: portsConfig(config, Math.ceil(spec.parallelPartitions / config.workers)),
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
    opts.onRunner?.(runner);
    // Stores this run's source-side fold with the job (verify.enabled), for `verify` later.
    const folds = await startFoldRecording(config, store, partitions, logger);
    const stopProgress =
      opts.progress === false
        ? () => undefined
        : startProgress(runner, { total: plan.totals.rows, tty: !!process.stderr.isTTY, logger });
    let summary: JobSummary;
    try {
      summary = await runner.run({
        stop: opts.stop ?? new AbortController().signal,
        abort: opts.abort ?? new AbortController().signal,
        fence: lock.lost,
        planned: new Map(plan.partitions.map((p) => [p.partition, p.remaining])),
      });
    } catch (err) {
      await folds?.finish(runner, undefined);
      throw err;
    } finally {
      stopProgress();
    }
    await folds?.finish(runner, summary);
    const state =
      summary.outcome === 'done'
        ? JobState.Done
        : summary.outcome === 'failed'
          ? JobState.Failed
          : JobState.Paused;
    await store.putJob(config.job, {
      ...record,
      state,
      updatedAt: new Date(),
      ...(summary.error !== undefined ? { error: summary.error } : {}),
      summary: JSON.parse(JSON.stringify(summary, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))),
    });
    return summary;
  } catch (err) {
    // A run that throws after marking its job running leaves it failed, with the cause.
    if (store && record) {
      await store
        .putJob(config.job, {
          ...record,
          state: JobState.Failed,
          updatedAt: new Date(),
          error: errorMessage(err),
        })
        .catch((e: unknown) => logger.warn({ err: errorMessage(e) }, 'could not mark the job failed'));
    }
    throw err;
  } finally {
    await closers.closeAll();
  }
}

export function renderSummary(s: JobSummary): string {
  const retries = Object.entries(s.retries)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const rejected = Object.entries(s.rejected)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return [
    `job ${s.job}: ${s.outcome}`,
    `  events ${s.events}, bytes ${s.bytes}, batches ${s.batches}, duration ${formatDuration(s.durationMs / 1000)} (${s.durationMs} ms), rate ${s.eventsPerSec} events/s`,
    `  retries ${retries || '0'}; re-sent events ${s.resent}; duplicates absorbed ${s.duplicates}; rejected ${rejected || '0'}`,
    ...(s.error ? [`  error: ${s.error}`] : []),
    ...(s.outcome === 'interrupted'
      ? ['  resumable: run the same command again to continue after the committed cursors']
      : []),
  ].join('\n');
}

export function exitCodeOf(s: JobSummary): number {
  switch (s.outcome) {
    case 'done':
      return ExitCode.Done;
    case 'failed':
      return ExitCode.Failed;
    case 'interrupted':
      return ExitCode.Interrupted;
    default: {
      const never: never = s.outcome;
      return never;
    }
  }
}

/** First SIGINT/SIGTERM: graceful stop (drain, commit, exit 3). Second: exit 3 at once. */
/**
 * First SIGINT/SIGTERM: graceful stop (no new reads, drain in flight, commit, exit 3). A second
 * signal, or the drain deadline passing, exits 3 at once; nothing is lost either way (the next run
 * resumes after the committed cursors and the target absorbs what was in flight).
 */
export function wireSignals(
  logger: Logger,
  drainTimeoutMs = 30_000,
): { stop: AbortController; abort: AbortController } {
  const stop = new AbortController();
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      logger.warn(
        { signal: sig, drainTimeoutMs },
        'stopping: no new reads, draining in-flight batches, committing cursors',
      );
      stop.abort();
      setTimeout(() => {
        logger.warn(
          { drainTimeoutMs },
          'drain deadline passed: exiting now; the next run resumes from the committed cursors',
        );
        abort.abort();
        process.exit(ExitCode.Interrupted);
      }, drainTimeoutMs).unref();
      return;
    }
    logger.warn(
      { signal: sig },
      'second signal: exiting now; the next run resumes from the committed cursors',
    );
    abort.abort();
    process.exit(ExitCode.Interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { stop, abort };
}

export function registerRunCommand(program: Command): void {
  const cmd = program
    .command('run')
    .description('replay the configured window(s) into CEPtra, resumably')
    .requiredOption('-c, --config <file>', 'job config (YAML)')
    .option('--restart', 'discard this job’s cursors and start from the beginning', false)
    .option('--metrics-port <port>', 'serve Prometheus /metrics on this port (127.0.0.1)')
    .option('--no-progress', 'no progress bar / progress log lines')
    .option(
      '--drain-timeout <s>',
      'on SIGINT/SIGTERM, seconds to drain in-flight batches before exiting anyway',
      '30',
    )
    .option(
      '--verify',
      'after a successful run, verify the panes like `verify` (exit 4 when divergent)',
      false,
    )
    .option('--target-panes <file>', "with --verify: the target's pane snapshot (default: GET /sim/panes)")
    .option('--windows-from <file>', 'replay only these windows: a `verify --json` report (gap replay)');
  addJobFlags(cmd);
  cmd.action(
    action(
      async (
        opts: JobFlags & {
          config: string;
          restart: boolean;
          metricsPort?: string;
          progress: boolean;
          drainTimeout?: string;
        } & {
          verify: boolean;
          targetPanes?: string;
          windowsFrom?: string;
        },
      ) => {
        const logger = createLogger({ level: opts.logLevel ?? 'info' });
        const overrides = configOverrides(opts);
        const config = await loadJobConfig(
          opts.config,
          opts.windowsFrom ? await windowsFromFile(opts.windowsFrom, overrides, logger) : overrides,
        );
        const port = opts.metricsPort === undefined ? undefined : Number(opts.metricsPort);
        if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) {
          throw new ConfigError('--metrics-port', `must be a TCP port 0-65535 (got "${opts.metricsPort}")`);
        }
        const drain = Number(opts.drainTimeout ?? '30') * 1000;
        if (!(drain > 0)) {
          throw new ConfigError(
            '--drain-timeout',
            `must be a number of seconds > 0 (got "${opts.drainTimeout}")`,
          );
        }
        const { stop, abort } = wireSignals(logger, drain);
        const summary = await runJob(config, {
          restart: opts.restart,
          ...(port !== undefined ? { metricsPort: port } : {}),
          progress: opts.progress,
          logger,
          stop: stop.signal,
          abort: abort.signal,
        });
        process.stdout.write(`${renderSummary(summary)}\n`);
        if (opts.verify && summary.outcome === 'done')
          return verifyAfterRun(config, logger, opts.targetPanes);
        return exitCodeOf(summary);
      },
    ),
  );
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
