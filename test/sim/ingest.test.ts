import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/common/fnv.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { b64, batch, ev, keyFor, nowNs, send } from './helpers.js';

let sim: SimServer;
beforeAll(async () => {
  sim = await startSim({ port: 0, partitions: 3, maxBodyBytes: 64 * 1024, maxEventBytes: 1000 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await send(`${sim.url}/sim/reset`, 'POST');
});

describe('sim ingest', () => {
  it('routes by FNV-1a-64 mod N and reports the partition in cep_status_reason', async () => {
    // contract vectors: tenant-42 → 1, tenant-43 → 2 (mod 3)
    const k0 = keyFor(0, 3);
    const res = await batch(sim.url, [
      ev('a', { key: 'tenant-42' }),
      ev('b', { key: 'tenant-43' }),
      ev('c', { key: k0 }),
    ]);
    expect(res.map((r) => r.cep_status_reason)).toEqual(['1', '2', String(partitionForKey(k0, 3))]);
    expect(res[0]).toMatchObject({ event_id: 'a', status: 'Healthy', term: '1', index: '1' });
    expect(res[0]!.cep_credit_hint).toEqual({
      client_window_size: expect.any(Number),
      retry_backoff_ms: expect.any(Number),
    });
    expect(sim.stats().partitions[1]!.committed).toBe(1);
    expect(sim.stats().partitions[2]!.committed).toBe(1);
    expect(sim.stats().partitions[0]!.committed).toBe(1);
  });

  it('answers /append with the bare result object, indices as decimal strings', async () => {
    const r = await send(`${sim.url}/append`, 'POST', ev('one', { key: 'tenant-42' }));
    expect(r.status).toBe(200);
    // hint = headroom after this request: 50,000 slots minus (maybe) the event not yet applied;
    // backoff = time to free 10 % of the ring at 200k/s = 25 ms.
    expect(r.json.cep_credit_hint.client_window_size).toBeGreaterThanOrEqual(49_999);
    expect(r.json).toEqual({
      event_id: 'one',
      status: 'Healthy',
      credit_hint: 'Recover',
      cep_credit_hint: { client_window_size: expect.any(Number), retry_backoff_ms: 25 },
      cep_status_reason: '1',
      term: '1',
      index: '1',
    });
  });

  it('accepts NDJSON batches and ts_ns as a number', async () => {
    const lines = [ev('n1'), { ...ev('n2'), ts_ns: Date.now() * 1e6 }]
      .map((e) => JSON.stringify(e))
      .join('\n');
    const r = await send(`${sim.url}/append/batch`, 'POST', `${lines}\n`, 'application/x-ndjson');
    expect(r.status).toBe(200);
    expect(r.json.results.map((x: { status: string }) => x.status)).toEqual(['Healthy', 'Healthy']);
  });

  it('rejects malformed bodies and invalid events with 400 naming index and field', async () => {
    const cases: [unknown, string, RegExp][] = [
      ['{not json', 'application/json', /invalid JSON/],
      [{ nope: [] }, 'application/json', /events/],
      [
        { events: [ev('ok'), { ...ev('x'), payload_b64: 'ab$=' }] },
        'application/json',
        /events\[1\]\.payload_b64: invalid base64/,
      ],
      [{ events: [{ ...ev('x'), ts_ns: '12a' }] }, 'application/json', /events\[0\]\.ts_ns/],
      [{ events: [{ ...ev('x'), ts_ns: undefined }] }, 'application/json', /events\[0\]\.ts_ns/],
      [{ events: [{ ...ev('x'), event_id: undefined }] }, 'application/json', /events\[0\]\.event_id/],
      [{ events: [{ ...ev('x'), schema_key: undefined }] }, 'application/json', /events\[0\]\.schema_key/],
      [
        { events: [{ ...ev('x'), partition_key_b64: 'a' }] },
        'application/json',
        /events\[0\]\.partition_key_b64/,
      ],
      [{ events: [{ ...ev('x'), replay_stream: 's', replay_seq: '0' }] }, 'application/json', /replay_seq/],
      [`${JSON.stringify(ev('a'))}\n{bad`, 'application/x-ndjson', /line 2/],
    ];
    for (const [body, ct, re] of cases) {
      const r = await send(`${sim.url}/append/batch`, 'POST', body, ct);
      expect(r.status, String(re)).toBe(400);
      expect(r.json.error).toEqual(expect.any(String));
      expect(r.json.detail).toMatch(re);
    }
    // nothing of a rejected request was processed
    expect(sim.stats().totals.committed).toBe(0);
  });

  it('echoes ids that need JSON escaping exactly', async () => {
    const ids = ['q"uote', 'back\\slash', 'ctl\u0001x', 'ünï-çødé', 'lone\ud800', 'plain-1'];
    const res = await batch(
      sim.url,
      ids.map((id) => ev(id)),
    );
    expect(res.map((r) => r.event_id)).toEqual(ids);
  });

  it('answers 413 over the body limit', async () => {
    const big = Array.from({ length: 400 }, (_, i) => ev(`big-${i}`, { payload: 'x'.repeat(200) }));
    const r = await send(`${sim.url}/append/batch`, 'POST', { events: big });
    expect(r.status).toBe(413);
    expect(r.json.error).toBe('payload_too_large');
    expect(sim.stats().totals.committed).toBe(0);
  });

  it('rejects future skew and oversize payloads permanently; counts past skew', async () => {
    const res = await batch(sim.url, [
      ev('future', { key: 'tenant-42', ts: nowNs(60_000) }),
      ev('huge', { key: 'tenant-43', payload: 'y'.repeat(1001) }),
      ev('exact', { key: 'tenant-43', payload: 'y'.repeat(1000) }),
      ev('old', { key: keyFor(0, 3), ts: nowNs(-31 * 60_000) }),
    ]);
    expect(res[0]).toMatchObject({
      status: 'PermanentDurability',
      cep_status_reason: 'PERMANENT_FUTURE_SKEW',
    });
    expect(res[1]).toMatchObject({ status: 'PermanentDurability', cep_status_reason: 'PERMANENT_PAYLOAD' });
    // prefix rule: after a non-accepted event, later events of the same partition are TRANSIENT_RETRY
    expect(res[2]).toMatchObject({ status: 'TransientBackpressure', cep_status_reason: 'TRANSIENT_RETRY' });
    expect(res[3]!.status).toBe('Healthy');
    const t = sim.stats().totals;
    expect(t.rejected).toEqual({ PERMANENT_FUTURE_SKEW: 1, PERMANENT_PAYLOAD: 1 });
    expect(t.past_skew).toBe(1);
    expect(b64('y'.repeat(1000)).length).toBeGreaterThan(1000); // size is decoded bytes, not base64 length
  });
});
