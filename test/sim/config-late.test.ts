import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { batch, ev, getJson, nowNs, send, until } from './helpers.js';

let sim: SimServer;
beforeAll(async () => {
  sim = await startSim({ port: 0, partitions: 2 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await send(`${sim.url}/sim/reset`, 'POST');
});
const stats = () => sim.stats().totals;

describe('sim watermark and lateness (contract §4)', () => {
  it('drops events at or below the watermark, and stops after widening L via PATCH /v1/config', async () => {
    await batch(sim.url, [ev('now', { key: 'tenant-42' })]);
    await until(() => stats().applied === 1);
    const wm = (await getJson(`${sim.url}/v1/state`)).partitions[0].watermark_ts_ns as string;
    // WM = min(max_ts_seen − 2 s, now − 200 ms) = the live event's ts − 2 s
    expect(BigInt(wm)).toBeLessThan(BigInt(nowNs(-1900)));
    expect(BigInt(wm)).toBeGreaterThan(BigInt(nowNs(-3000)));

    await batch(sim.url, [ev('old-1', { key: 'tenant-42', ts: nowNs(-10_000) })]);
    await until(() => stats().late_dropped === 1);
    expect(stats().applied).toBe(1);

    const patch = await send(`${sim.url}/v1/config`, 'PATCH', { lateness_allowance_ms: 60_000 });
    expect(patch.json).toMatchObject({ impact: 'Hot', changed_keys: ['lateness_allowance_ms'] });
    await batch(sim.url, [ev('old-2', { key: 'tenant-42', ts: nowNs(-10_000) })]);
    await until(() => stats().applied === 2);
    expect(stats().late_dropped).toBe(1);
    const applied = await (await fetch(`${sim.url}/sim/applied?partition=0`)).text();
    expect(applied).toContain('"old-2"');
    expect(applied).not.toContain('"old-1"');
  });

  it('per-partition L overrides the top-level value', async () => {
    await send(`${sim.url}/v1/config`, 'PATCH', { partitions: { '1': { lateness_allowance_ms: 60_000 } } });
    await batch(sim.url, [ev('n', { key: 'tenant-42' }), ev('n2', { key: 'tenant-43' })]); // tenant-42 → partition 0, tenant-43 → 1 (N = 2)
    await until(() => stats().applied === 2);
    await batch(sim.url, [
      ev('o1', { key: 'tenant-42', ts: nowNs(-10_000) }),
      ev('o0', { key: 'tenant-43', ts: nowNs(-10_000) }),
    ]);
    await until(() => stats().applied + stats().late_dropped === 4);
    const [s0, s1] = sim.stats().partitions;
    expect([s0!.late_dropped, s1!.late_dropped]).toEqual([1, 0]);
  });
});

describe('sim /v1/config versions (contract §6)', () => {
  it('merges, versions, reports impact and rolls back', async () => {
    const v1 = await getJson(`${sim.url}/v1/config`);
    expect(v1).toEqual({
      version: 1,
      lateness_allowance_ms: 2000,
      correction_horizon_ms: 3_600_000,
      pane_size_ms: 250,
      dedup_capacity_per_partition: 100_000,
      apply_rate: 200_000,
      partitions: {},
      verify_metrics: [],
    });
    const p2 = await send(`${sim.url}/v1/config`, 'PATCH', {
      lateness_allowance_ms: '5000',
      correction_horizon_ms: 7_200_000,
    });
    expect(p2.status).toBe(200);
    expect(p2.json).toMatchObject({
      version: 2,
      impact: 'Hot',
      changed_keys: ['lateness_allowance_ms', 'correction_horizon_ms'],
    });
    expect(p2.json.duration_ms).toEqual(expect.any(Number));
    const p3 = await send(`${sim.url}/v1/config`, 'PATCH', {
      partitions: { '1': { dedup_capacity_per_partition: 10 } },
    });
    expect(p3.json).toMatchObject({
      version: 3,
      impact: 'Reconfigure',
      changed_keys: ['partitions.1.dedup_capacity_per_partition'],
    });
    // patching `partitions` replaces the whole object
    const p4 = await send(`${sim.url}/v1/config`, 'PATCH', { partitions: { '0': { pane_size_ms: 1000 } } });
    expect(p4.json.changed_keys).toEqual([
      'partitions.0.pane_size_ms',
      'partitions.1.dedup_capacity_per_partition',
    ]);
    expect((await getJson(`${sim.url}/v1/config`)).partitions).toEqual({ '0': { pane_size_ms: 1000 } });
    expect(sim.engine.partitions[0]!.knobs.lateness_allowance_ms).toBe(5000);

    const rb = await send(`${sim.url}/v1/config/rollback?to=1`, 'POST');
    expect(rb.status).toBe(200);
    expect(rb.json.version).toBe(5);
    const v5 = await getJson(`${sim.url}/v1/config`);
    expect(v5).toEqual({ ...v1, version: 5 });
    expect(sim.engine.partitions[0]!.knobs).toMatchObject({ lateness_allowance_ms: 2000, pane_size_ms: 250 });
    expect((await send(`${sim.url}/v1/config/rollback?to=3`, 'POST')).json.version).toBe(6);
    expect(sim.engine.partitions[1]!.knobs.dedup_capacity_per_partition).toBe(10);

    expect((await send(`${sim.url}/v1/config/rollback?to=99`, 'POST')).status).toBe(404);
    expect((await send(`${sim.url}/v1/config/rollback?to=x`, 'POST')).status).toBe(400);
  });

  it('rejects unknown keys and bad values with 400 naming them, changing nothing', async () => {
    const bad: [unknown, string][] = [
      [{ lateness: 1 }, 'lateness'],
      [{ lateness_allowance_ms: -1 }, 'lateness_allowance_ms'],
      [{ apply_rate: 'fast' }, 'apply_rate'],
      [{ partitions: { '7': {} } }, 'partitions.7'],
      [{ partitions: { '0': { bogus: 1 } } }, 'partitions.0.bogus'],
      [{ partitions: { '0': { pane_size_ms: 0 } } }, 'partitions.0.pane_size_ms'],
    ];
    for (const [body, field] of bad) {
      const r = await send(`${sim.url}/v1/config`, 'PATCH', body);
      expect(r.status, field).toBe(400);
      expect(r.json.field).toBe(field);
      expect(r.json.detail).toContain(field);
    }
    expect((await getJson(`${sim.url}/v1/config`)).version).toBe(1);
  });
});
