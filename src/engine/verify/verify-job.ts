/**
 * `verify` without drivers: the source-side fold (stored, or re-read from the source where the
 * stored one is missing or incomplete) against the target's panes. The CLI injects how to open
 * the source and how to fetch the target's snapshot.
 */
import type { Logger } from '../../common/logger.js';
import type { DivergentPane, PaneEntry, PaneKey, PaneSnapshot, TimeWindow } from '../../monoid/index.js';
import type { Source } from '../../sources/source.js';
import type { Cursor } from '../cursor.js';
import { type CompareScope, compareFolds } from './compare.js';
import { canonicalMetrics, snapshotOf } from './entries.js';
import type { FoldSpec } from './fold.js';
import { positionOf, storedFoldUsable } from './record.js';
import { foldFromSource } from './source-fold.js';
import type { PaneStore } from './types.js';

export interface VerifyJobInput {
  job: string;
  windows: readonly TimeWindow[];
  partitions: readonly number[];
  fold: FoldSpec;
  /** Source read batch size and partitions read at once, for re-reads. */
  batchSize: number;
  concurrency: number;
}

export interface VerifyJobDeps {
  paneStore: PaneStore;
  /** The job's committed cursors. */
  cursors: ReadonlyMap<number, Cursor>;
  /** Opened only when some partition has to be re-read. */
  openSource(): Promise<Source>;
  /** Event ids refused for good per partition (dead letters): the replay did not fold them either. */
  refusedIds?(partitions: readonly number[]): Promise<Map<number, Set<string>>>;
  targetPanes(scope: CompareScope): Promise<PaneSnapshot>;
  logger: Logger;
}

export interface VerifyReport {
  job: string;
  paneNs: bigint;
  windows: TimeWindow[];
  partitions: number[];
  /** Partitions whose stored fold was used, and those re-read from the source. */
  stored: number[];
  reread: number[];
  rereadEvents: number;
  /** Partitions whose cursor is not done: the target may lack their tail yet. */
  unfinished: number[];
  metrics: string[];
  sourceOnly: string[];
  targetOnly: string[];
  compared: number;
  identical: number;
  divergent: DivergentPane[];
  missingInTarget: PaneKey[];
  missingInSource: PaneKey[];
  gapWindows: TimeWindow[];
  ok: boolean;
}

export async function verifyJob(deps: VerifyJobDeps, input: VerifyJobInput): Promise<VerifyReport> {
  const { paneStore, cursors, logger } = deps;
  const { job, fold } = input;
  await paneStore.init();
  const statuses = await paneStore.statuses(job);
  const stored: number[] = [];
  const reread: number[] = [];
  for (const p of input.partitions)
    (storedFoldUsable(statuses.get(p), fold, cursors.get(p)) ? stored : reread).push(p);
  const entries: PaneEntry[] = [];
  for (const p of stored) entries.push(...(await paneStore.entries(job, p)));
  let rereadEvents = 0;
  if (reread.length > 0) {
    logger.info({ partitions: reread }, `re-reading ${reread.length} partition(s) from the source`);
    const source = await deps.openSource();
    const skipIds = deps.refusedIds ? await deps.refusedIds(reread) : undefined;
    const r = await foldFromSource(source, reread, input.windows, fold, {
      batchSize: input.batchSize,
      concurrency: input.concurrency,
      ...(skipIds ? { skipIds } : {}),
    });
    rereadEvents = r.events;
    entries.push(...r.snapshot.entries);
    await keepRereads(deps, input, reread, r.snapshot.entries);
  }
  const sourceSnap = snapshotOf(fold.paneNs, fold.metrics, entries);
  const scope: CompareScope = { partitions: input.partitions, windows: input.windows };
  const cmp = compareFolds(sourceSnap, await deps.targetPanes(scope), scope);
  const d = cmp.diff;
  return {
    job,
    paneNs: cmp.paneNs,
    windows: input.windows.map((w) => ({ ...w })),
    partitions: [...input.partitions],
    stored,
    reread,
    rereadEvents,
    unfinished: input.partitions.filter((p) => !cursors.get(p)?.done),
    metrics: cmp.metrics,
    sourceOnly: cmp.sourceOnly,
    targetOnly: cmp.targetOnly,
    compared: d.compared,
    identical: d.identical,
    divergent: d.divergent,
    missingInTarget: d.missingInTarget,
    missingInSource: d.missingInSource,
    gapWindows: cmp.gapWindows,
    ok: d.divergent.length === 0 && d.missingInTarget.length === 0 && d.missingInSource.length === 0,
  };
}

/**
 * A finished partition's re-read fold covers exactly up to its (done) cursor: store it, so the
 * next `verify` does not read the source again. Best effort (a failure only costs a re-read).
 */
async function keepRereads(
  deps: VerifyJobDeps,
  input: VerifyJobInput,
  reread: readonly number[],
  entries: readonly PaneEntry[],
): Promise<void> {
  const done = reread.filter((p) => deps.cursors.get(p)?.done);
  if (done.length === 0) return;
  const metrics = canonicalMetrics(input.fold.metrics);
  const writes = done.map((p) => ({
    status: {
      partition: p,
      complete: true,
      coveredTo: positionOf(deps.cursors.get(p)),
      paneNs: input.fold.paneNs,
      metrics,
    },
    clear: true,
    upsert: entries.filter((e) => e.partition === p),
  }));
  try {
    await deps.paneStore.write(input.job, writes);
  } catch (err) {
    deps.logger.warn({ err }, 'could not store the re-read fold; the next verify re-reads again');
  }
}
