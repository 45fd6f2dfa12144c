/**
 * Source-side panes against the target's, restricted to the job's partitions and windows and to
 * the metrics both sides fold; the divergent or missing panes become merged time windows that a
 * gap replay can take as its only input.
 */
import { ConfigError } from '../../common/errors.js';
import {
  canonicalDef,
  diffSnapshots,
  diffWindows,
  type PaneSnapshot,
  type SnapshotDiff,
  type TimeWindow,
} from '../../monoid/index.js';

export interface CompareScope {
  partitions: readonly number[];
  windows: readonly TimeWindow[];
}

export interface FoldComparison {
  diff: SnapshotDiff;
  paneNs: bigint;
  /** Metrics compared (folded on both sides, same definition). */
  metrics: string[];
  /** Metrics folded on one side only (not compared). */
  sourceOnly: string[];
  targetOnly: string[];
  /** Divergent or missing panes as merged [start, end) windows. */
  gapWindows: TimeWindow[];
}

/** Keeps the target's panes of the job: its partitions, panes that intersect one of its windows. */
export function scopeSnapshot(s: PaneSnapshot, scope: CompareScope): PaneSnapshot {
  const q = BigInt(s.paneNs);
  const parts = new Set(scope.partitions);
  const entries = s.entries.filter((e) => {
    if (!parts.has(e.partition)) return false;
    const start = BigInt(e.pane) * q;
    return scope.windows.some((w) => start < w.endNs && start + q > w.startNs);
  });
  return { ...s, entries };
}

export function compareFolds(
  source: PaneSnapshot,
  target: PaneSnapshot,
  scope: CompareScope,
): FoldComparison {
  if (source.paneNs !== target.paneNs) {
    throw new ConfigError(
      'verify.paneSize',
      `the target folds ${Number(BigInt(target.paneNs) / 1_000_000n)} ms panes but the job folds ${Number(BigInt(source.paneNs) / 1_000_000n)} ms panes; set verify.paneSize to the target's pane_size_ms (or PATCH /v1/config {"pane_size_ms": …} on the emulator before the replay)`,
    );
  }
  const targetDefs = new Map(target.metrics.map((m) => [m.name, JSON.stringify(canonicalDef(m))]));
  const sourceDefs = new Map(source.metrics.map((m) => [m.name, JSON.stringify(canonicalDef(m))]));
  const metrics: string[] = [];
  for (const [name, def] of sourceDefs) {
    const t = targetDefs.get(name);
    if (t === undefined) continue;
    if (t !== def)
      throw new ConfigError(
        'verify.metrics',
        `metric ${name} is folded differently by the target (${t}) and the job (${def}); give both the same definition (emulator: PATCH /v1/config {"verify_metrics": […]} or --verify-metrics)`,
      );
    metrics.push(name);
  }
  const scoped = scopeSnapshot(target, scope);
  const diff = diffSnapshots(source, scoped, { metrics });
  const paneNs = BigInt(source.paneNs);
  return {
    diff,
    paneNs,
    metrics,
    sourceOnly: [...sourceDefs.keys()].filter((n) => !targetDefs.has(n)),
    targetOnly: [...targetDefs.keys()].filter((n) => !sourceDefs.has(n)),
    gapWindows: diffWindows(diff, paneNs),
  };
}
