/** The validated job config → what the engine runs: the job spec and the partitions it covers. */
import type { JobConfig } from '../config/index.js';
import type { JobSpec } from '../engine/types.js';
import type { PartitionInfo, Source, TimeWindow } from '../sources/source.js';

/** From the first window's start to the last window's end. */
export function spanOf(config: JobConfig): TimeWindow {
  return { startNs: config.windows[0]!.startNs, endNs: config.windows[config.windows.length - 1]!.endNs };
}

export function jobSpec(config: JobConfig, partitions: number[], epoch = 1): JobSpec {
  const f = config.flow;
  return {
    job: config.job,
    epoch,
    maxUncommittedEvents: f.maxUncommittedEvents,
    windows: config.windows.map((w) => ({ ...w })),
    partitions,
    batchSize: f.batchSize,
    maxInFlight: f.maxInFlight,
    // One source read must hold the largest batch the flow controller may ask for.
    readBatchSize: f.mode === 'adaptive' ? Math.max(f.batchSize, f.maxBatch) : f.batchSize,
    parallelPartitions: f.parallelPartitions,
    commitIntervalMs: f.commitIntervalMs,
    commitEveryBatches: f.commitEveryBatches,
    ...(config.verify.enabled
      ? { fold: { paneNs: config.verify.paneNs, metrics: config.verify.metrics } }
      : {}),
  };
}

/**
 * Partitions the job covers: configured list, or every partition present in any window. With
 * `partitions: all` the per-window estimates it had to read come back too, so the planner does
 * not read them a second time.
 */
export async function scanPartitions(
  config: JobConfig,
  source: Source,
): Promise<{ ids: number[]; perWindow?: PartitionInfo[][] }> {
  if (config.source.partitions !== 'all') return { ids: [...config.source.partitions].sort((a, b) => a - b) };
  const perWindow: PartitionInfo[][] = [];
  for (const w of config.windows) perWindow.push(await source.partitions(w));
  const ids = new Set(perWindow.flat().map((p) => p.partition));
  return { ids: [...ids].sort((a, b) => a - b), perWindow };
}
