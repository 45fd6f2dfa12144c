import type { PoisonRow, SourceEvent } from '../source.js';

/** One partition of one topic. Offsets are JS numbers: exact up to 2^53 (a topic-partition
 * appending a million records a second would need 285 years to pass it). */
export interface TopicPartition {
  topic: string;
  partition: number;
}

export const tpName = (tp: TopicPartition): string => `${tp.topic}/${tp.partition}`;

/**
 * Why a Kafka record could not become an event. The port's reasons are reused where they fit
 * (`NULL_KEY`: a record without a key under `mapping.key: key`; `EMPTY_EVENT_ID`).
 */
export const KafkaPoisonReason = {
  NullKey: 'NULL_KEY',
  EmptyEventId: 'EMPTY_EVENT_ID',
  /** A tombstone: the record has no value, so there is no payload to send. */
  NullValue: 'NULL_VALUE',
  /** A header the mapping reads is absent. */
  MissingHeader: 'MISSING_HEADER',
  /** A header read as text (id, schema key, time) is not valid UTF-8. */
  HeaderNotUtf8: 'HEADER_NOT_UTF8',
  /** The value is not JSON (or not UTF-8) while the mapping reads a payload field. */
  BadPayloadJson: 'BAD_PAYLOAD_JSON',
  /** The payload field the mapping reads is absent (or null, or an object/array). */
  MissingField: 'MISSING_FIELD',
  /** The time is absent (record timestamp -1), unparsable, or not exact in the unit. */
  BadEventTime: 'BAD_EVENT_TIME',
  /** More than `maxDisorder` behind the newest time seen in its topic-partition (onDisorder: dead-letter). */
  OutOfOrderSource: 'OUT_OF_ORDER_SOURCE',
} as const;
export type KafkaPoisonReason = (typeof KafkaPoisonReason)[keyof typeof KafkaPoisonReason];

/** A mapped record, as the merger sees it (`offset` in its topic-partition). */
export type Rec =
  | { offset: number; partition: number; tsNs: bigint; event: SourceEvent; poison?: undefined }
  | {
      offset: number;
      partition: number;
      /** Known when the time mapped but something else did not. */
      tsNs: bigint | null;
      event?: undefined;
      poison: Omit<PoisonRow, 'position' | 'partition'>;
    };

/** An order key: (event time, event id), ids compared as JS strings (UTF-16 code units). */
export interface OrderKey {
  tsNs: bigint;
  eventId: string;
}

export function compareKeys(a: OrderKey, b: OrderKey): number {
  if (a.tsNs !== b.tsNs) return a.tsNs < b.tsNs ? -1 : 1;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}
