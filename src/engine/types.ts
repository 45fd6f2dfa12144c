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
  /** Acknowledged-but-uncommitted events above which new batches wait for the state store. */
  maxUncommittedEvents?: number;
  /**
   * Stream epoch of partitions that start from scratch (no cursor); a partition with a cursor
   * continues its cursor's epoch. See `replayStreamId`.
   */
  epoch: number;
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

/**
 * `replay_stream` of a partition (contract §2): `<job>/<partition>/<epoch>`. The epoch changes
 * whenever the sequence starts over (cursors discarded or untrustworthy), so a stream id is never
 * reused for a different sequence of events. Epoch 0 is the stream of cursors written before
 * epochs existed, `<job>/<partition>`, so such a job resumes its own stream.
 */
export function replayStreamId(job: string, partition: number, epoch: number): string {
  return epoch === 0 ? `${job}/${partition}` : `${job}/${partition}/${epoch}`;
}

/** Inverse of `replayStreamId` (job ids contain no `/`); null for a string of another shape. */
export function parseReplayStream(stream: string): { job: string; partition: number; epoch: number } | null {
  const m = /^([^/]+)\/(\d+)(?:\/(\d+))?$/.exec(stream);
  if (!m) return null;
  return { job: m[1]!, partition: Number(m[2]), epoch: m[3] === undefined ? 0 : Number(m[3]) };
}
