/**
 * What crosses threads between the main thread and a partition task, and nothing else:
 *
 * - the task itself (`WorkerTask`: plain data, its MessagePort transferred);
 * - per batch, three small messages: `acquire` (worker → main: may I launch `events`?),
 *   `granted` (main → worker: yes, and here are the partition's current knobs, which the runner
 *   uses for its next slice) and one `ack` (worker → main, in batch order: the cursor after the
 *   batch, its stats, refused events and pane partials). The main thread counts a batch in flight
 *   from its grant to its ack; no other message carries knobs or in-flight counts;
 * - now and then: `attempt` (the thread's shared sink reports an HTTP attempt, for the flow
 *   controller), `dead-letters` / `dead-letters-done` (the main thread stores them before the
 *   worker reads on), `stop` / `abort` (main → worker, delivered like any message, so a worker
 *   waiting on a grant, a read or a send reacts at once);
 * - the task's `WorkerResult` (through piscina), errors as `WireError`.
 *
 * Never event objects: measured here, structured-cloning a 1,000-event batch costs ~15 µs per
 * event, more than reading it. Wide integers travel as decimal strings in acks; event bytes (the
 * rare refused or poison event) as compact Uint8Arrays (`toWireBytes`). Both ends dispatch on
 * `t` with an exhaustive switch; an unknown message fails the task (`WORKER_PROTOCOL`).
 */
import type { MessagePort } from 'node:worker_threads';
import { ErrorCode, isReplayError, ReplayError } from '../../common/errors.js';
import type { MetricDef, PaneEntry } from '../../monoid/index.js';
import type { SinkAttempt } from '../../sinks/sink.js';
import type { DeadLetterRecord } from '../cursor.js';
import type { AckedBatch, RejectedSourceEvent } from '../partition-runner.js';
import type { PartitionKnobs } from '../types.js';

export interface WorkerTask {
  job: string;
  partition: number;
  /** The partition's `replay_stream`. */
  stream: string;
  windows: { startNs: string; endNs: string }[];
  start: { tsNs: string; eventId: string; seq: string; acked: string; resume?: string } | null;
  /** Knobs until the first grant (each grant then carries the current ones). */
  knobs: PartitionKnobs;
  readBatchSize: number;
  fold: { paneNs: string; metrics: MetricDef[] } | null;
  /** JSON-safe spec the factories build a source and sink from (cached per worker thread). */
  portsSpec: unknown;
  port: MessagePort;
}

export interface WorkerResult {
  outcome: 'done' | 'interrupted' | 'failed';
  events: number;
  /** Ack messages posted; the main thread waits for all of them before settling the task. */
  acks: number;
  error?: WireError;
}

/** A ReplayError across threads (details must be JSON-safe: the sink puts seqs in as strings). */
export interface WireError {
  code: ErrorCode;
  message: string;
  canRetry: boolean;
  details?: Record<string, unknown>;
}

/**
 * Event bytes across threads (refused events in acks, dead letters): one exact-size Uint8Array
 * each, structured-cloned, and revived on the other side as a Buffer view of the clone. Cheaper
 * than base64 (no 4/3 inflation, no encode/decode pass, no string per field): the clone is one
 * copy each way. It must be a compact copy, not the event's Buffer itself: a Buffer is usually a
 * view into a larger chunk (the source's COPY chunk, Node's 8 KiB pool), and structured clone
 * copies a view's whole backing ArrayBuffer (checked on Node 20: a 10-byte view of a 10 MB
 * Buffer arrives with a 10 MB `.buffer`). Transferring is not an option for such views, and these
 * events are rare enough that packing them into one transferred buffer is not worth its code.
 */
export type WireBytes = Uint8Array;

export function toWireBytes(b: Uint8Array): WireBytes {
  return new Uint8Array(b);
}

export function fromWireBytes(u: WireBytes): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

// ---- worker → main ----

/** Worker → main: may I launch a batch of `events`? (pace + global cap live in the main thread). */
export interface AcquireMessage {
  t: 'acquire';
  id: number;
  events: number;
  /** Batches in flight in the worker once this one is launched. */
  inflight: number;
}

/** Worker → main: the next batch in order is settled (one per batch; settles one in-flight batch). */
export interface AckMessage {
  t: 'ack';
  tsNs: string;
  eventId: string;
  seq: string;
  /** The source's resume token at the cursor, when it gives one. */
  resume?: string;
  events: number;
  bytes: number;
  duplicates: number;
  resent: number;
  accepted: number;
  retries: Record<string, number>;
  rejected: {
    eventId: string;
    tsNs: string;
    reason: string;
    key: WireBytes;
    payload: WireBytes;
    schemaKey: string;
  }[];
  panes?: PaneEntry[];
  builtinPanes?: number[];
}

export interface AttemptMessage {
  t: 'attempt';
  a: SinkAttempt;
}

/**
 * Worker → main: the thread's own metrics (its sink's `ceptra_client_*` series), as the ports
 * factory snapshots them (prom-client's `getMetricsAsJSON()`), about once a second and when a
 * task ends. The main thread keeps the latest per thread and merges them into `/metrics`.
 */
export interface MetricsMessage {
  t: 'metrics';
  thread: number;
  snapshot: unknown;
}

export type WireDeadLetter = Omit<DeadLetterRecord, 'key' | 'payload'> & {
  key?: WireBytes;
  payload?: WireBytes;
};

/** Worker → main: store these dead letters (the main thread is the only writer); wait for the reply. */
export interface DeadLettersMessage {
  t: 'dead-letters';
  id: number;
  records: WireDeadLetter[];
}

export type WorkerMessage =
  | AcquireMessage
  | AckMessage
  | AttemptMessage
  | DeadLettersMessage
  | MetricsMessage;

// ---- main → worker ----

/** Main → worker: the answer to an AcquireMessage, with the knobs for the runner's next slice. */
export interface GrantMessage {
  t: 'granted';
  id: number;
  knobs: PartitionKnobs;
}

/** Main → worker: the dead letters of request `id` are durable (or failed with `error`). */
export interface DeadLettersDoneMessage {
  t: 'dead-letters-done';
  id: number;
  error?: WireError;
}

/** Main → worker: graceful stop (read nothing more, let in-flight batches settle). */
export interface StopMessage {
  t: 'stop';
}

/** Main → worker: hard stop (abandon in-flight sends; implies stop). */
export interface AbortMessage {
  t: 'abort';
}

export type MainMessage = GrantMessage | DeadLettersDoneMessage | StopMessage | AbortMessage;

/** The `default` of an exhaustive switch over messages: the other end speaks another protocol. */
export function unknownMessage(receiver: 'main' | 'worker', m: never): ReplayError {
  const t = (m as { t?: unknown } | null)?.t;
  return new ReplayError(
    ErrorCode.WorkerProtocol,
    `${receiver} thread got an unknown pool message (t = ${JSON.stringify(t) ?? 'undefined'})`,
  );
}

// ---- codecs ----

export function encodeAck(a: AckedBatch): AckMessage {
  return {
    t: 'ack',
    tsNs: a.cursor.tsNs.toString(),
    eventId: a.cursor.eventId,
    seq: a.cursor.seq.toString(),
    ...(a.cursor.resume === undefined ? {} : { resume: a.cursor.resume }),
    events: a.events,
    bytes: a.bytes,
    duplicates: a.ack.duplicates,
    resent: a.ack.resent,
    accepted: a.ack.accepted,
    retries: a.ack.retries,
    rejected: a.rejected.map((e) => ({
      eventId: e.eventId,
      tsNs: e.tsNs.toString(),
      reason: e.reason,
      key: toWireBytes(e.key),
      payload: toWireBytes(e.payload),
      schemaKey: e.schemaKey,
    })),
    ...(a.panes ? { panes: a.panes } : {}),
    ...(a.builtinPanes ? { builtinPanes: a.builtinPanes } : {}),
  };
}

export function decodeAck(partition: number, m: AckMessage): AckedBatch {
  const rejected: RejectedSourceEvent[] = m.rejected.map((r) => ({
    eventId: r.eventId,
    tsNs: BigInt(r.tsNs),
    reason: r.reason,
    key: fromWireBytes(r.key),
    payload: fromWireBytes(r.payload),
    schemaKey: r.schemaKey,
  }));
  return {
    partition,
    cursor: {
      partition,
      tsNs: BigInt(m.tsNs),
      eventId: m.eventId,
      seq: BigInt(m.seq),
      ...(m.resume === undefined ? {} : { resume: m.resume }),
    },
    events: m.events,
    bytes: m.bytes,
    ack: {
      accepted: m.accepted,
      duplicates: m.duplicates,
      resent: m.resent,
      retries: m.retries,
      rejected: rejected.map((r, index) => ({ index, eventId: r.eventId, reason: r.reason })),
    },
    rejected,
    ...(m.panes ? { panes: m.panes } : {}),
    ...(m.builtinPanes ? { builtinPanes: m.builtinPanes } : {}),
  };
}

export function encodeDeadLetter(r: DeadLetterRecord): WireDeadLetter {
  const { key, payload, ...rest } = r;
  return {
    ...rest,
    ...(key ? { key: toWireBytes(key) } : {}),
    ...(payload ? { payload: toWireBytes(payload) } : {}),
  };
}

export function decodeDeadLetter(r: WireDeadLetter): DeadLetterRecord {
  const { key, payload, ...rest } = r;
  return {
    ...rest,
    ...(key ? { key: fromWireBytes(key) } : {}),
    ...(payload ? { payload: fromWireBytes(payload) } : {}),
  };
}

/** A ReplayError keeps its code, retry decision and details; anything else gets `fallbackCode`. */
export function toWireError(err: unknown, fallbackCode: ErrorCode): WireError {
  const message = typeof (err as Error | null)?.message === 'string' ? (err as Error).message : String(err);
  if (!isReplayError(err)) return { code: fallbackCode, message, canRetry: false };
  let details: Record<string, unknown> | undefined;
  if (err.details && typeof err.details === 'object') {
    try {
      details = JSON.parse(JSON.stringify(err.details)) as Record<string, unknown>;
    } catch {
      details = undefined;
    }
  }
  return { code: err.code, message, canRetry: err.canRetry, ...(details ? { details } : {}) };
}

export function fromWireError(e: WireError): ReplayError {
  return new ReplayError(e.code, e.message, {
    canRetry: e.canRetry,
    ...(e.details ? { details: e.details } : {}),
  });
}
