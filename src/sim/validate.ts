/**
 * Body parsing and per-event validation for `/append` and `/append/batch`. Everything is
 * checked before anything is processed, so a 400 never leaves half a batch applied.
 * Validation is string math only: payload size comes from the base64 length and no payload is
 * decoded; the key is decoded (it is small) only on a routing-cache miss.
 */

import { REPLAY_FLAG } from '../common/contract.js';
import { partitionForKey } from '../common/fnv.js';
import { base64Fingerprint } from './hash.js';
import { parseTsNs, type TsPair } from './ts.js';

export class BadRequest extends Error {
  constructor(
    readonly error: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SEQ = /^[1-9]\d{0,15}$/;

/** Validated event fields in parallel arrays (reused across requests; grown as needed). */
export class EventColumns {
  n = 0;
  ids: string[] = [];
  /** payload_b64 strings (references; decoded only when field metrics are configured). */
  payloads: string[] = [];
  part = new Int32Array(1024);
  ms = new Float64Array(1024);
  sub = new Int32Array(1024);
  fp = new Float64Array(1024);
  bytes = new Float64Array(1024);
  replay = new Uint8Array(1024);
  flagSet = new Uint16Array(1024);
  streams: (string | undefined)[] = [];
  seqs = new Float64Array(1024);

  ensure(n: number): void {
    this.n = n;
    this.ids.length = n;
    this.payloads.length = n;
    this.streams.length = n;
    if (n <= this.part.length) return;
    const cap = Math.max(n, this.part.length * 2);
    this.part = new Int32Array(cap);
    this.ms = new Float64Array(cap);
    this.sub = new Int32Array(cap);
    this.fp = new Float64Array(cap);
    this.bytes = new Float64Array(cap);
    this.replay = new Uint8Array(cap);
    this.flagSet = new Uint16Array(cap);
    this.seqs = new Float64Array(cap);
  }
}

/** Parses a request body into a list of raw event objects. */
export function parseEvents(text: string, contentType: string, batch: boolean): unknown[] {
  const ct = contentType.split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/x-ndjson' || ct === 'application/ndjson' || ct === 'application/jsonl') {
    const out: unknown[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      try {
        out.push(JSON.parse(line));
      } catch (e) {
        throw new BadRequest('malformed_body', `line ${i + 1}: invalid JSON (${(e as Error).message})`);
      }
    }
    if (!batch && out.length !== 1)
      throw new BadRequest('malformed_body', `expected one event, got ${out.length}`);
    return out;
  }
  if (ct !== '' && ct !== 'application/json' && ct !== 'text/plain') {
    throw new BadRequest(
      'unsupported_media_type',
      `content-type ${ct}: use application/json or application/x-ndjson`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new BadRequest('malformed_body', `invalid JSON (${(e as Error).message})`);
  }
  if (!batch) return [body];
  if (body === null || typeof body !== 'object' || !Array.isArray((body as { events?: unknown }).events)) {
    throw new BadRequest('malformed_body', 'body must be {"events":[...]}');
  }
  return (body as { events: unknown[] }).events;
}

export interface RoutingCache {
  readonly partitionCount: number;
  /** false: `replay_stream` / `replay_seq` are ignored (a target without replay sequencing). */
  readonly replaySequencing: boolean;
  keyPartition: Map<string, number>;
  internFlags(flags: string[] | undefined): number;
}

const tsScratch: TsPair = { ms: 0, sub: 0 };

/** Label of the current request ("events" or "event"); the per-event label is built only on failure. */
let failLabel = 'events';

function fail(i: number, field: string, msg: string, got?: unknown): never {
  const label = failLabel === 'event' ? failLabel : `${failLabel}[${i}]`;
  const shown = got === undefined ? '' : ` (got ${JSON.stringify(got)?.slice(0, 80) ?? String(got)})`;
  throw new BadRequest('invalid_event', `${field === '' ? label : `${label}.${field}`}: ${msg}${shown}`);
}

/** Validates every event into `cols`; throws BadRequest naming the event index and field. */
export function validateEvents(events: unknown[], cols: EventColumns, rc: RoutingCache, label: string): void {
  cols.ensure(events.length);
  failLabel = label;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as Record<string, unknown> | null;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) fail(i, '', 'must be an object', e);
    const id = e.event_id;
    if (typeof id !== 'string' || id === '') fail(i, 'event_id', 'must be a non-empty string', id);
    const key = e.partition_key_b64;
    if (typeof key !== 'string') fail(i, 'partition_key_b64', 'must be a base64 string', key);
    let part = rc.keyPartition.get(key);
    if (part === undefined) {
      if (key.length % 4 !== 0 || !B64.test(key)) fail(i, 'partition_key_b64', 'invalid base64', key);
      part = partitionForKey(Buffer.from(key, 'base64'), rc.partitionCount);
      if (rc.keyPartition.size >= 100_000) rc.keyPartition.clear();
      rc.keyPartition.set(key, part);
    }
    if (typeof e.schema_key !== 'string' || e.schema_key === '')
      fail(i, 'schema_key', 'must be a non-empty string', e.schema_key);
    const payload = e.payload_b64;
    if (typeof payload !== 'string') fail(i, 'payload_b64', 'must be a base64 string', payload);
    const fp = base64Fingerprint(payload);
    if (fp < 0) fail(i, 'payload_b64', 'invalid base64');
    if (!parseTsNs(e.ts_ns, tsScratch))
      fail(i, 'ts_ns', 'must be a decimal string of UTC nanoseconds', e.ts_ns);
    const flags = e.flags;
    let replay = 0;
    if (flags !== undefined && flags !== null) {
      if (!Array.isArray(flags)) fail(i, 'flags', 'must be an array of strings', flags);
      for (const f of flags) {
        if (typeof f !== 'string') fail(i, 'flags', 'must be an array of strings', flags);
        if (f === REPLAY_FLAG) replay = 1;
      }
    }
    const stream = e.replay_stream;
    const seq = e.replay_seq;
    if (rc.replaySequencing && (stream !== undefined || seq !== undefined)) {
      if (typeof stream !== 'string' || stream === '')
        fail(i, 'replay_stream', 'must be a non-empty string when replay_seq is set', stream);
      const s = typeof seq === 'number' ? String(seq) : seq;
      if (typeof s !== 'string' || !SEQ.test(s)) fail(i, 'replay_seq', 'must be a decimal string ≥ 1', seq);
      cols.streams[i] = stream;
      cols.seqs[i] = Number(s);
    } else cols.streams[i] = undefined;
    cols.ids[i] = id;
    cols.payloads[i] = payload;
    cols.part[i] = part;
    cols.ms[i] = tsScratch.ms;
    cols.sub[i] = tsScratch.sub;
    const pad = payload.endsWith('==') ? 2 : payload.endsWith('=') ? 1 : 0;
    cols.bytes[i] = (payload.length / 4) * 3 - pad;
    cols.fp[i] = fp;
    cols.replay[i] = replay;
    cols.flagSet[i] = rc.internFlags(flags as string[] | undefined);
  }
}
