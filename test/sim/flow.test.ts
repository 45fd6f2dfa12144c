import { afterEach, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { batch, ev, getJson, keyFor, send, until } from './helpers.js';

let sim: SimServer | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const lagOf = async (url: string, p = 0): Promise<number> =>
  (await getJson(`${url}/v1/state`)).partitions[p].apply_lag_ms as number;

describe('sim commit→apply flow', () => {
  it('answers TRANSIENT_BACKPRESSURE with a Shed hint when the ring is full, and recovers after draining', async () => {
    sim = await startSim({ port: 0, partitions: 1, ring: 20, applyRate: 100 });
    const evs = Array.from({ length: 25 }, (_, i) => ev(`e${i}`));
    const res = await batch(sim.url, evs);
    expect(res.slice(0, 20).every((r) => r.status === 'Healthy')).toBe(true);
    expect(res[20]).toMatchObject({
      status: 'TransientBackpressure',
      cep_status_reason: 'TRANSIENT_BACKPRESSURE',
      credit_hint: 'Shed',
      // window = free slots (≥ 1); backoff = time to free 10 % of the ring (2 events) at 100/s
      cep_credit_hint: { client_window_size: 1, retry_backoff_ms: 20 },
    });
    // prefix rule: the rest of the partition's events in this request are TRANSIENT_RETRY
    expect(res.slice(21).map((r) => r.cep_status_reason)).toEqual(Array(4).fill('TRANSIENT_RETRY'));
    expect(sim.stats().partitions[0]!.transient).toEqual({ TRANSIENT_BACKPRESSURE: 1, TRANSIENT_RETRY: 4 });

    await until(() => sim!.engine.partitions[0]!.depth === 0, 5000);
    const again = await batch(sim.url, evs.slice(20));
    expect(again.map((r) => r.status)).toEqual(Array(5).fill('Healthy'));
    expect(again[0]!.credit_hint).toBe('Recover');
    await until(() => sim!.stats().totals.applied === 25, 5000);
    const applied = (await (await fetch(`${sim.url}/sim/applied?partition=0`)).text()).trim().split('\n');
    expect(applied.map((l) => JSON.parse(l).event_id)).toEqual(evs.map((e) => e.event_id));
  });

  it('reports Hold between 50 % and 90 % full', async () => {
    sim = await startSim({ port: 0, partitions: 1, ring: 100, applyRate: 1 });
    const res = await batch(
      sim.url,
      Array.from({ length: 60 }, (_, i) => ev(`h${i}`)),
    );
    expect(res[59]).toMatchObject({ status: 'Healthy', credit_hint: 'Hold' });
    expect(res[59]!.cep_credit_hint!.client_window_size).toBeGreaterThanOrEqual(40);
  });

  it('apply lag rises while the offered rate exceeds the apply rate, then falls back to 0', async () => {
    sim = await startSim({ port: 0, partitions: 1, ring: 10_000, applyRate: 50 });
    const samples: number[] = [];
    // offer ~200 events/s for ~0.5 s against an apply rate of 50/s
    for (let i = 0; i < 10; i++) {
      await batch(
        sim.url,
        Array.from({ length: 10 }, (_, j) => ev(`r${i}-${j}`)),
      );
      await new Promise((r) => setTimeout(r, 50));
      samples.push(await lagOf(sim.url));
    }
    expect(samples[samples.length - 1]!).toBeGreaterThan(samples[1]!);
    expect(Math.max(...samples)).toBeGreaterThan(200);
    const ready = await send(`${sim.url}/readyz`, 'GET');
    expect(ready.status).toBe(503);
    expect(ready.json.reasons).toContain('apply_lag');
    expect(ready.json.partitions['0'].reasons).toEqual(['apply_lag']);
    // drain: apply rate raised through /v1/config takes effect at once
    await send(`${sim.url}/v1/config`, 'PATCH', { apply_rate: 100_000 });
    await until(async () => (await lagOf(sim!.url)) === 0, 3000);
    const after = await send(`${sim.url}/readyz`, 'GET');
    expect(after.status).toBe(200);
    expect(after.json).toMatchObject({ ready: true, reasons: [] });
    expect(sim.stats().totals.applied).toBe(100);
  });

  it('applies partitions independently', async () => {
    sim = await startSim({ port: 0, partitions: 2, ring: 1000, applyRate: 1000 });
    await send(`${sim.url}/v1/config`, 'PATCH', { partitions: { '1': { apply_rate: 0 } } });
    const k0 = keyFor(0, 2);
    const k1 = keyFor(1, 2);
    await batch(sim.url, [ev('p0', { key: k0 }), ev('p1', { key: k1 })]);
    await until(() => sim!.stats().partitions[0]!.applied === 1);
    // Partition 1 has waited 50 ms (its own apply lag says so) while partition 0 applied.
    await until(async () => (await lagOf(sim!.url, 1)) >= 50);
    expect(sim.stats().partitions[1]).toMatchObject({ applied: 0, queue_depth: 1 });
  });
});
