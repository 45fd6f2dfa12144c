import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { batch, ev, getJson, send, until } from './helpers.js';

let sim: SimServer;
beforeAll(async () => {
  sim = await startSim({ port: 0, partitions: 1, applyRate: 1000 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await send(`${sim.url}/sim/reset`, 'POST');
});
const setFaults = (f: unknown) => send(`${sim.url}/sim/faults`, 'POST', f);
const post = (events: unknown[]) => send(`${sim.url}/append/batch`, 'POST', { events });

describe('sim fault injection', () => {
  it('429 and 503 carry Retry-After (s) and retry_after_ms; faultCount limits them', async () => {
    await setFaults({ http429Probability: 1, retryAfterMs: 1500, faultCount: 1 });
    const r1 = await post([ev('a')]);
    expect(r1.status).toBe(429);
    expect(r1.headers.get('retry-after')).toBe('2');
    expect(r1.json).toMatchObject({ error: 'too_many_requests', retry_after_ms: 1500 });
    expect((await post([ev('a')])).status).toBe(200); // count exhausted
    await setFaults({ http503Probability: 1, retryAfterMs: 200 });
    const r2 = await post([ev('b')]);
    expect(r2.status).toBe(503);
    expect(r2.headers.get('retry-after')).toBe('1');
    expect(r2.json.retry_after_ms).toBe(200);
    expect(sim.stats().totals.committed).toBe(1);
  });

  it('drops the connection before processing anything', async () => {
    await setFaults({ dropProbability: 1, faultCount: 1 });
    await expect(post([ev('x')])).rejects.toThrow();
    expect(sim.stats().totals.committed).toBe(0);
    const faults = await getJson(`${sim.url}/sim/faults`);
    expect(faults).toMatchObject({ remaining: 0, injected: { drop: 1 } });
    expect((await post([ev('x')])).status).toBe(200);
  });

  it('adds latency (fixed and range)', async () => {
    await setFaults({ latencyMs: 120 });
    let t0 = performance.now();
    expect((await post([ev('l1')])).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    await setFaults({ latencyMs: [60, 80] });
    t0 = performance.now();
    await post([ev('l2')]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
  });

  it('abandons a request still held by latency when the emulator is reset (nothing leaks into the new run)', async () => {
    await setFaults({ latencyMs: 300 });
    const held = post([ev('held')]).then(
      (r) => r.status,
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 50));
    await send(`${sim.url}/sim/reset`, 'POST');
    expect(await held).toBe('dropped');
    expect(sim.stats().totals.committed).toBe(0);
    expect((await post([ev('after')])).status).toBe(200);
    expect(sim.stats().totals.committed).toBe(1);
  });

  it('answers every event TransientBackpressure with a seeded probability, applying nothing', async () => {
    await setFaults({ transientProbability: 1, faultCount: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await batch(sim.url, [ev('t1'), ev('t2')]);
      expect(res.map((r) => r.cep_status_reason)).toEqual([
        'TRANSIENT_BACKPRESSURE',
        'TRANSIENT_BACKPRESSURE',
      ]);
    }
    expect(sim.stats().totals.committed).toBe(0);
    expect((await batch(sim.url, [ev('t1')]))[0]!.status).toBe('Healthy');
    // same seed → same decisions
    const pick = async () => {
      await setFaults({ transientProbability: 0.5, seed: 42 });
      const out: string[] = [];
      for (let i = 0; i < 8; i++) out.push((await batch(sim.url, [ev(`s${i}-${out.length}`)]))[0]!.status);
      return out;
    };
    const a = await pick();
    expect(await pick()).toEqual(a);
    expect(new Set(a).size).toBe(2);
  });

  it('rejects ids matching a pattern permanently with the configured reason', async () => {
    await setFaults({ rejectPattern: '^poison-' });
    const res = await batch(sim.url, [ev('ok-1', { key: 'a' }), ev('poison-1', { key: 'b' })]);
    expect(res[1]).toMatchObject({ status: 'PermanentDurability', cep_status_reason: 'PERMANENT_SCHEMA' });
    await setFaults({ rejectPattern: 'bad', rejectReason: 'ERR_SCHEMA_BLOCKED' });
    expect((await batch(sim.url, [ev('is-bad')]))[0]!.cep_status_reason).toBe('ERR_SCHEMA_BLOCKED');
    expect(sim.stats().totals.rejected).toEqual({ PERMANENT_SCHEMA: 1, ERR_SCHEMA_BLOCKED: 1 });
    const bad = await setFaults({ rejectPattern: '(' });
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe('faults.rejectPattern');
  });

  it('stalls the apply loop: lag grows, then drains after DELETE /sim/faults', async () => {
    await setFaults({ stallSeconds: 30 });
    await batch(sim.url, [ev('st1'), ev('st2')]);
    await until(async () => (await getJson(`${sim.url}/v1/state`)).partitions[0].apply_lag_ms > 250, 3000);
    expect(sim.stats().totals.applied).toBe(0);
    expect((await getJson(`${sim.url}/sim/faults`)).stall_remaining_ms).toBeGreaterThan(0);
    const ready = await send(`${sim.url}/readyz`, 'GET');
    expect(ready.json.reasons).toEqual(['apply_lag']);
    await send(`${sim.url}/sim/faults`, 'DELETE');
    await until(() => sim.stats().totals.applied === 2, 3000);
  });

  it('takes faults from startSim options (deterministic with faultCount)', async () => {
    const s2 = await startSim({ port: 0, partitions: 1, faults: { http503Probability: 1, faultCount: 1 } });
    try {
      expect((await send(`${s2.url}/append/batch`, 'POST', { events: [ev('f')] })).status).toBe(503);
      expect((await send(`${s2.url}/append/batch`, 'POST', { events: [ev('f')] })).status).toBe(200);
    } finally {
      await s2.close();
    }
  });
});
