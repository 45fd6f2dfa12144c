/**
 * Where a partition streams: inline on the main thread (`workers: 0`, for debugging and tests)
 * or in a worker thread of the pool (`src/engine/pool`). The job runner only sees this interface.
 */
import type { Sink, SinkAttempt } from '../sinks/sink.js';
import type { Source, TimeWindow } from '../sources/source.js';
import type { Cursor, DeadLetterRecord } from './cursor.js';
import { type AckedBatch, type PartitionRunResult, runPartition } from './partition-runner.js';
import type { PartitionKnobs } from './types.js';
import type { FoldSpec } from './verify/fold.js';

export interface PartitionTask {
  partition: number;
  /** The partition's `replay_stream`, continued from `start.seq`. */
  stream: string;
  /** Where this partition resumes: the latest contiguous cursor the main thread knows. */
  start: Omit<Cursor, 'epoch'> | null;
  /**
   * Live knobs (batch size, batches in flight). Inline the runner reads this object before every
   * slice; in the pool the main thread reads it at every grant and the grant carries the values.
   */
  knobs: PartitionKnobs;
  stop: AbortSignal;
  abort: AbortSignal;
  onAck(a: AckedBatch): void;
  /**
   * Batches in flight, as deltas. Inline: +1 per launch, −1 per settled send. In the pool: +1 per
   * grant, −1 per ack, and whatever a task leaves counted (failed sends, a dead worker) taken back
   * when it ends; either way the sum returns to 0 when `run` settles.
   */
  onInflight(delta: number): void;
  /** Durable dead letters (poison rows, sure refusals), awaited before the read goes on. */
  onDeadLetters?(records: readonly DeadLetterRecord[]): Promise<void>;
  /** Flow control: awaited before each batch (pace, global cap), see FlowController.acquire. */
  beforeLaunch?(events: number, inflightNow: number): Promise<void>;
  /** Flow control: per-attempt reports from sinks running elsewhere (worker threads). */
  onAttempt?(a: SinkAttempt): void;
}

export interface PartitionExecutor {
  run(task: PartitionTask): Promise<PartitionRunResult>;
  close(): Promise<void>;
}

export class InlineExecutor implements PartitionExecutor {
  constructor(
    private readonly job: string,
    private readonly windows: TimeWindow[],
    private readonly source: Source,
    private readonly sink: Sink,
    private readonly readBatchSize?: number,
    private readonly fold?: FoldSpec,
  ) {}

  run(t: PartitionTask): Promise<PartitionRunResult> {
    return runPartition({
      job: this.job,
      partition: t.partition,
      stream: t.stream,
      source: this.source,
      sink: this.sink,
      windows: this.windows,
      start: t.start,
      knobs: t.knobs,
      ...(this.readBatchSize ? { readBatchSize: this.readBatchSize } : {}),
      ...(this.fold ? { fold: this.fold } : {}),
      stop: t.stop,
      abort: t.abort,
      onAck: t.onAck,
      onInflight: t.onInflight,
      ...(t.beforeLaunch ? { beforeLaunch: t.beforeLaunch } : {}),
      ...(t.onDeadLetters ? { onDeadLetters: t.onDeadLetters } : {}),
    });
  }

  async close(): Promise<void> {}
}
