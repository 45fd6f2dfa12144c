/**
 * `verify` composed: the job's source-side panes (stored with the job by `run`, or re-read from
 * the source where missing or incomplete) against the target's, pane by pane; and the gap
 * windows a `run --windows-from` replays.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { ConfigError, ExitCode } from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import type { JobConfig, JobConfigOverrides } from '../config/index.js';
import type { DeadLetterStore, StateStore } from '../engine/cursor.js';
import {
  type CompareScope,
  defaultVerifyOptions,
  gapJobName,
  gapWindowsYaml,
  readGapWindows,
  renderVerifyText,
  targetSnapshotFrom,
  type VerifyReport,
  verifyJob,
  verifyReportJson,
} from '../engine/verify/index.js';
import type { PaneSnapshot } from '../monoid/index.js';
import type { CeptraSink } from '../sinks/ceptra/index.js';

import { createPaneStore, createStateStore } from '../stores/index.js';
import { foldSpecOf } from './fold-recording.js';
import { openSink, openSource, type ReplaySource } from './open.js';
import { scanPartitions } from './spec.js';

export interface VerifyRunOptions {
  logger?: Logger;
  /** A pane snapshot file of the target; default: the target's `GET /sim/panes`. */
  targetPanes?: string;
  json?: string;
  windowsOut?: string;
  maxListed?: number;
  settleTimeoutMs?: number;
}

export interface VerifyOutcome {
  report: VerifyReport;
  text: string;
  suggestedJob: string | null;
  exitCode: number;
}

/** Verifies a job that ran (or is running): the engine's verifyJob with this job's drivers. */
export async function verifyReplay(config: JobConfig, opts: VerifyRunOptions = {}): Promise<VerifyOutcome> {
  const logger = (opts.logger ?? createLogger()).child({ job: config.job, command: 'verify' });
  const store = createStateStore(config.state, { logger });
  const paneStore = createPaneStore(config.state, { logger });
  let source: ReplaySource | undefined;
  let sink: CeptraSink | undefined;
  try {
    await store.init();
    const record = await store.getJob(config.job);
    const cursors = await store.load(config.job);
    if (!record && cursors.size === 0)
      throw new ConfigError('job', `job "${config.job}" has never run here (no cursors in the state store)`);
    const openSrc = async () => (source ??= await openSource(config, logger));
    const partitions =
      config.source.partitions !== 'all'
        ? [...config.source.partitions].sort((a, b) => a - b)
        : record?.state === 'done' && cursors.size > 0
          ? [...cursors.keys()].sort((a, b) => a - b)
          : await (await scanPartitions(config, await openSrc())).ids;
    const report = await verifyJob(
      {
        paneStore,
        cursors,
        logger,
        openSource: openSrc,
        refusedIds: (ps) => refusedIds(store, config.job, ps),
        targetPanes: async (scope) => {
          if (opts.targetPanes) return readTargetFile(opts.targetPanes);
          sink ??= await openSink(config, logger);
          return fetchTargetPanes(sink, scope, opts.settleTimeoutMs ?? defaultVerifyOptions.settleTimeoutMs);
        },
      },
      {
        job: config.job,
        windows: config.windows,
        partitions,
        fold: foldSpecOf(config),
        batchSize: config.flow.batchSize,
        // Kafka partitions share one read of the topics: all of them at once (one pass, not N).
        concurrency:
          config.source.type === 'kafka'
            ? partitions.length
            : Math.max(1, Math.min(4, config.flow.parallelPartitions)),
      },
    );
    const suggestedJob = report.ok ? null : await nextGapJob(store, config.job);
    const text = renderVerifyText(report, {
      maxListed: opts.maxListed ?? defaultVerifyOptions.maxListed,
      ...(suggestedJob ? { suggestedJob } : {}),
    });
    if (opts.json)
      await writeFile(opts.json, `${JSON.stringify(verifyReportJson(report, suggestedJob), null, 2)}\n`);
    if (opts.windowsOut && suggestedJob)
      await writeFile(opts.windowsOut, gapWindowsYaml(report, suggestedJob));
    return { report, text, suggestedJob, exitCode: report.ok ? ExitCode.Done : ExitCode.Divergent };
  } finally {
    await sink?.close().catch(() => undefined);
    await source?.close().catch(() => undefined);
    await paneStore.close().catch(() => undefined);
    await store.close().catch(() => undefined);
  }
}

async function refusedIds(
  store: DeadLetterStore,
  job: string,
  partitions: readonly number[],
): Promise<Map<number, Set<string>>> {
  const out = new Map<number, Set<string>>();
  for (const partition of partitions) {
    const ids = new Set<string>();
    for (let after = 0; ; ) {
      const page = await store.listDeadLetters(job, { partition, after, limit: 5000 });
      for (const d of page) if (d.eventId !== null && d.retryOutcome !== 'sent') ids.add(d.eventId);
      if (page.length < 5000) break;
      after = page[page.length - 1]!.id;
    }
    if (ids.size > 0) out.set(partition, ids);
  }
  return out;
}

async function nextGapJob(store: StateStore, job: string): Promise<string> {
  for (let n = 1; ; n++) {
    const name = gapJobName(job, n);
    if (name !== job && !(await store.getJob(name))) return name;
  }
}

async function readTargetFile(path: string): Promise<PaneSnapshot> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new ConfigError('--target-panes', `cannot read ${path}: ${(e as Error).message}`);
  }
  return targetSnapshotFrom(doc, '--target-panes');
}

/** Waits until the target applied what it acknowledged (`/v1/state`: applied_index ≥ committed_index). */
async function settle(sink: CeptraSink, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await sink.control.getState().catch(() => null);
    const parts = (state?.partitions ?? []) as { applied_index?: unknown; committed_index?: unknown }[];
    if (
      !Array.isArray(parts) ||
      parts.every((p) => BigInt(String(p.applied_index ?? 0)) >= BigInt(String(p.committed_index ?? 0)))
    )
      return;
    if (Date.now() > deadline) return; // compare anyway: what is still unapplied shows as divergent
    await new Promise((r) => setTimeout(r, defaultVerifyOptions.settlePollMs));
  }
}

async function fetchTargetPanes(
  sink: CeptraSink,
  scope: CompareScope,
  settleMs: number,
): Promise<PaneSnapshot> {
  await settle(sink, settleMs);
  const from = scope.windows[0]!.startNs;
  const to = scope.windows[scope.windows.length - 1]!.endNs;
  const path = `/sim/panes?from=${from}&to=${to}`;
  const res = await sink.client.transport.request({ method: 'GET', path });
  if (res.status === 404)
    throw new ConfigError(
      '--target-panes',
      'the target has no pane export (GET /sim/panes answered 404); export its pane snapshot to a file and pass --target-panes file.json',
    );
  if (res.status !== 200)
    throw new ConfigError('target.url', `GET ${path} answered HTTP ${res.status}: ${res.body.slice(0, 300)}`);
  return targetSnapshotFrom(JSON.parse(res.body), `GET ${path}`);
}

/** `run --windows-from gap.json`: the windows (and suggested job id unless --job) as overrides. */
export async function windowsFromFile(
  path: string,
  overrides: JobConfigOverrides,
  logger: Logger,
): Promise<JobConfigOverrides> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new ConfigError('--windows-from', `cannot read ${path}: ${(e as Error).message}`);
  }
  let gap: ReturnType<typeof readGapWindows>;
  try {
    gap = readGapWindows(doc);
  } catch (e) {
    throw new ConfigError('--windows-from', `${path}: ${(e as Error).message}`);
  }
  const out: JobConfigOverrides = { ...overrides, windows: gap.windows };
  delete out.window;
  if (!out.job && gap.job) {
    out.job = gap.job;
    logger.info({ job: gap.job, windows: gap.windows.length }, 'gap replay: job id from the verify report');
  }
  return out;
}
