/**
 * `ceptra-replay run --config job.yaml`: the replay. Exit codes: 0 done, 1 failed, 2 bad input
 * (nothing sent), 3 interrupted and resumable (SIGINT/SIGTERM: stop reading, drain, commit).
 */
import type { Command } from 'commander';
import { Registry } from 'prom-client';
import {
  createReplay,
  MergedMetrics,
  type Replay,
  type ReplayOptions,
  type RunSignals,
  startMetricsServer,
  windowsFromFile,
} from '../app/index.js';
import { ConfigError, ExitCode, unreachable } from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import { type JobConfig, loadJobConfig } from '../config/index.js';
import type { JobSummary } from '../engine/job-runner.js';
import { action } from './exit.js';
import { addJobFlags, configOverrides, type JobFlags } from './flags.js';

import { formatDuration, startProgress } from './progress.js';
import { verifyAfterRun } from './verify.js';

export interface RunOptions extends ReplayOptions, RunSignals {
  /** Serve `/metrics` on 127.0.0.1 at this port for the life of the run. */
  metricsPort?: number;
  /** Progress bar on a terminal, JSON lines otherwise; false = none. */
  progress?: boolean;
  /** Sees the replay once it is ready (tests read its runner). */
  onReplay?(replay: Replay): void;
}

/** `run` and `demo`: the replay (src/app) with a metrics server and progress around it. */
export async function runJob(config: JobConfig, opts: RunOptions = {}): Promise<JobSummary> {
  const logger = opts.logger ?? createLogger();
  const registry = opts.registry ?? new Registry();
  const merged = new MergedMetrics(registry);
  const server = opts.metricsPort === undefined ? undefined : await serveMetrics(merged, opts.metricsPort);
  if (server) logger.info({ url: server.url }, 'metrics');
  try {
    const replay = await createReplay(config, { ...opts, logger, registry });
    merged.add(() => replay.workerMetrics());
    try {
      opts.onReplay?.(replay);
    } catch (err) {
      await replay.close(err);
      throw err;
    }
    const stopProgress =
      opts.progress === false
        ? () => undefined
        : startProgress(replay, { total: replay.plan.totals.rows, tty: !!process.stderr.isTTY, logger });
    try {
      return await replay.run({
        ...(opts.stop ? { stop: opts.stop } : {}),
        ...(opts.abort ? { abort: opts.abort } : {}),
      });
    } finally {
      stopProgress();
    }
  } finally {
    await server?.close();
  }
}

async function serveMetrics(source: MergedMetrics, port: number) {
  try {
    return await startMetricsServer(source, port);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    throw new ConfigError(
      '--metrics-port',
      `cannot serve /metrics on 127.0.0.1:${port} (${code}); pick a free port`,
      {
        cause: err,
      },
    );
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
    default:
      return unreachable(s.outcome, 'job outcome');
  }
}

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
