/**
 * OUT_OF_ORDER_SEQUENCE that no batch of ours explains, and the bounds on every wait: the sink
 * asks the target where the stream is (contract §2) instead of re-sending in a loop, and never
 * waits forever on a hint, a throttle or a body.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayError } from '../../../src/common/errors.js';
import {
  type CeptraClientOptions,
  type CeptraSink,
  createCeptraSink,
} from '../../../src/sinks/ceptra/index.js';
import { MAX_IMMEDIATE_RESENDS } from '../../../src/sinks/ceptra/resync.js';
import { makeEvents } from './helpers.js';
import { LoopbackCeptra, type LoopbackOptions } from './loopback-server.js';

const open: Array<{ server: LoopbackCeptra; sink: CeptraSink }> = [];
afterEach(async () => {
  for (const { server, sink } of open.splice(0)) {
    await sink.close();
    await server.stop();
  }
});

/** Sleeps are recorded (and cut to 1 ms) so the test can see every wait the client asked for. */
async function setup(server: LoopbackOptions, client: Partial<CeptraClientOptions> = {}) {
  const s = await new LoopbackCeptra(server).start();
  const sleeps: number[] = [];
  const sink = await createCeptraSink({
    url: s.url,
    retryBaseMs: 5,
    retryCapMs: 40,
    sleep: (ms) => {
      sleeps.push(ms);
      return new Promise((r) => setTimeout(r, 1));
    },
    ...client,
  });
  open.push({ server: s, sink });
  return { server: s, sink, sleeps };
}

const streamGets = (s: LoopbackCeptra) => s.gets.filter((p) => p.startsWith('/v1/replay/streams/'));

describe('OUT_OF_ORDER_SEQUENCE no batch of ours explains', () => {
  it('asks the target; when it has caught up the batch is re-sent at once, without a backoff', async () => {
    const events = makeEvents(20, { keys: 1 });
    const { server, sink, sleeps } = await setup({ sequencing: true, outOfOrder: new Map([['e-0', 1]]) });
    const ack = await sink.send({ partition: 0, events, replayStream: 'job/0/1', firstSeq: 1n });
    expect(ack.accepted).toBe(20);
    expect(server.applied.map((a) => a.eventId)).toEqual(events.map((e) => e.eventId));
    expect(streamGets(server)).toEqual([`/v1/replay/streams/${encodeURIComponent('job/0/1')}`]);
    expect(sleeps).toEqual([]);
    expect(ack.retries.OUT_OF_ORDER_SEQUENCE).toBe(1);
  });

  it('reports a gap (retryable, with the seqs) when the target is behind the batch', async () => {
    const { server, sink } = await setup({ sequencing: true });
    const err = await sink
      .send({ partition: 0, events: makeEvents(5), replayStream: 'job/0/1', firstSeq: 8n })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplayError);
    expect(err).toMatchObject({
      code: 'SEQUENCE_GAP',
      canRetry: true,
      details: { stream: 'job/0/1', lastSeq: '0', refusedSeq: '8' },
    });
    expect((err as Error).message).toMatch(/expects seq 1 but this batch starts at seq 8/);
    expect(server.requests).toHaveLength(1); // one attempt, one lookup: no loop
  });

  it('fails naming the stream and the refused seq when the target cannot say where it is', async () => {
    const { server, sink } = await setup({ sequencing: true, streamsStatus: 500 });
    const err = await sink
      .send({ partition: 0, events: makeEvents(5), replayStream: 'job/3/2', firstSeq: 4n })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SEQUENCE_UNRESOLVABLE', canRetry: false });
    expect((err as Error).message).toMatch(/seq 4 of replay stream job\/3\/2 .*expected seq unknown/);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after a few immediate re-sends when the target says "caught up" yet keeps refusing', async () => {
    const { server, sink } = await setup({ sequencing: true, outOfOrder: new Map([['e-0', 1000]]) });
    const err = await sink
      .send({ partition: 0, events: makeEvents(3, { keys: 1 }), replayStream: 'job/0/1', firstSeq: 1n })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SEQUENCE_UNRESOLVABLE' });
    expect((err as Error).message).toMatch(/last_seq 0 \(it expects seq 1\)/);
    expect(server.requests.length).toBe(MAX_IMMEDIATE_RESENDS + 1);
  });
});

describe('every wait is bounded', () => {
  it('clamps an absurd retry_backoff_ms hint to 60 s (above 2^31 ms Node would fire after 1 ms)', async () => {
    const { sink, sleeps } = await setup({
      throttleOnce: new Map([['e-1', 'TRANSIENT_BACKPRESSURE']]),
      hint: { client_window_size: 64, retry_backoff_ms: 1e12 },
    });
    await sink.send({ partition: 0, events: makeEvents(3) });
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(30_000);
    expect(sleeps[0]).toBeLessThanOrEqual(60_000);
  });

  it('clamps Retry-After and retry_after_ms of a 429 to 60 s', async () => {
    const { sink, sleeps } = await setup({
      faults: new Map([
        [1, { kind: 'status', status: 429, headers: { 'retry-after': '99999999999' } }],
        [2, { kind: 'status', status: 503, body: '{"retry_after_ms": 1e15}' }],
      ]),
    });
    await sink.send({ partition: 0, events: makeEvents(2) });
    expect(sleeps).toEqual([60_000, 60_000]);
  });

  it('gives transient refusals the outage deadline: a partition refused for ever fails retryably', async () => {
    let now = 0;
    const { sink, sleeps } = await setup(
      { throttleOnce: new Map(), hint: { client_window_size: 64, retry_backoff_ms: 10 } },
      { maxRetryDurationMs: 1_000, now: () => now },
    );
    // Every event answered TransientBackpressure, every time (a target stuck in back-pressure).
    const server = open.at(-1)!.server;
    server.opts.throttleOnce = new Proxy(new Map<string, string>(), {
      get(target, prop) {
        if (prop === 'get') return () => 'TRANSIENT_BACKPRESSURE';
        if (prop === 'delete') return () => true;
        return Reflect.get(target, prop);
      },
    });
    const send = sink.send({ partition: 2, events: makeEvents(4) });
    const timer = setInterval(() => (now += 100), 1);
    const err = await send.catch((e: unknown) => e).finally(() => clearInterval(timer));
    expect(err).toMatchObject({ code: 'RETRY_EXPIRED', canRetry: true });
    expect((err as Error).message).toMatch(/kept refusing partition 2 TRANSIENT_BACKPRESSURE/);
    expect(sleeps.length).toBeGreaterThan(0);
  });

  it('refuses a response body larger than maxResponseBytes instead of buffering it', async () => {
    const { sink } = await setup({}, { maxResponseBytes: 2048 });
    const err = await sink.send({ partition: 0, events: makeEvents(200) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RESPONSE_TOO_LARGE', canRetry: false });
  });
});
