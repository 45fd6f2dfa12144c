import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { batch, ev, keyFor, send, until } from './helpers.js';

let sim: SimServer;
beforeAll(async () => {
  sim = await startSim({ port: 0, partitions: 2, dedupCapacity: 3 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await send(`${sim.url}/sim/reset`, 'POST');
});
const p0 = () => sim.stats().partitions[0]!;
const K = () => keyFor(0, 2);

describe('sim dedup (contract §3)', () => {
  it('absorbs a same-id same-payload duplicate and skips a divergent one', async () => {
    const k = K();
    await batch(sim.url, [ev('d1', { key: k, payload: 'A' })]);
    const res = await batch(sim.url, [
      ev('d1', { key: k, payload: 'A' }),
      ev('d1', { key: k, payload: 'B' }),
    ]);
    expect(res.map((r) => [r.status, r.index, r.duplicate, r.divergent])).toEqual([
      ['Healthy', null, true, undefined],
      ['Healthy', null, undefined, true],
    ]);
    await until(() => p0().applied === 1);
    expect(p0()).toMatchObject({
      committed: 1,
      applied: 1,
      duplicates_event_id: 1,
      divergent: 1,
      applied_twice: 0,
    });
  });

  it('bounds the live table FIFO; applied_twice still detects a re-apply after eviction', async () => {
    const k = K();
    await batch(
      sim.url,
      ['a', 'b', 'c', 'd'].map((id) => ev(id, { key: k })),
    );
    const res = await batch(sim.url, [ev('a', { key: k })]); // evicted (capacity 3) → committed again
    expect(res[0]!.index).toBe('5');
    await until(() => p0().applied === 5);
    expect(p0()).toMatchObject({ duplicates_event_id: 0, applied_twice: 1 });
  });

  it('REPLAY events are checked against but not inserted into the live table; replay re-sends absorbed', async () => {
    const k = K();
    await batch(sim.url, [ev('live1', { key: k, payload: 'L' })]);
    const res = await batch(sim.url, [
      ev('live1', { key: k, payload: 'L', replay: true }), // seen live → duplicate
      ev('r1', { key: k, replay: true }),
      ev('r2', { key: k, replay: true }),
      ev('r3', { key: k, replay: true }),
      ev('r4', { key: k, replay: true }),
    ]);
    expect(res.map((r) => r.index)).toEqual([null, '2', '3', '4', '5']);
    expect(sim.engine.partitions[0]!.idTable.liveSize).toBe(1); // replay did not consume live capacity
    const resend = await batch(sim.url, [
      ev('r4', { key: k, replay: true }),
      ev('r3', { key: k, replay: true }),
    ]);
    expect(resend.map((r) => [r.status, r.index, r.duplicate])).toEqual([
      ['Healthy', null, true],
      ['Healthy', null, true],
    ]);
    // live traffic still deduplicated after 4 replay events (capacity 3)
    expect((await batch(sim.url, [ev('live1', { key: k, payload: 'L' })]))[0]!.index).toBeNull();
    await until(() => p0().applied === 5);
    expect(p0()).toMatchObject({
      duplicates_event_id: 4,
      replay_applied: 4,
      client_applied: 1,
      applied_twice: 0,
    });
  });
});

describe('sim replay sequencing (contract §2)', () => {
  it('advertises support in /v1/state', async () => {
    const r = await send(`${sim.url}/v1/state`, 'GET');
    expect(r.json.replay_sequencing).toBe(true);
    expect(r.json.partitions[0]).toEqual({
      partition_id: 0,
      routing_epoch: 1,
      applied_index: '0',
      committed_index: '0',
      apply_lag_ms: 0,
      watermark_ts_ns: null,
    });
  });

  it('processes next, absorbs duplicates, refuses gaps without consuming the sequence', async () => {
    const k = K();
    const s = (id: string, seq: number) => ev(id, { key: k, replay: true, stream: 'job/0', seq });
    const first = await batch(sim.url, [s('s1', 1), s('s2', 2)]);
    expect(first.map((r) => r.status)).toEqual(['Healthy', 'Healthy']);
    expect(first.some((r) => 'duplicate' in r)).toBe(false); // applied events carry no marker
    const gap = await batch(sim.url, [s('s4', 4)]);
    expect(gap[0]).toMatchObject({
      status: 'TransientBackpressure',
      cep_status_reason: 'OUT_OF_ORDER_SEQUENCE',
    });
    // a dup by seq is absorbed even with a new id (exactly-once without the dedup window)
    const mixed = await batch(sim.url, [s('s2-again', 2), s('s3', 3), s('s4', 4), s('s6', 6), s('s7', 7)]);
    expect(mixed.map((r) => r.cep_status_reason)).toEqual([
      '0',
      '0',
      '0',
      'OUT_OF_ORDER_SEQUENCE',
      'TRANSIENT_RETRY',
    ]);
    expect(mixed.map((r) => r.index)).toEqual([null, '3', '4', null, null]);
    // only the absorbed repeat is flagged: applied, refused and retried events carry no marker
    expect(mixed.map((r) => r.duplicate ?? false)).toEqual([true, false, false, false, false]);
    expect(mixed.some((r) => 'divergent' in r)).toBe(false);
    expect(sim.engine.seq.get('job/0')).toBe(4);
    await until(() => p0().applied === 4);
    expect(p0()).toMatchObject({ duplicates_replay_seq: 1, replay_applied: 4 });
    expect(p0().transient).toEqual({ OUT_OF_ORDER_SEQUENCE: 2, TRANSIENT_RETRY: 1 });
  });

  it('a permanently rejected event consumes its seq; a back-pressured one does not', async () => {
    const k = K();
    const s = (id: string, seq: number, ts?: string) =>
      ev(id, { key: k, replay: true, stream: 'j', seq, ts });
    const future = String(BigInt(Date.now() + 60_000) * 1_000_000n);
    const res = await batch(sim.url, [s('a1', 1), s('a2', 2, future), s('a3', 3)]);
    expect(res.map((r) => r.cep_status_reason)).toEqual(['0', 'PERMANENT_FUTURE_SKEW', 'TRANSIENT_RETRY']);
    expect(sim.engine.seq.get('j')).toBe(2);
    expect((await batch(sim.url, [s('a3', 3)]))[0]!.status).toBe('Healthy');
  });

  it('a re-sent seq that was refused permanently is refused again with the same reason, not acked as a duplicate', async () => {
    const k = K();
    const s = (id: string, seq: number, ts?: string) =>
      ev(id, { key: k, replay: true, stream: 'j/0/1', seq, ts });
    const future = String(BigInt(Date.now() + 60_000) * 1_000_000n);
    await batch(sim.url, [s('b1', 1), s('b2', 2, future), s('b3', 3)]);
    // A client that crashed before recording the refusal re-sends b2 with its seq.
    const again = await batch(sim.url, [s('b2', 2, future)]);
    expect(again.map((r) => [r.status, r.cep_status_reason])).toEqual([
      ['PermanentDurability', 'PERMANENT_FUTURE_SKEW'],
    ]);
    // The seqs around it keep their meaning: b1 a duplicate, b3 next in line.
    const rest = await batch(sim.url, [s('b1', 1), s('b3', 3)]);
    expect(rest.map((r) => [r.status, r.duplicate ?? false])).toEqual([
      ['Healthy', true],
      ['Healthy', false],
    ]);
  });

  it('GET /v1/replay/streams/{stream} says where a stream stands; 404 for one never seen', async () => {
    const k = K();
    await batch(
      sim.url,
      [1, 2, 3].map((n) => ev(`g${n}`, { key: k, replay: true, stream: 'job/7/2', seq: n })),
    );
    const encoded = await send(`${sim.url}/v1/replay/streams/${encodeURIComponent('job/7/2')}`, 'GET');
    expect(encoded.status).toBe(200);
    expect(encoded.json).toEqual({ stream: 'job/7/2', last_seq: '3' });
    const raw = await send(`${sim.url}/v1/replay/streams/job/7/2`, 'GET');
    expect(raw.json).toEqual({ stream: 'job/7/2', last_seq: '3' });
    expect((await send(`${sim.url}/v1/replay/streams/nobody%2F0%2F1`, 'GET')).status).toBe(404);
    // PUT /sim/streams rewinds it, as a target restored from a backup would.
    const put = await send(`${sim.url}/sim/streams/${encodeURIComponent('job/7/2')}`, 'PUT', { last_seq: 1 });
    expect(put.status).toBe(200);
    expect((await send(`${sim.url}/v1/replay/streams/job%2F7%2F2`, 'GET')).json).toEqual({
      stream: 'job/7/2',
      last_seq: '1',
    });
  });

  it('faults.refusalKeepsSeq: a refusal does not consume its seq (a target that breaks contract §2)', async () => {
    await send(`${sim.url}/sim/faults`, 'POST', { rejectPattern: '^k2$', refusalKeepsSeq: true });
    const k = K();
    const s = (id: string, seq: number) => ev(id, { key: k, replay: true, stream: 'bad', seq });
    const res = await batch(sim.url, [s('k1', 1), s('k2', 2)]);
    expect(res.map((r) => r.cep_status_reason)).toEqual(['0', 'PERMANENT_SCHEMA']);
    expect(sim.engine.seq.get('bad')).toBe(1);
    const next = await batch(sim.url, [s('k3', 3)]);
    expect(next[0]!.cep_status_reason).toBe('OUT_OF_ORDER_SEQUENCE');
  });
});
