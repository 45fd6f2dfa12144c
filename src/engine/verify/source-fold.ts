/**
 * The source fold pass: folds partitions by reading the source only (nothing is sent), for
 * `verify` when a partition's stored fold is missing or incomplete. Same folder as the replay
 * (`BatchFolder`), so the panes are bit-identical to a replay's fold of the same events (KLL
 * quantiles excepted: they are deterministic for a fixed batch split only).
 */
import type { PaneSnapshot } from '../../monoid/index.js';
import type { Source, TimeWindow } from '../../sources/source.js';
import { BatchFolder, type FoldSpec, PaneAccumulator } from './fold.js';

export interface SourceFoldOptions {
  batchSize: number;
  /** Partitions read at the same time. */
  concurrency: number;
  /** Event ids the target refused for good (dead letters), per partition: not folded, like the replay. */
  skipIds?: ReadonlyMap<number, ReadonlySet<string>>;
  signal?: AbortSignal;
}

export interface SourceFoldResult {
  snapshot: PaneSnapshot;
  events: number;
  skipped: number;
}

export async function foldFromSource(
  source: Source,
  partitions: readonly number[],
  windows: readonly TimeWindow[],
  spec: FoldSpec,
  opts: SourceFoldOptions,
): Promise<SourceFoldResult> {
  const acc = new PaneAccumulator(spec);
  const queue = [...partitions];
  // All at once: a source whose partitions share one read (Kafka) reads the topics once.
  if (opts.concurrency >= partitions.length) source.expectReads?.(new Map(partitions.map((p) => [p, null])));
  let events = 0;
  let skipped = 0;
  const lane = async () => {
    // One folder per lane: BatchFolder reuses its PaneFolder between batches.
    const folder = new BatchFolder(spec);
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
      const ids = opts.skipIds?.get(p);
      for (const w of windows) {
        const read = source.read(p, null, w, {
          batchSize: opts.batchSize,
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        for await (const batch of read) {
          let skip: Set<number> | undefined;
          if (ids !== undefined && ids.size > 0) {
            skip = new Set();
            for (let i = 0; i < batch.events.length; i++) if (ids.has(batch.events[i]!.eventId)) skip.add(i);
          }
          acc.add(folder.fold(p, batch.events, skip));
          events += batch.events.length - (skip?.size ?? 0);
          skipped += skip?.size ?? 0;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, queue.length)) }, lane));
  return { snapshot: acc.snapshot(), events, skipped };
}
