/**
 * The source port. The engine sees only this; drivers (pg, kafkajs) stay inside their folders.
 *
 * Times are integer nanoseconds since the Unix epoch as `bigint`: Postgres timestamps carry
 * microseconds and a JS Date keeps milliseconds, which would corrupt both `ts_ns` and the
 * resume cursor.
 */

/** Half-open event-time window [startNs, endNs). */
export interface TimeWindow {
  startNs: bigint;
  endNs: bigint;
}

/** Exclusive resume position inside one partition: read strictly after it. */
export interface SourcePosition {
  tsNs: bigint;
  /** Text form of the source's event id; the source compares it in its native type. */
  eventId: string;
  /**
   * The source's own resume token (opaque to the engine), when it gave one: the `resume` of the
   * last batch whose final event is at or before this position. A source whose order cannot be
   * re-found from `(tsNs, eventId)` alone (Kafka: offsets per topic-partition) needs it; it may
   * be older than the position (the engine sends a batch in pieces and only the last piece
   * carries the batch's token), so the source also skips what is at or before `(tsNs, eventId)`.
   */
  resume?: string;
}

export interface SourceEvent {
  tsNs: bigint;
  eventId: string;
  /** Partition key bytes (CEPtra routes by FNV-1a-64(key) mod N). */
  key: Buffer;
  /** Opaque payload bytes, exactly as stored; never parsed on the send path. */
  payload: Buffer;
  schemaKey: string;
}

/**
 * Why a source row could not become an event (it is reported as a poison row, never dropped).
 * `PAYLOAD_NOT_UTF8`: a text payload whose bytes are not valid UTF-8 (only possible in a
 * SQL_ASCII database; json/jsonb are validated by Postgres and bytea is always decodable).
 * `EMPTY_EVENT_ID`: an event id `''`, no identity at all (CEPtra refuses an empty `event_id`, and
 * the emulator refuses the whole request); reported with `eventId: null` so it is never re-driven
 * as is, its `raw` keeps the `''`. An empty *key* is valid: it routes as FNV-1a-64 of no bytes.
 */
export const SourcePoisonReason = {
  NullEventTime: 'NULL_EVENT_TIME',
  NullEventId: 'NULL_EVENT_ID',
  EmptyEventId: 'EMPTY_EVENT_ID',
  NullKey: 'NULL_KEY',
  NullPayload: 'NULL_PAYLOAD',
  NullSchemaKey: 'NULL_SCHEMA_KEY',
  PayloadNotUtf8: 'PAYLOAD_NOT_UTF8',
} as const;
export type SourcePoisonReason = (typeof SourcePoisonReason)[keyof typeof SourcePoisonReason];

/** A source row that is not a valid event: reported in its batch, in source order, with its raw columns. */
export interface PoisonRow {
  reason: SourcePoisonReason | string;
  eventId: string | null;
  tsNs: bigint | null;
  partition: number;
  /** Every selected column by name, as text (bytea and undecodable text as `\x…` hex); null for SQL NULL. */
  raw: Record<string, string | null>;
  /** Events of the same batch that precede this row in source order (exact interleaving). */
  position: number;
  /** The bytes the row has, when it has them (so a dead letter can be re-driven). */
  key?: Buffer;
  payload?: Buffer;
  schemaKey?: string;
}

export interface EventBatch {
  partition: number;
  events: SourceEvent[];
  /**
   * Resume token valid after this batch's last event (see `SourcePosition.resume`); stored with
   * the cursor when that event is acknowledged. Absent for sources that resume from
   * `(tsNs, eventId)` alone (Postgres).
   */
  resume?: string;
  /** Rows of this stretch of the partition that could not become events; absent when none. */
  poison?: PoisonRow[];
}

export interface PartitionInfo {
  partition: number;
  /** Rows in the window (exact or estimated, see `exact`). */
  rows: number;
  exact: boolean;
  firstTsNs: bigint | null;
  lastTsNs: bigint | null;
  /** Human description of the access path (e.g. index name), for `plan`. */
  accessPath?: string;
}

export interface ReadOptions {
  /** Events per yielded batch. */
  batchSize: number;
  signal?: AbortSignal;
}

export interface Source {
  /** Partitions the job covers, with row counts for the window. */
  partitions(window: TimeWindow, opts?: { exact?: boolean }): Promise<PartitionInfo[]>;
  /** One ordered reader: `(tsNs, eventId)` ascending, strictly after `from`, inside `window`. */
  read(
    partition: number,
    from: SourcePosition | null,
    window: TimeWindow,
    opts: ReadOptions,
  ): AsyncIterable<EventBatch>;
  /**
   * For a source whose partitions share one read (Kafka: every partition is fed by every
   * topic-partition): the partitions about to run, each with its start, told before any read()
   * so the shared read waits for all of them instead of scanning once per partition.
   */
  expectReads?(starts: ReadonlyMap<number, SourcePosition | null>): void;
  close(): Promise<void>;
}

/** Compare two positions in (tsNs, eventId) order using the source's id order. */
export type PositionCompare = (a: SourcePosition, b: SourcePosition) => number;

/** `opts.batchSize`, checked: a positive integer (RangeError otherwise). */
export function readBatchSize(opts: ReadOptions): number {
  const { batchSize } = opts;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer (got ${batchSize})`);
  }
  return batchSize;
}
