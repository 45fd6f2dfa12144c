/**
 * Record → event, per the mapping, and the CEPtra partition it routes to (FNV-1a-64(key) mod N).
 * A record that cannot become an event is a poison Rec with the first reason found; it still
 * routes by its key when it has one, else to CEPtra partition (Kafka partition mod N), so that
 * exactly one reader reports it. Its `raw` holds topic, partition, offset, timestamp, key and
 * headers as text (UTF-8 when valid, else `\x` hex).
 *
 * Fast path (default mapping): the time is the record timestamp (decimal ms → BigInt), the id a
 * string concatenation, the key and payload the record's own Buffers (no copy).
 */
import { isUtf8 } from 'node:buffer';
import { partitionForKey } from '../../common/fnv.js';
import { parseRfc3339Ns } from '../../config/time.js';
import type { SourceEvent } from '../source.js';
import { type KafkaMapping, type KafkaTimeUnit, parseJsonPath } from './options.js';
import { KafkaPoisonReason, type Rec, type TopicPartition } from './types.js';

/** A record as the client delivers it (kafkajs' KafkaMessage shape, only what is read). */
export interface KafkaRecordIn {
  offset: string;
  /** Milliseconds since the epoch as decimal text; `-1` when the record has none. */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export type RecordMapper = (m: KafkaRecordIn) => Rec;

const NS_PER: Record<KafkaTimeUnit, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
const DIGITS: Record<KafkaTimeUnit, number> = { s: 9, ms: 6, us: 3, ns: 0 };
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Decimal text in `unit` → exact ns; null when not a decimal or finer than 1 ns. */
export function decimalToNs(text: string, unit: KafkaTimeUnit): bigint | null {
  const m = DECIMAL.exec(text.trim());
  if (!m) return null;
  let frac = m[3] ?? '';
  const room = DIGITS[unit];
  if (frac.length > room) {
    if (!/^0*$/.test(frac.slice(room))) return null;
    frac = frac.slice(0, room);
  }
  const ns = BigInt(m[2]!) * NS_PER[unit] + (frac === '' ? 0n : BigInt(frac.padEnd(room, '0')));
  return m[1] === '-' ? -ns : ns;
}

function header(m: KafkaRecordIn, name: string): Buffer | undefined {
  let v = m.headers?.[name];
  if (Array.isArray(v)) v = v[0]; // a repeated header: its first occurrence
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

const text = (b: Buffer): string => (isUtf8(b) ? b.toString('utf8') : `\\x${b.toString('hex')}`);

function rawOf(tp: TopicPartition, m: KafkaRecordIn): Record<string, string | null> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    const list = (Array.isArray(v) ? v : [v]).map((x) => (typeof x === 'string' ? x : text(x)));
    headers[k] = list.length === 1 ? list[0]! : list;
  }
  return {
    topic: tp.topic,
    partition: String(tp.partition),
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key === null ? null : text(m.key),
    headers: JSON.stringify(headers),
    value_bytes: m.value === null ? null : String(m.value.length),
  };
}

class Poison {
  constructor(
    readonly reason: KafkaPoisonReason,
    readonly detail: string,
  ) {}
}

function walk(doc: unknown, path: readonly (string | number)[]): unknown {
  let v = doc;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

export function createMapper(mapping: KafkaMapping, tp: TopicPartition, n: number): RecordMapper {
  const idPrefix = `${tp.topic}/${tp.partition}/`;
  const homePartition = tp.partition % n;
  const t = mapping.eventTime;
  const id = mapping.eventId;
  const k = mapping.key;
  const sk = mapping.schemaKey;
  const timePath = t.from === 'payload' ? parseJsonPath(t.path)! : null;
  const idPath = id.from === 'payload' ? parseJsonPath(id.path)! : null;
  const needJson = timePath !== null || idPath !== null;

  const headerText = (m: KafkaRecordIn, name: string): string => {
    const b = header(m, name);
    if (b === undefined) throw new Poison(KafkaPoisonReason.MissingHeader, `no header "${name}"`);
    if (!isUtf8(b)) throw new Poison(KafkaPoisonReason.HeaderNotUtf8, `header "${name}" is not UTF-8`);
    return b.toString('utf8');
  };

  const json = (m: KafkaRecordIn): unknown => {
    if (m.value === null) throw new Poison(KafkaPoisonReason.NullValue, 'the record has no value');
    if (!isUtf8(m.value)) throw new Poison(KafkaPoisonReason.BadPayloadJson, 'the value is not UTF-8');
    try {
      return JSON.parse(m.value.toString('utf8'));
    } catch {
      throw new Poison(KafkaPoisonReason.BadPayloadJson, 'the value is not JSON');
    }
  };

  const timeOf = (m: KafkaRecordIn, doc: unknown): bigint => {
    switch (t.from) {
      case 'timestamp': {
        const ms = m.timestamp;
        if (ms === '-1' || !/^-?\d+$/.test(ms)) {
          throw new Poison(KafkaPoisonReason.BadEventTime, `record timestamp ${ms}`);
        }
        return BigInt(ms) * 1_000_000n;
      }
      case 'header': {
        const v = headerText(m, t.name);
        const ns = decimalToNs(v, t.unit);
        if (ns === null) {
          throw new Poison(
            KafkaPoisonReason.BadEventTime,
            `header "${t.name}" = "${v}" is not a time in ${t.unit}`,
          );
        }
        return ns;
      }
      case 'payload': {
        const v = walk(doc, timePath!);
        if (v === undefined || v === null)
          throw new Poison(KafkaPoisonReason.MissingField, `no field ${t.path}`);
        if (t.unit === 'iso8601') {
          const r = typeof v === 'string' ? parseRfc3339Ns(v) : null;
          if (r?.ok) return r.value;
          throw new Poison(
            KafkaPoisonReason.BadEventTime,
            `${t.path} = ${JSON.stringify(v)}: ${r?.error ?? 'not a string'}`,
          );
        }
        let ns: bigint | null = null;
        if (typeof v === 'string') ns = decimalToNs(v, t.unit);
        else if (typeof v === 'number' && Number.isFinite(v)) {
          // JSON.parse rounds integers above 2^53: such a time is not exact, say so.
          ns = Number.isInteger(v) && !Number.isSafeInteger(v) ? null : decimalToNs(String(v), t.unit);
        }
        if (ns === null) {
          throw new Poison(
            KafkaPoisonReason.BadEventTime,
            `${t.path} = ${JSON.stringify(v)} is not an exact time in ${t.unit} (numbers above 2^53 must be strings)`,
          );
        }
        return ns;
      }
    }
  };

  const idOf = (m: KafkaRecordIn, doc: unknown): string => {
    let v: string;
    if (id.from === 'offset') return idPrefix + m.offset;
    if (id.from === 'header') v = headerText(m, id.name);
    else {
      const f = walk(doc, idPath!);
      if (typeof f === 'string') v = f;
      else if (typeof f === 'number' && Number.isSafeInteger(f)) v = String(f);
      else throw new Poison(KafkaPoisonReason.MissingField, `no string or integer field ${id.path}`);
    }
    if (v === '') throw new Poison(KafkaPoisonReason.EmptyEventId, 'the event id is empty');
    return v;
  };

  const keyOf = (m: KafkaRecordIn): Buffer => {
    if (k.from === 'key') {
      if (m.key === null) throw new Poison(KafkaPoisonReason.NullKey, 'the record has no key');
      return m.key;
    }
    const b = header(m, k.name);
    if (b === undefined) throw new Poison(KafkaPoisonReason.MissingHeader, `no header "${k.name}"`);
    return b;
  };

  const schemaKeyOf = (m: KafkaRecordIn): string =>
    sk.from === 'constant' ? sk.value : headerText(m, sk.name);

  const attempt = <T>(f: () => T): T | Poison => {
    try {
      return f();
    } catch (e) {
      if (e instanceof Poison) return e;
      throw e;
    }
  };

  const plain = t.from === 'timestamp' && id.from === 'offset' && k.from === 'key' && sk.from === 'constant';
  const constantSchemaKey = sk.from === 'constant' ? sk.value : '';
  const MS = /^\d{1,16}$/;

  return (m) => {
    const offset = Number(m.offset);
    if (plain && m.key !== null && m.value !== null && MS.test(m.timestamp)) {
      // The default mapping on a well-formed record: no closure, no throw.
      const tsNs = BigInt(m.timestamp) * 1_000_000n;
      const event: SourceEvent = {
        tsNs,
        eventId: idPrefix + m.offset,
        key: m.key,
        payload: m.value,
        schemaKey: constantSchemaKey,
      };
      return { offset, partition: partitionForKey(m.key, n), tsNs, event };
    }
    if (!needJson) {
      // The usual mappings: no payload parse, and every step below is cheap.
      const key = attempt(() => keyOf(m));
      const tsNs = attempt(() => timeOf(m, undefined));
      const eventId = attempt(() => idOf(m, undefined));
      const schemaKey = attempt(() => schemaKeyOf(m));
      return build(m, offset, key, tsNs, eventId, schemaKey);
    }
    const doc = attempt(() => json(m));
    const key = attempt(() => keyOf(m));
    const tsNs = doc instanceof Poison ? doc : attempt(() => timeOf(m, doc));
    const eventId = doc instanceof Poison ? doc : attempt(() => idOf(m, doc));
    const schemaKey = attempt(() => schemaKeyOf(m));
    return build(m, offset, key, tsNs, eventId, schemaKey);
  };

  function build(
    m: KafkaRecordIn,
    offset: number,
    key: Buffer | Poison,
    tsNs: bigint | Poison,
    eventId: string | Poison,
    schemaKey: string | Poison,
  ): Rec {
    const failed =
      key instanceof Poison
        ? key
        : tsNs instanceof Poison
          ? tsNs
          : eventId instanceof Poison
            ? eventId
            : schemaKey instanceof Poison
              ? schemaKey
              : m.value === null
                ? new Poison(KafkaPoisonReason.NullValue, 'the record has no value')
                : null;
    if (failed === null) {
      const k = key as Buffer;
      const event: SourceEvent = {
        tsNs: tsNs as bigint,
        eventId: eventId as string,
        key: k,
        payload: m.value!,
        schemaKey: schemaKey as string,
      };
      return { offset, partition: partitionForKey(k, n), tsNs: event.tsNs, event };
    }
    const raw = rawOf(tp, m);
    raw.detail = failed.detail;
    const ts = tsNs instanceof Poison ? null : tsNs;
    return {
      offset,
      partition: key instanceof Poison ? homePartition : partitionForKey(key, n),
      tsNs: ts,
      poison: {
        reason: failed.reason,
        eventId: eventId instanceof Poison ? null : eventId,
        tsNs: ts,
        raw,
        ...(key instanceof Poison ? {} : { key }),
        ...(m.value === null ? {} : { payload: m.value }),
        ...(schemaKey instanceof Poison ? {} : { schemaKey }),
      },
    };
  }
}
