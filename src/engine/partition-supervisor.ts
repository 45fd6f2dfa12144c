/**
 * Runs one partition to the end of its window through the executor, and decides what each
 * failure means:
 * - a SEQUENCE_GAP the cursor can close: resume from the cursor at once (GapTracker says when it
 *   cannot, and the partition fails naming the seqs);
 * - anything retryable (a dropped source connection, a target outage past the sink's deadline):
 *   pause this partition only, keep its cursor, resume from it after a capped jittered backoff
 *   (the target absorbs whatever was in flight);
 * - anything else: the partition fails and the job stops gracefully.
 */
import { expBackoffMs } from '../common/backoff.js';
import { ErrorCode, errorMessage, isReplayError, type ReplayError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { SinkAttempt } from '../sinks/sink.js';
import type { Cursor, DeadLetterRecord } from './cursor.js';
import type { PartitionExecutor } from './executor.js';
import type { AckedBatch } from './partition-runner.js';
import type { RunLedger } from './run-ledger.js';
import { GapTracker } from './sequence-gap.js';
import { type PartitionKnobs, PartitionState } from './types.js';

export interface PartitionContext {
  executor: PartitionExecutor;
  ledger: RunLedger;
  logger: Logger;
  stop: AbortSignal;
  abort: AbortSignal;
  /** The partition's `replay_stream` and its latest contiguous cursor (re-read on every attempt). */
  stream(partition: number): string;
  cursor(partition: number): Cursor | undefined;
  knobs(partition: number): PartitionKnobs;
  /** Awaited before each batch: room for uncommitted progress, the flow controller's pace. */
  beforeLaunch(partition: number, events: number, inflightNow: number): Promise<void>;
  onAttempt?(a: SinkAttempt): void;
  onAck(a: AckedBatch): void;
  onDeadLetters(records: readonly DeadLetterRecord[]): Promise<void>;
  /** Settles when the partition's acknowledged batches have moved its cursor (dead letters first). */
  settled(partition: number): Promise<void>;
  /** The partition reached the end of its window. */
  finished(partition: number): void;
  /** The partition failed for good: the job stops. */
  fail(err: unknown): void;
}

/** Pause of a partition after a retryable failure: capped exponential backoff (common/backoff.ts). */
const PAUSE_BASE_MS = 200;
const MAX_BACKOFF_MS = 10_000;

export async function supervisePartition(partition: number, ctx: PartitionContext): Promise<void> {
  const { ledger, logger, stop } = ctx;
  ledger.setState(partition, PartitionState.Running);
  const gaps = new GapTracker();
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await ctx.executor.run({
        partition,
        stream: ctx.stream(partition),
        start: ctx.cursor(partition) ?? null,
        knobs: ctx.knobs(partition),
        onDeadLetters: ctx.onDeadLetters,
        beforeLaunch: (events, inflightNow) => ctx.beforeLaunch(partition, events, inflightNow),
        ...(ctx.onAttempt ? { onAttempt: ctx.onAttempt } : {}),
        stop,
        abort: ctx.abort,
        onAck: ctx.onAck,
        onInflight: (d) => ledger.inflightDelta(d),
      });
      await ctx.settled(partition);
      if (res.outcome === 'done') ctx.finished(partition);
      else ledger.setState(partition, PartitionState.Interrupted);
      return;
    } catch (caught) {
      await ctx.settled(partition).catch(() => undefined);
      const err = judge(caught, gaps, ctx.cursor(partition)?.seq ?? 0n);
      if (stop.aborted || !isReplayError(err) || !err.canRetry) {
        if (stop.aborted && isReplayError(err) && err.canRetry) {
          ledger.setState(partition, PartitionState.Interrupted);
          return;
        }
        ledger.setState(partition, PartitionState.Failed);
        logger.error(
          { partition, code: (err as { code?: string }).code, error: errorMessage(err) },
          'partition failed; stopping the job gracefully',
        );
        ctx.fail(err);
        return;
      }
      if (err.code === ErrorCode.SequenceGap) {
        logger.warn(
          { partition, error: err.message, resumeFromSeq: String(ctx.cursor(partition)?.seq ?? 0n) },
          'replay stream resync: resuming the partition from its cursor',
        );
        ledger.retry('sequence_resync');
        continue;
      }
      if (!(await pause(partition, err, attempt, ctx))) return;
    }
  }
}

/** A sequence gap is closed from the cursor only when the target has every seq up to it, once. */
function judge(caught: unknown, gaps: GapTracker, cursorSeq: bigint): unknown {
  return isReplayError(caught) && caught.code === ErrorCode.SequenceGap
    ? gaps.judge(caught, cursorSeq)
    : caught;
}

/** Waits out a retryable failure; false when the job was stopped meanwhile. */
async function pause(partition: number, err: ReplayError, attempt: number, ctx: PartitionContext) {
  const reason = err.code === ErrorCode.SourceError ? 'source_reconnect' : 'target_outage';
  const state = reason === 'source_reconnect' ? PartitionState.Reconnecting : PartitionState.WaitingForTarget;
  ctx.ledger.setState(partition, state);
  ctx.ledger.retry(reason);
  // At least half the capped exponential step (so an outage is not hammered), jittered above it.
  const delay = PAUSE_BASE_MS + expBackoffMs(attempt, PAUSE_BASE_MS, MAX_BACKOFF_MS, Math.random);
  ctx.logger.warn(
    { partition, code: err.code, error: err.message, retryInMs: Math.round(delay) },
    `partition ${state}`,
  );
  await sleep(delay, ctx.stop);
  if (ctx.stop.aborted) {
    ctx.ledger.setState(partition, PartitionState.Interrupted);
    return false;
  }
  ctx.ledger.setState(partition, PartitionState.Running);
  return true;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
