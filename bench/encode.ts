/**
 * Micro-bench: CEPtra wire encoding of a 1,000-event batch (200-byte payloads), each path ending
 * in the bytes a socket writes. Compares the client's byte encoder (prefixes written into one
 * Buffer, bodies assembled from byte ranges) with `JSON.stringify` of one object per event and
 * with string concatenation of per-event prefixes (the previous fast path), both then UTF-8
 * encoded as undici does for a string body. Run: `npx tsx bench/encode.ts`.
 */
import { encodeBatch, encodePrefixes, hintSuffix } from '../src/sinks/ceptra/encode.js';
import type { SourceEvent } from '../src/sources/source.js';

const N = 1_000;
const ROUNDS = 300;
const events: SourceEvent[] = Array.from({ length: N }, (_, i) => ({
  tsNs: 1_700_000_000_000_000_000n + BigInt(i),
  eventId: `evt-${i}`,
  key: Buffer.from(`tenant-${i % 17}`),
  payload: Buffer.alloc(200, i % 251),
  schemaKey: 'proto:1.0:abc123',
}));
const idx = Array.from({ length: N }, (_, i) => i);

function viaStringify(): Uint8Array {
  let s = '';
  for (let i = 0; i < N; i++) {
    const e = events[i]!;
    s += `${JSON.stringify({
      event_id: e.eventId,
      partition_key_b64: e.key.toString('base64'),
      schema_key: e.schemaKey,
      payload_b64: e.payload.toString('base64'),
      ts_ns: e.tsNs.toString(),
      flags: ['REPLAY'],
      replay_stream: 'job/1',
      replay_seq: String(i + 1),
      credit_hint: 'Recover',
      cep_credit_hint: null,
    })}\n`;
  }
  return Buffer.from(s);
}

/** The previous fast path: one prefix string per event, concatenated, then encoded. */
function viaStringConcat(): Uint8Array {
  const prefixes = events.map(
    (e, i) =>
      '{"event_id":' +
      JSON.stringify(e.eventId) +
      ',"partition_key_b64":"' +
      e.key.toString('base64') +
      '","schema_key":' +
      JSON.stringify(e.schemaKey) +
      ',"payload_b64":"' +
      e.payload.toString('base64') +
      '","ts_ns":"' +
      e.tsNs.toString() +
      '","flags":["REPLAY"],"replay_stream":"job/1","replay_seq":"' +
      String(i + 1) +
      '"',
  );
  const suffix = hintSuffix('Recover', null);
  let s = '';
  for (const p of prefixes) s += p + suffix + '\n';
  return Buffer.from(s);
}

function viaBytes(): Uint8Array {
  const p = encodePrefixes(events, { replayFlag: true, replayStream: 'job/1', firstSeq: 1n });
  return encodeBatch(p, idx, hintSuffix('Recover', null), 'ndjson');
}

const prefixes = encodePrefixes(events, { replayFlag: true, replayStream: 'job/1', firstSeq: 1n });
function resendOnly(): Uint8Array {
  return encodeBatch(
    prefixes,
    idx,
    hintSuffix('Hold', { client_window_size: 32, retry_backoff_ms: 60 }),
    'ndjson',
  );
}

function measure(name: string, fn: () => Uint8Array): number {
  let sink = 0;
  for (let i = 0; i < 30; i++) sink += fn().length; // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) sink += fn().length;
  const ns = Number(process.hrtime.bigint() - t0);
  const perSec = (ROUNDS * N) / (ns / 1e9);
  console.log(
    `${name.padEnd(26)} ${(perSec / 1e6).toFixed(2)} M events/s  (${(ns / ROUNDS / 1e3).toFixed(0)} µs/batch) [${sink % 7}]`,
  );
  return perSec;
}

const a = measure('JSON.stringify per event', viaStringify);
const s = measure('string prefixes (previous)', viaStringConcat);
const b = measure('byte prefixes (first send)', viaBytes);
const c = measure('re-send (suffix only)', resendOnly);
console.log(
  `bytes/stringify = ${(b / a).toFixed(2)}×, bytes/strings = ${(b / s).toFixed(2)}×, re-send/stringify = ${(c / a).toFixed(2)}×`,
);
