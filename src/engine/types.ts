import type { TimeWindow } from '../sources/source.js';
import type { FoldSpec } from './verify/fold.js';

/** What the engine needs to run a job; the CLI maps the validated config onto it. */
export interface JobSpec {
  job: string;
  /** Sorted, non-overlapping [start, end) windows (one for `window:`, several for gap replay). */
  windows: TimeWindow[];
  partitions: number[];
  batchSize: number;
  maxInFlight: number;
  /** Events per source read: at least the largest batch the flow controller may ask for. */
  readBatchSize: number;
  /** Partitions streamed at the same time. */
  parallelPartitions: number;
  commitIntervalMs: number;
  commitEveryBatches: number;
  /** Source-side pane folding for verification; absent = no folding. */
  fold?: FoldSpec;
}

/** Live knobs of one partition, read before every batch (the flow controller writes them). */
export interface PartitionKnobs {
  batchSize: number;
  maxInFlight: number;
}

export const PartitionState = {
  Pending: 'pending',
  Running: 'running',
  /** The target has been unreachable or refusing past the sink's deadline; cursor kept, retrying. */
  WaitingForTarget: 'waiting-for-target',
  /** The source connection dropped (retryable SQLSTATE); reconnecting from the cursor. */
  Reconnecting: 'reconnecting',
  Draining: 'draining',
  Done: 'done',
  Interrupted: 'interrupted',
  Failed: 'failed',
} as const;
export type PartitionState = (typeof PartitionState)[keyof typeof PartitionState];

export const JobOutcome = { Done: 'done', Interrupted: 'interrupted', Failed: 'failed' } as const;
export type JobOutcome = (typeof JobOutcome)[keyof typeof JobOutcome];

export function replayStreamId(job: string, partition: number): string {
  return `${job}/${partition}`;
}
