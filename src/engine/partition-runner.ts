/**
 * Streams one partition: read → number → send (pipelined) → contiguous acks.
 *
 * Order guarantee. Every event gets `replay_seq`, contiguous from 1 in the partition's
 * `replay_stream`, so the target refuses a batch that would overtake an earlier, throttled one
 * (`OUT_OF_ORDER_SEQUENCE`) and the sink re-sends it after the earlier one lands. Against a target
 * without sequencing nothing can stop an in-flight batch from overtaking a throttled one, so the
 * runner keeps a single batch in flight: the sink re-sends a throttled suffix before anything new
 * is sent. That costs one round trip per batch per partition (parallelism then comes only from
 * running partitions side by side).
 *
 * Cursor rule. Acks arrive out of order; `onAck` is called strictly in batch order, for the
 * longest contiguous run of settled batches, so a cursor built from it never skips an event.
 */
import { ErrorCode, ReplayError } from '../common/errors.js';
import type { PaneEntry } from '../monoid/index.js';
import type { BatchAck, Sink } from '../sinks/sink.js';
import type { EventBatch, Source, SourceEvent, SourcePosition, TimeWindow } from '../sources/source.js';
import type { Cursor, DeadLetterRecord } from './cursor.js';
import { screenBatch } from './poison.js';
import type { PartitionKnobs } from './types.js';
import { BatchFolder, type BuiltinPartial, type FoldSpec } from './verify/fold.js';

export interface AckedBatch {
  partition: number;
  /** Cursor after this batch: its last event and seq (the job runner adds the stream epoch). */
  cursor: Omit<Cursor, 'acked' | 'done' | 'epoch'>;
  events: number;
  bytes: number;
  ack: BatchAck;
  /** The events the target refused permanently, with their reason (for dead letters). */
  rejected: RejectedSourceEvent[];
  /** Source-side pane partial of the accepted events of this batch (when folding). */
  panes?: PaneEntry[];
  /** The same for the built-ins only, in the fast numeric form. */
  builtinPanes?: BuiltinPartial;
}

export interface RejectedSourceEvent extends SourceEvent {
  reason: string;
}

export interface PartitionRunInput {
  job: string;
  partition: number;
  /** `replay_stream` of this partition (`<job>/<partition>/<epoch>`), continued from `start.seq`. */
  stream: string;
  source: Source;
  sink: Sink;
  windows: TimeWindow[];
  start: Omit<Cursor, 'epoch'> | null;
  /**
   * Knobs, read before every slice: inline, the flow controller's live object; in a pool worker,
   * a plain object the task updates from each grant (so a grant's knobs shape the next slice).
   */
  knobs: PartitionKnobs;
  /** Fold acknowledged events into pane partials (verification). */
  fold?: FoldSpec;
  /** Events per source read (≥ the largest batch the knobs may ask for). */
  readBatchSize?: number;
  /** Graceful stop: read nothing more, let in-flight batches settle. */
  stop: AbortSignal;
  /** Hard stop: abandon in-flight sends. */
  abort: AbortSignal;
  onAck(batch: AckedBatch): void;
  /**
   * Poison rows of the source and events that would be refused for sure (oversize, future skew):
   * awaited before anything after them is launched, so they are durable before the cursor passes.
   */
  onDeadLetters?(records: readonly DeadLetterRecord[]): Promise<void>;
  /** Awaited before each batch is launched: pacing, the global rate cap, limit-used accounting. */
  beforeLaunch?(events: number, inflightNow: number): Promise<void>;
  onSend?(events: number): void;
  onInflight?(delta: number): void;
}

export interface PartitionRunResult {
  partition: number;
  outcome: 'done' | 'interrupted';
  events: number;
}

interface Slot {
  batch: EventBatch;
  done: Promise<void>;
  /** Settles with the send: rejects when it failed (the next batch's sink must not wait on it). */
  outcome: Promise<void>;
  firstSeq: bigint;
  bytes: number;
  /** The source's resume token for the cursor after this piece (see `resume` in runPartition). */
  resume: string | undefined;
  settled: boolean;
  ack?: BatchAck;
  error?: unknown;
}

export async function runPartition(input: PartitionRunInput): Promise<PartitionRunResult> {
  const { partition, sink, knobs } = input;
  const { stream } = input;
  let nextSeq = input.start ? input.start.seq + 1n : 1n;
  let from: SourcePosition | null = input.start
    ? {
        tsNs: input.start.tsNs,
        eventId: input.start.eventId,
        ...(input.start.resume === undefined ? {} : { resume: input.start.resume }),
      }
    : null;
  // The newest source resume token whose position every piece launched from now on is past.
  let resume = input.start?.resume;
  const queue: Slot[] = [];
  const folder = input.fold ? new BatchFolder(input.fold) : null;
  let inflight = 0;
  let failure: unknown;
  let acked = 0;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const waitForSettle = () => new Promise<void>((resolve) => (wake = resolve));

  const drainHead = () => {
    while (queue.length > 0 && queue[0]!.settled) {
      const slot = queue[0]!;
      if (slot.error !== undefined) return; // never advance past a failed batch
      queue.shift();
      const last = slot.batch.events[slot.batch.events.length - 1]!;
      const n = slot.batch.events.length;
      acked += n;
      input.onAck({
        partition,
        cursor: {
          partition,
          tsNs: last.tsNs,
          eventId: last.eventId,
          seq: slot.firstSeq + BigInt(n - 1),
          ...(slot.resume === undefined ? {} : { resume: slot.resume }),
        },
        events: n,
        bytes: slot.bytes,
        ack: slot.ack!,
        rejected: slot.ack!.rejected.map((r) => ({ ...slot.batch.events[r.index]!, reason: r.reason })),
        ...(folder ? foldPartial(folder, partition, slot.batch.events, slot.ack!.rejected) : {}),
      });
    }
  };

  const launch = (batch: EventBatch, resumeAfter: string | undefined) => {
    const n = batch.events.length;
    let bytes = 0;
    for (const e of batch.events) bytes += e.payload.length;
    const after = queue.length > 0 ? queue[queue.length - 1]!.outcome : undefined;
    let markDone!: () => void;
    const done = new Promise<void>((r) => (markDone = r));
    let settle!: (err?: unknown) => void;
    const outcome = new Promise<void>((resolve, reject) => {
      settle = (err?: unknown) => (err === undefined ? resolve() : reject(err));
    });
    outcome.catch(() => undefined); // observed by the next batch's sink, if any
    const slot: Slot = {
      batch,
      done,
      outcome,
      firstSeq: nextSeq,
      bytes,
      resume: resumeAfter,
      settled: false,
    };
    nextSeq += BigInt(n);
    queue.push(slot);
    inflight++;
    input.onInflight?.(1);
    input.onSend?.(n);
    const send = sink.sequencing
      ? sink.send(
          {
            partition,
            events: batch.events,
            replayStream: stream,
            firstSeq: slot.firstSeq,
            ...(after ? { after } : {}),
          },
          input.abort,
        )
      : sink.send({ partition, events: batch.events }, input.abort);
    send
      .then(
        (ack) => {
          slot.ack = ack;
          settle();
        },
        (err: unknown) => {
          slot.error = err;
          failure ??= err;
          settle(err ?? new Error('send failed'));
        },
      )
      .finally(() => {
        markDone();
        slot.settled = true;
        inflight--;
        input.onInflight?.(-1);
        drainHead();
        notify();
      });
  };

  // Sequencing lets batches pipeline safely; without it, one batch at a time keeps order.
  const limit = () => (sink.sequencing ? Math.max(1, knobs.maxInFlight) : 1);

  let exhausted = false;
  try {
    outer: for (const window of input.windows) {
      if (from && from.tsNs >= window.endNs) continue;
      // Read in large batches (the largest the knobs may ask for): each piece sent below follows
      // the live knob, so a batch size that grows mid-read is used at once.
      const reader = input.source.read(partition, from, window, {
        batchSize: Math.max(input.readBatchSize ?? 0, knobs.batchSize),
        signal: input.stop,
      });
      for await (const raw of reader) {
        const screened = screenBatch(input.job, raw, { nowNs: BigInt(Date.now()) * 1_000_000n });
        if (screened.deadLetters.length > 0) {
          if (!input.onDeadLetters)
            throw new ReplayError(
              ErrorCode.Poison,
              `partition ${partition}: poison events and no dead-letter store`,
            );
          await input.onDeadLetters(screened.deadLetters);
        }
        const read = { partition, events: screened.events };
        // The source reads in its own (large) batches; each piece sent follows the live knob.
        for (let i = 0; i < read.events.length; ) {
          while (inflight >= limit() && failure === undefined) await waitForSettle();
          if (failure !== undefined || input.stop.aborted) break outer;
          const size = Math.max(1, knobs.batchSize);
          const events = i === 0 && size >= read.events.length ? read.events : read.events.slice(i, i + size);
          if (input.beforeLaunch) {
            await input.beforeLaunch(events.length, inflight + 1);
            if (input.stop.aborted) break outer;
          }
          i += events.length;
          // Only the piece ending at the source batch's last event may carry that batch's token;
          // earlier pieces carry the previous one (older than their position: the source then
          // skips what is at or before the cursor's (tsNs, eventId) too).
          if (i === read.events.length && raw.resume !== undefined) resume = raw.resume;
          launch({ partition, events }, resume);
          const last = events[events.length - 1]!;
          from = { tsNs: last.tsNs, eventId: last.eventId, ...(resume === undefined ? {} : { resume }) };
        }
        // A batch with no event left to send (all poison, dead-lettered above): its token is
        // still the newest valid one for the pieces after it.
        if (read.events.length === 0 && raw.resume !== undefined) resume = raw.resume;
      }
      if (input.stop.aborted || failure !== undefined) break;
    }
    exhausted = !input.stop.aborted && failure === undefined;
  } catch (err) {
    // An aborted read during a graceful stop is not a failure.
    if (!input.stop.aborted) failure ??= err;
  }
  while (inflight > 0) await waitForSettle();
  if (failure !== undefined) throw wrapFailure(partition, failure);
  return { partition, outcome: exhausted ? 'done' : 'interrupted', events: acked };
}

function wrapFailure(partition: number, err: unknown): unknown {
  if (err instanceof ReplayError) return err;
  return new ReplayError(
    ErrorCode.PartitionFailed,
    `partition ${partition}: ${(err as Error)?.message ?? String(err)}`,
    {
      cause: err,
    },
  );
}

function foldPartial(
  folder: BatchFolder,
  partition: number,
  events: readonly SourceEvent[],
  rejected: readonly { index: number }[],
): { panes: PaneEntry[] } | { builtinPanes: BuiltinPartial } {
  const skip = rejected.length ? new Set(rejected.map((r) => r.index)) : undefined;
  return folder.builtinsOnly
    ? { builtinPanes: folder.foldBuiltins(events, skip) }
    : { panes: folder.fold(partition, events, skip) };
}
