/**
 * The sink port. The engine hands it one partition's batch at a time and gets back, per batch,
 * how far the target accepted it. The CEPtra implementation lives in `ceptra/` (undici only there).
 */
import type { SourceEvent } from '../sources/source.js';

export interface SinkBatch {
  partition: number;
  events: SourceEvent[];
  /** Replay sequencing (contract §2): stream id and the seq of events[0]; seq is contiguous. */
  replayStream?: string;
  firstSeq?: bigint;
  /**
   * Settles when the partition's previous batch has its final outcome. A target that answers
   * `OUT_OF_ORDER_SEQUENCE` is waiting for that batch, so the sink waits for this instead of a
   * blind backoff, then re-sends at once (it is an ordering signal, not a capacity one).
   */
  after?: Promise<unknown>;
}

export interface RejectedEvent {
  index: number;
  eventId: string;
  reason: string;
}

export interface BatchAck {
  /** Every event of the batch has a final outcome (accepted, duplicate-absorbed or rejected). */
  accepted: number;
  /** Acknowledged as duplicates (already applied). */
  duplicates: number;
  /** Permanently refused events, with the target's reason; never retried. */
  rejected: RejectedEvent[];
  /** Attempts beyond the first for this batch, by reason. */
  retries: Record<string, number>;
  /** Events re-sent because an earlier attempt did not accept them. */
  resent: number;
}

export interface Sink {
  /** Resolves when every event of the batch has a final outcome; rejects on fatal errors. */
  send(batch: SinkBatch, signal?: AbortSignal): Promise<BatchAck>;
  /** Whether the target supports replay sequencing (`/v1/state` `replay_sequencing: true`). */
  readonly sequencing: boolean;
  /**
   * The target's last applied seq of a replay stream: 0 when it never saw it, undefined when it
   * cannot say. Absent on sinks without replay sequencing.
   */
  lastSeq?(stream: string): Promise<bigint | undefined>;
  /** Set by the owner to observe every attempt (flow control). */
  onAttempt?: ((a: SinkAttempt) => void) | undefined;
  close(): Promise<void>;
}

/** One request attempt as seen by the sink (for the flow controller): per attempt, not per retry sequence. */
export interface SinkAttempt {
  /** Replay stream (`<job>/<partition>`) when the target sequences; partitions are derived from it. */
  lane?: string;
  /** HTTP status, 0 for a network error or timeout. */
  status: number;
  rttMs: number;
  events: number;
  /** Why this attempt will be retried (TRANSIENT_BACKPRESSURE, HTTP_429, …), null when it was accepted. */
  retryReason: string | null;
  /** The target's last credit hint. */
  hint?: { clientWindowSize: number; retryBackoffMs: number };
}
