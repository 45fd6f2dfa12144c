/**
 * Keeping a job's source-side fold across runs. After every `run`, each partition's fold of THIS
 * run is combined with what is stored, by one rule:
 *
 *   the stored fold is extended only when it ends exactly where this run started.
 *
 * - No cursor at run start (first run, `--restart`): the run's fold replaces the stored one; it
 *   covers the partition from its beginning up to the cursor at run end.
 * - Stored fold complete, same pane width and metrics, and its end == the cursor at run start:
 *   merge (stored panes first, then this run's — monoid order) and move its end to the cursor at
 *   run end.
 * - Anything else — after a SIGKILL the stored fold ends at the previous run's end while the
 *   committed cursor went further; the fold spec changed; the partition failed (acks may have been
 *   folded whose cursor never moved) — the fold is marked incomplete and its panes dropped.
 *   `verify` then re-reads that partition from the source.
 * - Nothing happened (done before the run, or no ack): the stored fold is kept as it is.
 *
 * Why this is enough: the runner folds acknowledged batches in contiguous order, so at the end of
 * a run that did not fail its fold covers exactly (cursor at start, cursor at end]; the positions
 * compared are the committed cursors `(ts_ns, replay_seq)` themselves.
 */
import { unreachable } from '../../common/errors.js';
import type { PaneEntry, PaneSnapshot } from '../../monoid/index.js';
import { mergeSnapshots } from '../../monoid/index.js';
import type { Cursor, CursorStore } from '../cursor.js';
import { byPartition, canonicalMetrics, sameMetrics, snapshotOf } from './entries.js';
import type { FoldSpec } from './fold.js';
import { type FoldPosition, type FoldStatus, type FoldWrite, type PaneStore, samePosition } from './types.js';

export const FoldDecision = {
  Keep: 'keep',
  Replace: 'replace',
  Merge: 'merge',
  Invalidate: 'invalidate',
} as const;
export type FoldDecision = (typeof FoldDecision)[keyof typeof FoldDecision];

export function positionOf(c: Cursor | undefined): FoldPosition | null {
  return c === undefined ? null : { tsNs: c.tsNs, seq: c.seq };
}

export interface FoldDecisionInput {
  start: Cursor | undefined;
  end: Cursor | undefined;
  stored: FoldStatus | undefined;
  /** The stored fold has this run's pane width and metrics. */
  compatible: boolean;
  /** The partition failed in this run. */
  failed: boolean;
  /** This run folded panes for the partition. */
  folded: boolean;
}

export function decideFold(i: FoldDecisionInput): FoldDecision {
  const startPos = positionOf(i.start);
  const moved = !samePosition(startPos, positionOf(i.end)) || i.folded;
  if (!moved && i.start !== undefined) return FoldDecision.Keep;
  if (i.failed) return FoldDecision.Invalidate;
  if (i.start === undefined) return FoldDecision.Replace;
  const s = i.stored;
  if (s?.complete && i.compatible && samePosition(s.coveredTo, startPos)) return FoldDecision.Merge;
  return FoldDecision.Invalidate;
}

/** Whether a stored fold can stand for the partition at `cursor` (else re-read the source). */
export function storedFoldUsable(
  s: FoldStatus | undefined,
  spec: FoldSpec,
  cursor: Cursor | undefined,
): boolean {
  return (
    s?.complete === true &&
    s.paneNs === spec.paneNs &&
    sameMetrics(s.metrics, canonicalMetrics(spec.metrics)) &&
    samePosition(s.coveredTo, positionOf(cursor))
  );
}

export type FoldRecordResult = Record<FoldDecision, number[]>;

/** Call `begin` before the runner starts (it records the cursors at run start), `finish` after. */
export class RunFoldRecorder {
  private constructor(
    private readonly store: PaneStore,
    private readonly job: string,
    private readonly partitions: readonly number[],
    private readonly spec: FoldSpec,
    private readonly start: Map<number, Cursor>,
  ) {}

  static async begin(
    store: PaneStore,
    cursors: CursorStore,
    job: string,
    partitions: readonly number[],
    spec: FoldSpec,
  ): Promise<RunFoldRecorder> {
    await store.init();
    return new RunFoldRecorder(store, job, partitions, spec, await cursors.load(job));
  }

  async finish(
    fold: PaneSnapshot,
    failed: ReadonlySet<number>,
    cursors: CursorStore,
  ): Promise<FoldRecordResult> {
    const { store, job, spec } = this;
    const end = await cursors.load(job);
    const stored = await store.statuses(job);
    const runEntries = byPartition(fold.entries);
    const metrics = canonicalMetrics(spec.metrics);
    const result: FoldRecordResult = { keep: [], replace: [], merge: [], invalidate: [] };
    const writes: FoldWrite[] = [];
    for (const p of this.partitions) {
      const s = stored.get(p);
      const mine = runEntries.get(p) ?? [];
      const decision = decideFold({
        start: this.start.get(p),
        end: end.get(p),
        stored: s,
        compatible: s !== undefined && s.paneNs === spec.paneNs && sameMetrics(s.metrics, metrics),
        failed: failed.has(p),
        folded: mine.length > 0,
      });
      result[decision].push(p);
      const status: FoldStatus = {
        partition: p,
        complete: true,
        coveredTo: positionOf(end.get(p)),
        paneNs: spec.paneNs,
        metrics,
      };
      switch (decision) {
        case FoldDecision.Keep:
          break;
        case FoldDecision.Replace:
          writes.push({ status, clear: true, upsert: mine });
          break;
        case FoldDecision.Merge:
          writes.push({ status, clear: false, upsert: await this.merged(p, mine) });
          break;
        case FoldDecision.Invalidate:
          writes.push({ status: { ...status, complete: false }, clear: true, upsert: [] });
          break;
        default: {
          return unreachable(decision, 'fold decision');
        }
      }
    }
    await store.write(job, writes);
    return result;
  }

  /** This run's panes merged after the stored ones (only panes from the run's first pane on can overlap). */
  private async merged(partition: number, mine: PaneEntry[]): Promise<PaneEntry[]> {
    if (mine.length === 0) return [];
    let first = BigInt(mine[0]!.pane);
    for (const e of mine) if (BigInt(e.pane) < first) first = BigInt(e.pane);
    const { paneNs, metrics } = this.spec;
    const before = await this.store.entries(this.job, partition, first);
    return mergeSnapshots(snapshotOf(paneNs, metrics, before), snapshotOf(paneNs, metrics, mine)).entries;
  }
}
