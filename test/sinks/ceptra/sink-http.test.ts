/** CeptraSink against a scripted loopback server: ordering under throttles, faults, rejections. */
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayError } from '../../../src/common/errors.js';
import {
  type CeptraClientOptions,
  type CeptraSink,
  createCeptraSink,
} from '../../../src/sinks/ceptra/index.js';
import type { SourceEvent } from '../../../src/sources/source.js';
import { makeEvents } from './helpers.js';
import { type Fault, LoopbackCeptra, type LoopbackOptions } from './loopback-server.js';

const open: Array<{ server: LoopbackCeptra; sink: CeptraSink }> = [];
afterEach(async () => {
  for (const { server, sink } of open.splice(0)) {
    await sink.close();
    await server.stop();
  }
});

async function setup(server: LoopbackOptions, client: Partial<CeptraClientOptions> = {}) {
  const s = await new LoopbackCeptra(server).start();
  const sink = await createCeptraSink({ url: s.url, retryBaseMs: 5, retryCapMs: 40, ...client });
  open.push({ server: s, sink });
  return { server: s, sink };
}

const ids = (evs: SourceEvent[]) => evs.map((e) => e.eventId);

function perKey(server: LoopbackCeptra): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const a of server.applied) m.set(a.key, [...(m.get(a.key) ?? []), a.eventId]);
  return m;
}

describe('CeptraSink over HTTP (batch mode)', () => {
  it('applies a throttled batch exactly in batch order, nothing skipped or duplicated', async () => {
    const events = makeEvents(600);
    const throttleOnce = new Map([
      ['e-3', 'LANE_OVERFLOW'],
      ['e-100', 'TRANSIENT_BACKPRESSURE'],
      ['e-101', 'NOT_LEADER:2'],
      ['e-599', 'DEDUP_CAPACITY'],
    ]);
    const { server, sink } = await setup({
      throttleOnce,
      hint: { client_window_size: 64, retry_backoff_ms: 10 },
    });
    expect(sink.sequencing).toBe(false);
    const ack = await sink.send({ partition: 0, events });
    expect(server.applied.map((a) => a.eventId)).toEqual(ids(events));
    expect(ack.accepted).toBe(600);
    expect(ack.rejected).toEqual([]);
    expect(ack.retries).toMatchObject({
      LANE_OVERFLOW: 1,
      TRANSIENT_BACKPRESSURE: 1,
      NOT_LEADER: 1,
      DEDUP_CAPACITY: 1,
    });
    expect(ack.resent).toBeGreaterThan(0);
    // The window binds: the first request at most 256 events, later ones at most the hint (64).
    expect(server.requests[0]!.events.length).toBe(256);
    for (const r of server.requests.slice(1)) expect(r.events.length).toBeLessThanOrEqual(64);
    // Every re-send repeats the same bytes for the same id and echoes the hints received.
    const firstSent = new Map<string, string>();
    for (const r of server.requests) {
      for (const e of r.events) {
        const key = `${e.payload_b64}|${e.ts_ns}|${e.partition_key_b64}`;
        const prev = firstSent.get(String(e.event_id));
        if (prev !== undefined) expect(key).toBe(prev);
        firstSent.set(String(e.event_id), key);
      }
    }
    expect(server.requests[0]!.events[0]!.credit_hint).toBe('Recover');
    expect(server.requests[0]!.events[0]!.cep_credit_hint).toBeNull();
    expect(server.requests[1]!.events[0]!.cep_credit_hint).toEqual({
      client_window_size: 64,
      retry_backoff_ms: 10,
    });
    expect(server.requests.every((r) => r.contentType === 'application/x-ndjson')).toBe(true);
    expect(sink.client.lastHint.clientWindowSize).toBe(64);
  });

  it('keeps per-partition order with several keys and re-sends only unaccepted events', async () => {
    const events = makeEvents(400, { keys: 4 });
    const throttleOnce = new Map([
      ['e-10', 'TRANSIENT_BACKPRESSURE'],
      ['e-201', 'LANE_OVERFLOW'],
    ]);
    const { server, sink } = await setup({ throttleOnce }, { batchEncoding: 'json' });
    const ack = await sink.send({ partition: 0, events });
    const byKey = perKey(server);
    for (let k = 0; k < 4; k++) {
      expect(byKey.get(`tenant-${k}`)).toEqual(ids(events.filter((_, i) => i % 4 === k)));
    }
    expect(server.applied).toHaveLength(400);
    expect(ack.accepted).toBe(400);
    // Accepted events of other partitions were not sent again.
    expect(server.seen.get('e-11')).toBe(1);
    expect(server.seen.get('e-14')).toBe(2); // same key as e-10, answered TRANSIENT_RETRY once
    expect(server.requests.every((r) => r.contentType === 'application/json')).toBe(true);
  });

  it('honours 429/503 (Retry-After / retry_after_ms) and retries 5xx, counting each reason', async () => {
    const faults = new Map<number, Fault>([
      [1, { kind: 'status', status: 429, headers: { 'retry-after': '0' } }],
      [2, { kind: 'status', status: 503, body: '{"retry_after_ms":5}' }],
      [3, { kind: 'status', status: 500, body: 'boom' }],
    ]);
    const registry = new Registry();
    const { server, sink } = await setup({ faults }, { registry, job: 'j1' });
    const events = makeEvents(50);
    const ack = await sink.send({ partition: 0, events });
    expect(server.applied.map((a) => a.eventId)).toEqual(ids(events));
    expect(ack.retries).toEqual({ HTTP_429: 1, HTTP_503: 1, HTTP_5XX: 1 });
    const text = await registry.metrics();
    expect(text).toMatch(/ceptra_client_retries_total\{job="j1",reason="HTTP_429"\} 1/);
    expect(text).toMatch(/ceptra_client_requests_total\{job="j1",route="\/append\/batch",outcome="2xx"\} 1/);
    expect(text).toMatch(
      /ceptra_client_request_duration_seconds_count\{job="j1",route="\/append\/batch"\} 4/,
    );
    // HTTP throttling leaves the credit window alone (it follows per-event backpressure).
    expect(text).toMatch(/ceptra_client_credit_window_events\{job="j1"\} 256/);
  });

  it('retries a dropped connection, before and after the target applied the request', async () => {
    const faults = new Map<number, Fault>([
      [1, { kind: 'destroy' }],
      [2, { kind: 'destroyAfterApply' }],
    ]);
    const { server, sink } = await setup({ faults });
    const events = makeEvents(30);
    const ack = await sink.send({ partition: 0, events });
    expect(server.applied.map((a) => a.eventId)).toEqual(ids(events));
    expect(ack.retries.NETWORK).toBe(2);
    expect(ack.accepted).toBe(30);
    expect(ack.duplicates).toBe(30); // the third attempt was absorbed as duplicates
  });

  it('retries a request that times out', async () => {
    const { server, sink } = await setup(
      { faults: new Map([[1, { kind: 'hang' }]]) },
      { headersTimeoutMs: 200 },
    );
    const events = makeEvents(5);
    const ack = await sink.send({ partition: 0, events });
    expect(ack.retries.TIMEOUT).toBe(1);
    expect(server.applied.map((a) => a.eventId)).toEqual(ids(events));
  });

  it('reports permanent rejections and never re-sends them', async () => {
    const permanent = new Map([['e-5', 'PERMANENT_SCHEMA']]);
    const { server, sink } = await setup({ permanent });
    const events = makeEvents(20);
    const ack = await sink.send({ partition: 0, events });
    expect(ack.rejected).toEqual([{ index: 5, eventId: 'e-5', reason: 'PERMANENT_SCHEMA' }]);
    expect(server.seen.get('e-5')).toBe(1);
    expect(server.applied.map((a) => a.eventId)).toEqual(ids(events).filter((id) => id !== 'e-5'));
    expect(ack.accepted).toBe(19);
    expect(sink.client.stats().rejectedByReason).toEqual({ PERMANENT_SCHEMA: 1 });
  });

  it('fails fast on 400/401/403/413 naming the status and body', async () => {
    for (const status of [400, 401, 403, 413]) {
      const { server, sink } = await setup({
        faults: new Map([[1, { kind: 'status', status, body: `{"error":"nope-${status}"}` }]]),
      });
      const err = await sink.send({ partition: 0, events: makeEvents(3) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplayError);
      expect((err as ReplayError).code).toBe(`HTTP_${status}`);
      expect((err as ReplayError).canRetry).toBe(false);
      expect((err as ReplayError).message).toContain(`nope-${status}`);
      if (status === 413) expect((err as ReplayError).message).toMatch(/smaller batch/);
      expect(server.requests).toHaveLength(1);
    }
  });

  it('stops retrying when aborted', async () => {
    const { server, sink } = await setup({
      faults: () => ({ kind: 'status', status: 429, headers: { 'retry-after': '30' } }),
    });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const err = await sink.send({ partition: 0, events: makeEvents(3) }, ctl.signal).catch((e: unknown) => e);
    expect((err as ReplayError).code).toBe('ABORTED');
    expect(server.requests).toHaveLength(1);
    expect(server.applied).toHaveLength(0);
  });

  it('gives up after maxRetryDurationMs with a retryable error', async () => {
    const { server, sink } = await setup(
      { faults: () => ({ kind: 'status', status: 502 }) },
      { maxRetryDurationMs: 150, retryBaseMs: 10, retryCapMs: 20 },
    );
    const err = await sink.send({ partition: 0, events: makeEvents(3) }).catch((e: unknown) => e);
    expect((err as ReplayError).code).toBe('RETRY_EXPIRED');
    expect((err as ReplayError).canRetry).toBe(true);
    expect(server.requests.length).toBeGreaterThan(1);
  });
});

describe('CeptraSink sequencing', () => {
  it('discovers sequencing from /v1/state and sends replay_stream/replay_seq', async () => {
    const { server, sink } = await setup({ sequencing: true });
    expect(sink.sequencing).toBe(true);
    const events = makeEvents(10);
    await sink.send({ partition: 0, events, replayStream: 'job/0', firstSeq: 1n });
    expect(server.applied.map((a) => a.seq)).toEqual(events.map((_, i) => String(i + 1)));
  });

  it('treats a 404 on /v1/state as no sequencing and omits the fields', async () => {
    const { server, sink } = await setup({ stateStatus: 404 });
    expect(sink.sequencing).toBe(false);
    await sink.send({ partition: 0, events: makeEvents(3), replayStream: 'job/0', firstSeq: 1n });
    expect(server.requests[0]!.events.every((e) => !('replay_seq' in e) && !('replay_stream' in e))).toBe(
      true,
    );
  });

  it('pipelined batches of one stream land in order under throttles', async () => {
    const events = makeEvents(300);
    const throttleOnce = new Map([
      ['e-20', 'TRANSIENT_BACKPRESSURE'],
      ['e-150', 'LANE_OVERFLOW'],
    ]);
    const { server, sink } = await setup({ sequencing: true, throttleOnce }, { connections: 4 });
    const batches = [0, 100, 200].map((start) => ({
      partition: 0,
      events: events.slice(start, start + 100),
      replayStream: 'job/0',
      firstSeq: BigInt(start + 1),
    }));
    const acks = await Promise.all(batches.map((b) => sink.send(b)));
    expect(server.applied.map((a) => a.eventId)).toEqual(ids(events));
    expect(acks.reduce((n, a) => n + a.accepted, 0)).toBe(300);
  });
});

describe('CeptraSink single mode (/append)', () => {
  it('pipelines with sequencing and re-sends a throttled event and its successors in order', async () => {
    const events = makeEvents(120, { keys: 1 });
    const throttleOnce = new Map([
      ['e-7', 'TRANSIENT_BACKPRESSURE'],
      ['e-64', 'LANE_OVERFLOW'],
    ]);
    const { server, sink } = await setup(
      { sequencing: true, throttleOnce, hint: { client_window_size: 16, retry_backoff_ms: 4 } },
      { mode: 'single', connections: 4, pipelining: 4 },
    );
    const ack = await sink.send({ partition: 0, events, replayStream: 'job/0', firstSeq: 1n });
    expect(server.applied.map((a) => a.eventId)).toEqual(ids(events));
    expect(ack.accepted).toBe(120);
    expect(ack.retries.TRANSIENT_BACKPRESSURE).toBe(1);
    expect(ack.retries.LANE_OVERFLOW).toBe(1);
    expect(server.requests.every((r) => r.path === '/append' && r.events.length === 1)).toBe(true);
  });

  it('without sequencing sends one at a time and keeps order', async () => {
    const events = makeEvents(40, { keys: 2 });
    const { server, sink } = await setup(
      {
        throttleOnce: new Map([['e-9', 'TRANSIENT_RETRY']]),
        permanent: new Map([['e-30', 'ERR_UNKNOWN_SCHEMA']]),
      },
      { mode: 'single' },
    );
    const ack = await sink.send({ partition: 0, events });
    expect(server.applied.map((a) => a.eventId)).toEqual(ids(events).filter((id) => id !== 'e-30'));
    expect(ack.rejected).toEqual([{ index: 30, eventId: 'e-30', reason: 'ERR_UNKNOWN_SCHEMA' }]);
  });
});
