/**
 * Wire encoding (contract §1). Each event is encoded once per batch into a "prefix" — every field
 * except the echoed hints — and each attempt appends the current hint suffix. A re-send after a
 * throttle therefore reuses byte-identical event fields (same event_id, payload, seq) and only
 * the echo changes.
 *
 * Bytes, not strings: a batch's prefixes are written straight into one Buffer (base64 encoded in
 * place, ids and digits copied byte by byte) and a request body is assembled from byte ranges of
 * it, which is what goes on the socket. Building bodies as JS strings (prefix concatenation, the
 * previous fast path) left undici a ~350 kB string per request to flatten and UTF-8 encode: ~1 s
 * of CPU per million events, plus a string per event for the GC (1M-event replay profile,
 * bench/RESULTS.md). `bench/encode.ts` measures both against `JSON.stringify` per event.
 */

import { type CepCreditHint, type CreditHint, REPLAY_FLAG } from '../../common/contract.js';
import { unreachable } from '../../common/errors.js';
import type { SourceEvent } from '../../sources/source.js';
import type { BatchEncoding } from './options.js';

export interface EncodeContext {
  replayFlag: boolean;
  /** Present only when the target supports sequencing. */
  replayStream?: string;
  firstSeq?: bigint;
}

/** A batch's prefixes: prefix `i` is `bytes[starts[i], starts[i + 1])`. */
export interface EncodedPrefixes {
  readonly bytes: Buffer;
  readonly starts: Uint32Array;
}

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
const OPEN_ID = ascii('{"event_id":');
const KEY = ascii(',"partition_key_b64":"');
const SCHEMA = ascii('","schema_key":');
const PAYLOAD = ascii(',"payload_b64":"');
const TS = ascii('","ts_ns":"');
const QUOTE = 0x22;
/** Closes ts_ns, then the flags. */
const FLAGS_REPLAY = ascii(`","flags":[${JSON.stringify(REPLAY_FLAG)}]`);
const CLOSE_TS = ascii('"');
const SEQ_CLOSE = 0x22;

const B64 = ascii('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
/** Above this many bytes the native encoder (one string, then one copy) beats the byte loop. */
const NATIVE_B64_FROM = 1024;

const b64Len = (n: number): number => Math.ceil(n / 3) * 4;

/** Standard base64 with padding of `src` into `out` at `o`; returns the end. */
function base64Into(src: Buffer, out: Buffer, o: number): number {
  const n = src.length;
  if (n >= NATIVE_B64_FROM) return o + out.write(src.toString('base64'), o, 'latin1');
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    out[o++] = B64[v >>> 18]!;
    out[o++] = B64[(v >>> 12) & 63]!;
    out[o++] = B64[(v >>> 6) & 63]!;
    out[o++] = B64[v & 63]!;
  }
  if (i < n) {
    const v = (src[i]! << 16) | (i + 1 < n ? src[i + 1]! << 8 : 0);
    out[o++] = B64[v >>> 18]!;
    out[o++] = B64[(v >>> 12) & 63]!;
    out[o++] = i + 1 < n ? B64[(v >>> 6) & 63]! : 0x3d;
    out[o++] = 0x3d;
  }
  return o;
}

/** A string of printable ASCII without `"` or `\\`: its JSON form is itself between quotes. */
function plainAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/** `s` as a JSON string into `out` at `o`; returns the end. */
function jsonStringInto(s: string, out: Buffer, o: number): number {
  if (!plainAscii(s)) return o + out.write(JSON.stringify(s), o, 'utf8');
  out[o++] = QUOTE;
  for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
  out[o++] = QUOTE;
  return o;
}

/** Decimal digits of a string known to be ASCII into `out` at `o`; returns the end. */
function asciiInto(s: string, out: Buffer, o: number): number {
  for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
  return o;
}

/** An upper bound of one event's prefix in bytes (a JSON-escaped char is ≤ 6 bytes). */
function boundOf(e: SourceEvent, fixed: number): number {
  return (
    fixed + 6 * (e.eventId.length + e.schemaKey.length) + b64Len(e.key.length) + b64Len(e.payload.length)
  );
}

/** Encode every field of each event except the hints (no closing brace). */
export function encodePrefixes(events: readonly SourceEvent[], ctx: EncodeContext): EncodedPrefixes {
  const flags = ctx.replayFlag ? FLAGS_REPLAY : CLOSE_TS;
  const seqOn = ctx.replayStream !== undefined && ctx.firstSeq !== undefined;
  const stream = seqOn
    ? Buffer.from(`,"replay_stream":${JSON.stringify(ctx.replayStream)},"replay_seq":"`)
    : null;
  // Fixed bytes per event: field names, quotes, ts_ns (≤ 20 digits for a u64), flags, sequencing.
  const fixed =
    OPEN_ID.length +
    KEY.length +
    SCHEMA.length +
    PAYLOAD.length +
    TS.length +
    2 +
    4 +
    21 +
    flags.length +
    (stream === null ? 0 : stream.length + 21 + 1);
  let size = 0;
  for (const e of events) size += boundOf(e, fixed);
  const out = Buffer.allocUnsafe(size);
  const starts = new Uint32Array(events.length + 1);
  let lastSchema: string | undefined;
  let schemaJson = Buffer.alloc(0);
  let o = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    starts[i] = o;
    out.set(OPEN_ID, o);
    o = jsonStringInto(e.eventId, out, o + OPEN_ID.length);
    out.set(KEY, o);
    o = base64Into(e.key, out, o + KEY.length);
    if (e.schemaKey !== lastSchema) {
      lastSchema = e.schemaKey;
      schemaJson = Buffer.from(JSON.stringify(e.schemaKey));
    }
    out.set(SCHEMA, o);
    o += SCHEMA.length;
    out.set(schemaJson, o);
    o += schemaJson.length;
    out.set(PAYLOAD, o);
    o = base64Into(e.payload, out, o + PAYLOAD.length);
    out.set(TS, o);
    o = asciiInto(e.tsNs.toString(), out, o + TS.length);
    out.set(flags, o);
    o += flags.length;
    if (stream !== null) {
      out.set(stream, o);
      o = asciiInto((ctx.firstSeq! + BigInt(i)).toString(), out, o + stream.length);
      out[o++] = SEQ_CLOSE;
    }
  }
  starts[events.length] = o;
  return { bytes: out, starts };
}

/** The per-attempt tail: echoed `credit_hint` and `cep_credit_hint` (or null), closing the object. */
export function hintSuffix(creditHint: CreditHint, cep: CepCreditHint | null): string {
  const c =
    cep === null
      ? 'null'
      : `{"client_window_size":${cep.client_window_size},"retry_backoff_ms":${cep.retry_backoff_ms}}`;
  return `,"credit_hint":${JSON.stringify(creditHint)},"cep_credit_hint":${c}}`;
}

/** One `/append` body: prefix `i` and the hint suffix. */
export function encodeSingle(p: EncodedPrefixes, i: number, suffix: string): Buffer {
  const s = p.starts[i]!;
  const e = p.starts[i + 1]!;
  const out = Buffer.allocUnsafe(e - s + Buffer.byteLength(suffix));
  p.bytes.copy(out, 0, s, e);
  out.write(suffix, e - s, 'utf8');
  return out;
}

/** One `/append/batch` body from the prefixes `idx`, in that order. */
export function encodeBatch(
  p: EncodedPrefixes,
  idx: readonly number[],
  suffix: string,
  encoding: BatchEncoding,
): Buffer {
  const tail = Buffer.from(encoding === 'ndjson' ? `${suffix}\n` : suffix);
  const { bytes, starts } = p;
  let size = encoding === 'ndjson' ? 0 : OPEN_EVENTS.length + 2 + Math.max(0, idx.length - 1);
  for (let k = 0; k < idx.length; k++) size += starts[idx[k]! + 1]! - starts[idx[k]!]! + tail.length;
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  if (encoding !== 'ndjson') {
    out.set(OPEN_EVENTS, 0);
    o = OPEN_EVENTS.length;
  }
  for (let k = 0; k < idx.length; k++) {
    if (encoding !== 'ndjson' && k > 0) out[o++] = 0x2c;
    const i = idx[k]!;
    o += bytes.copy(out, o, starts[i]!, starts[i + 1]!);
    out.set(tail, o);
    o += tail.length;
  }
  if (encoding !== 'ndjson') {
    out[o++] = 0x5d;
    out[o++] = 0x7d;
  }
  return out;
}

const OPEN_EVENTS = ascii('{"events":[');

export function contentTypeFor(encoding: BatchEncoding): string {
  switch (encoding) {
    case 'ndjson':
      return 'application/x-ndjson';
    case 'json':
      return 'application/json';
    default: {
      return unreachable(encoding, 'encoding');
    }
  }
}
