/**
 * The main thread's end of a task's port, driven message by message from a MessageChannel in this
 * thread (no worker): grants carry the knobs of their moment, in flight is counted from grant to
 * ack and fully taken back when the task ends, and a message outside the protocol fails the task.
 */
import { once } from 'node:events';
import type { MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, ReplayError } from '../../../src/common/errors.js';
import type { DeadLetterRecord } from '../../../src/engine/cursor.js';
import type { PartitionTask } from '../../../src/engine/executor.js';
import type { AckedBatch } from '../../../src/engine/partition-runner.js';
import {
  decodeAck,
  encodeAck,
  encodeDeadLetter,
  type MainMessage,
  type WorkerMessage,
} from '../../../src/engine/pool/protocol.js';
import { TaskChannel } from '../../../src/engine/pool/task-channel.js';

const open: TaskChannel[] = [];
afterEach(() => {
  for (const c of open.splice(0)) {
    c.close();
    c.workerPort.close();
  }
});

function setup(over: Partial<PartitionTask> = {}) {
  const deltas: number[] = [];
  const acks: AckedBatch[] = [];
  const stop = new AbortController();
  const abort = new AbortController();
  const knobs = { batchSize: 10, maxInFlight: 2 };
  const task: PartitionTask = {
    partition: 3,
    stream: 'j/3/1',
    start: null,
    knobs,
    stop: stop.signal,
    abort: abort.signal,
    onAck: (a) => acks.push(a),
    onInflight: (d) => deltas.push(d),
    ...over,
  };
  const channel = new TaskChannel(task);
  open.push(channel);
  const worker = channel.workerPort;
  const send = (m: WorkerMessage) => worker.postMessage(m);
  return { channel, worker, send, deltas, acks, stop, abort, knobs };
}

async function next(port: MessagePort): Promise<MainMessage> {
  const [m] = (await once(port, 'message')) as [MainMessage];
  return m;
}

function batch(seq: bigint, events: number, rejected: AckedBatch['rejected'] = []): AckedBatch {
  return {
    partition: 3,
    cursor: { partition: 3, tsNs: 1_000n + seq, eventId: `e${seq}`, seq },
    events,
    bytes: 10 * events,
    ack: {
      accepted: events - rejected.length,
      duplicates: 0,
      resent: 0,
      retries: {},
      rejected: rejected.map((r, index) => ({ index, eventId: r.eventId, reason: r.reason })),
    },
    rejected,
  };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('TaskChannel', () => {
  it('fails the task on an unknown message instead of taking it for an ack', async () => {
    const { channel, worker, acks, deltas } = setup();
    // The old protocol's in-flight delta: no longer a message anybody should send.
    worker.postMessage({ t: 'inflight', d: 1 });
    expect(await next(worker)).toEqual({ t: 'abort' });
    expect(channel.protocolError?.code).toBe(ErrorCode.WorkerProtocol);
    expect(channel.protocolError?.message).toMatch(/"inflight"/);
    expect(channel.acks).toBe(0);
    expect(acks).toEqual([]);
    expect(deltas).toEqual([]);
    await channel.drained(1); // does not wait for an ack that will never come
  });

  it('grants carry the knobs of their moment; a batch counts in flight from grant to ack', async () => {
    const { channel, worker, send, deltas, acks, knobs } = setup();
    send({ t: 'acquire', id: 0, events: 10, inflight: 1 });
    expect(await next(worker)).toEqual({ t: 'granted', id: 0, knobs: { batchSize: 10, maxInFlight: 2 } });
    knobs.batchSize = 25;
    knobs.maxInFlight = 3;
    send({ t: 'acquire', id: 1, events: 10, inflight: 2 });
    expect(await next(worker)).toEqual({ t: 'granted', id: 1, knobs: { batchSize: 25, maxInFlight: 3 } });
    expect(channel.inFlight).toBe(2);
    send(encodeAck(batch(10n, 10)));
    await channel.drained(1);
    expect(deltas).toEqual([1, 1, -1]);
    expect(acks.map((a) => a.cursor.seq)).toEqual([10n]);
    expect(channel.cursor).toMatchObject({ seq: 10n, acked: 10n, eventId: 'e10' });
    // The task ends with one batch unacknowledged (failed send, dead worker): it is taken back.
    channel.close();
    expect(deltas).toEqual([1, 1, -1, -1]);
    expect(sum(deltas)).toBe(0);
  });

  it('answers an acquire only after beforeLaunch, and counts no grant once stop was sent', async () => {
    let release!: () => void;
    const launched = new Promise<void>((r) => (release = r));
    const stored: DeadLetterRecord[][] = [];
    const { channel, worker, send, deltas, stop } = setup({
      beforeLaunch: () => launched,
      onDeadLetters: async (records) => {
        stored.push([...records]);
      },
    });
    send({ t: 'acquire', id: 0, events: 10, inflight: 1 });
    stop.abort();
    expect(await next(worker)).toEqual({ t: 'stop' });
    release();
    await launched;
    // Anything the main thread sends from here comes after a grant it would have sent for id 0.
    send({ t: 'dead-letters', id: 4, records: [] });
    expect(await next(worker)).toEqual({ t: 'dead-letters-done', id: 4 });
    expect(deltas).toEqual([]);
    expect(channel.inFlight).toBe(0);
  });

  it('forwards abort, and both signals when already raised at the start', async () => {
    const { worker, abort } = setup();
    abort.abort();
    expect(await next(worker)).toEqual({ t: 'abort' });
    const stop = new AbortController();
    stop.abort();
    const late = setup({ stop: stop.signal });
    expect(await next(late.worker)).toEqual({ t: 'stop' });
  });

  it('carries event bytes as compact copies and revives them as Buffers', async () => {
    const chunk = Buffer.from('0123456789{"poison":true}abcdef');
    const key = chunk.subarray(0, 4);
    const payload = chunk.subarray(10, 25);
    const rejected = [{ eventId: 'e7', tsNs: 1_007n, key, payload, schemaKey: 's:1', reason: 'ERR_SCHEMA' }];
    const wire = encodeAck(batch(10n, 10, rejected));
    expect(wire.rejected[0]!.payload.buffer.byteLength).toBe(payload.length); // not the whole chunk
    const stored: DeadLetterRecord[][] = [];
    const { channel, worker, send, acks } = setup({
      onDeadLetters: async (records) => {
        stored.push([...records]);
      },
    });
    send({ t: 'acquire', id: 0, events: 10, inflight: 1 });
    await next(worker);
    send(wire);
    await channel.drained(1);
    const got = acks[0]!.rejected[0]!;
    expect(Buffer.isBuffer(got.payload)).toBe(true);
    expect(got.payload.toString()).toBe('{"poison":true}');
    expect(got.key.toString()).toBe('0123');
    expect(acks[0]!.ack.rejected).toEqual([{ index: 0, eventId: 'e7', reason: 'ERR_SCHEMA' }]);

    const letter: DeadLetterRecord = {
      job: 'j',
      partition: 3,
      eventId: 'e8',
      tsNs: 1_008n,
      reason: 'FUTURE_SKEW',
      key,
      payload,
      schemaKey: 's:1',
    };
    send({ t: 'dead-letters', id: 0, records: [encodeDeadLetter(letter)] });
    expect(await next(worker)).toEqual({ t: 'dead-letters-done', id: 0 });
    const r = stored[0]![0]!;
    expect(Buffer.isBuffer(r.payload)).toBe(true);
    expect(r).toEqual(letter);
  });

  it('replies with a WireError when the dead letters could not be stored', async () => {
    const { worker, send } = setup({
      onDeadLetters: () =>
        Promise.reject(
          new ReplayError(ErrorCode.StateUnreachable, 'state store down', {
            canRetry: true,
            details: { host: 'db' },
          }),
        ),
    });
    send({ t: 'dead-letters', id: 2, records: [] });
    expect(await next(worker)).toEqual({
      t: 'dead-letters-done',
      id: 2,
      error: {
        code: ErrorCode.StateUnreachable,
        message: 'state store down',
        canRetry: true,
        details: { host: 'db' },
      },
    });
    // Anything else has no classified code: the write failed, not retried by itself.
    const other = setup({ onDeadLetters: () => Promise.reject(new Error('disk full')) });
    other.send({ t: 'dead-letters', id: 3, records: [] });
    expect(await next(other.worker)).toEqual({
      t: 'dead-letters-done',
      id: 3,
      error: { code: ErrorCode.StateWrite, message: 'disk full', canRetry: false },
    });
  });

  it("carries the source's resume token with the cursor both ways, and none when absent", () => {
    const withToken = batch(10n, 10);
    withToken.cursor = { ...withToken.cursor, resume: '{"tp":{"orders/0":[7,"9"]}}' };
    expect(decodeAck(3, structuredClone(encodeAck(withToken))).cursor).toEqual(withToken.cursor);
    const plain = decodeAck(3, structuredClone(encodeAck(batch(10n, 10))));
    expect('resume' in plain.cursor).toBe(false);
  });
});
