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

/**
 * What one attempt says about the target's capacity, in the engine's vocabulary: the sink
 * classifies statuses and per-event reasons once, here, and the flow controller never sees HTTP.
 * `ok`: accepted (ordering refusals — OUT_OF_ORDER_SEQUENCE — and the in-request prefix rule's
 * TRANSIENT_RETRY are not capacity signals); `backpressure`: events refused for capacity
 * (TransientBackpressure and the other transient reasons); `http429` / `http503`: the whole
 * request throttled; `error`: a transport failure, a 5xx or a fatal status.
 */
export const AttemptOutcome = {
  Ok: 'ok',
  Backpressure: 'backpressure',
  Http429: 'http429',
  Http503: 'http503',
  Error: 'error',
} as const;
export type AttemptOutcome = (typeof AttemptOutcome)[keyof typeof AttemptOutcome];

/** One request attempt as seen by the sink (for the flow controller): per attempt, not per retry sequence. */
export interface SinkAttempt {
  partition: number;
  outcome: AttemptOutcome;
  rttMs: number;
  /** Events the request carried. */
  events: number;
  /** Of those, events refused for capacity (`backpressure`); 0 otherwise. */
  refused: number;
  /** The target's last credit hint. */
  hint?: { clientWindowSize: number; retryBackoffMs: number };
}
