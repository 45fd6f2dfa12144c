/**
 * Wire encoding (contract §1). Each event is encoded once per batch into a "prefix" — every field
 * except the echoed hints — and each attempt appends the current hint suffix. A re-send after a
 * throttle therefore reuses byte-identical event fields (same event_id, payload, seq) and only
 * the echo changes.
 *
 * Fast path: the body is built by string concatenation instead of `JSON.stringify` of objects.
 * Measured with `bench/encode.ts` on this 2-core machine (1,000 events, 200-byte payloads):
 * `JSON.stringify` of one object per event ~0.6M events/s (~1.65 ms/batch), prefix concatenation
 * ~2.0M events/s (~0.5 ms/batch, 3.3× faster); a re-send only re-concatenates cached prefixes
 * with the new hint suffix (~14 µs/batch before the socket write flattens the string).
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

const FLAGS_REPLAY = `,"flags":[${JSON.stringify(REPLAY_FLAG)}]`;

/** Encode every field of each event except the hints (no closing brace). */
export function encodePrefixes(events: readonly SourceEvent[], ctx: EncodeContext): string[] {
  const out = new Array<string>(events.length);
  const flags = ctx.replayFlag ? FLAGS_REPLAY : '';
  const seqOn = ctx.replayStream !== undefined && ctx.firstSeq !== undefined;
  const stream = seqOn ? `,"replay_stream":${JSON.stringify(ctx.replayStream)},"replay_seq":"` : '';
  let lastSchema = '';
  let lastSchemaJson = '""';
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.schemaKey !== lastSchema) {
      lastSchema = e.schemaKey;
      lastSchemaJson = JSON.stringify(e.schemaKey);
    }
    let s =
      '{"event_id":' +
      JSON.stringify(e.eventId) +
      ',"partition_key_b64":"' +
      e.key.toString('base64') +
      '","schema_key":' +
      lastSchemaJson +
      ',"payload_b64":"' +
      e.payload.toString('base64') +
      '","ts_ns":"' +
      e.tsNs.toString() +
      '"' +
      flags;
    if (seqOn) s += stream + (ctx.firstSeq! + BigInt(i)).toString() + '"';
    out[i] = s;
  }
  return out;
}

/** The per-attempt tail: echoed `credit_hint` and `cep_credit_hint` (or null), closing the object. */
export function hintSuffix(creditHint: CreditHint, cep: CepCreditHint | null): string {
  const c =
    cep === null
      ? 'null'
      : `{"client_window_size":${cep.client_window_size},"retry_backoff_ms":${cep.retry_backoff_ms}}`;
  return `,"credit_hint":${JSON.stringify(creditHint)},"cep_credit_hint":${c}}`;
}

/** One `/append` body. */
export function encodeSingle(prefix: string, suffix: string): string {
  return prefix + suffix;
}

/** One `/append/batch` body from `prefixes[idx]` in the given order. */
export function encodeBatch(
  prefixes: readonly string[],
  idx: readonly number[],
  suffix: string,
  encoding: BatchEncoding,
): string {
  let s = '';
  if (encoding === 'ndjson') {
    for (let i = 0; i < idx.length; i++) s += prefixes[idx[i]!]! + suffix + '\n';
    return s;
  }
  s = '{"events":[';
  for (let i = 0; i < idx.length; i++) s += (i === 0 ? '' : ',') + prefixes[idx[i]!]! + suffix;
  return s + ']}';
}

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
