/** Shared helpers for emulator tests: event builders, raw fetch calls, polling with a deadline. */
import { partitionForKey } from '../../src/common/fnv.js';

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
export const nowNs = (offsetMs = 0): string => String(BigInt(Date.now() + offsetMs) * 1_000_000n);

export interface EvOpts {
  key?: string;
  payload?: string;
  ts?: string;
  replay?: boolean;
  stream?: string;
  seq?: number;
}

export function ev(id: string, o: EvOpts = {}): Record<string, unknown> {
  const e: Record<string, unknown> = {
    event_id: id,
    partition_key_b64: b64(o.key ?? 'k'),
    schema_key: 'proto:1.0:abc',
    payload_b64: b64(o.payload ?? `payload-${id}`),
    ts_ns: o.ts ?? nowNs(),
    flags: o.replay ? ['REPLAY'] : [],
  };
  if (o.stream !== undefined) {
    e.replay_stream = o.stream;
    e.replay_seq = String(o.seq);
  }
  return e;
}

/** A key that routes to partition `p` of `n`. */
export function keyFor(p: number, n: number): string {
  for (let i = 0; ; i++) if (partitionForKey(`key-${i}`, n) === p) return `key-${i}`;
}

export interface Result {
  event_id: string;
  status: string;
  credit_hint: string;
  cep_credit_hint: { client_window_size: number; retry_backoff_ms: number } | null;
  cep_status_reason: string | null;
  term: string | null;
  index: string | null;
  duplicate?: boolean;
  divergent?: boolean;
}

export async function batch(url: string, events: unknown[]): Promise<Result[]> {
  const r = await fetch(`${url}/append/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  if (r.status !== 200) throw new Error(`batch: HTTP ${r.status} ${await r.text()}`);
  return ((await r.json()) as { results: Result[] }).results;
}

// biome-ignore lint/suspicious/noExplicitAny: test JSON, asserted field by field
export type Json = any;

export async function getJson<T = Json>(url: string): Promise<T> {
  const r = await fetch(url);
  return (await r.json()) as T;
}

export async function send(url: string, method: string, body?: unknown, contentType = 'application/json') {
  const r = await fetch(url, {
    method,
    headers: { 'content-type': contentType },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

/** Polls `fn` until it returns truthy or the deadline passes (then throws with the last value). */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 5000, stepMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
