import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { IdDigest, idHash64 } from '../../src/sim/hash.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { batch, ev, getJson, keyFor, nowNs, send, until } from './helpers.js';

let sim: SimServer | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const metricValue = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('sim observability', () => {
  it('exposes the named Prometheus series with the right values, on the injected registry', async () => {
    const registry = new Registry();
    sim = await startSim({ port: 0, partitions: 2, applyRate: 0, replicationLagMs: 42, registry });
    const k0 = keyFor(0, 2);
    await batch(sim.url, [ev('m1', { key: k0 }), ev('m2', { key: k0 }), ev('m2', { key: k0 })]);
    await batch(sim.url, [ev('m2', { key: k0, payload: 'other' }), ev('f', { key: k0, ts: nowNs(60_000) })]);
    await new Promise((r) => setTimeout(r, 30));
    const text = await (await fetch(`${sim.url}/metrics`)).text();
    expect(metricValue(text, 'ceptra_queue_depth{partition_id="0"}')).toBe(2);
    expect(metricValue(text, 'ceptra_apply_lag_ms{partition_id="0"}')).toBeGreaterThan(20);
    expect(metricValue(text, 'ceptra_apply_lag_ms{partition_id="1"}')).toBe(0);
    expect(metricValue(text, 'ceptra_replication_lag_ms{partition_id="1"}')).toBe(42);
    expect(metricValue(text, 'ceptra_applied_total{partition_id="0"}')).toBe(0);
    expect(metricValue(text, 'ceptra_duplicates_total{partition_id="0",kind="event_id"}')).toBe(1);
    expect(metricValue(text, 'ceptra_divergent_total{partition_id="0"}')).toBe(1);
    expect(metricValue(text, 'ceptra_rejected_total{partition_id="0",reason="PERMANENT_FUTURE_SKEW"}')).toBe(
      1,
    );
    expect(metricValue(text, 'ceptra_late_dropped_total{partition_id="0"}')).toBe(0);
    expect(await registry.getSingleMetric('ceptra_apply_lag_ms')).toBeDefined();
    await send(`${sim.url}/v1/config`, 'PATCH', { apply_rate: 1000 });
    await until(() => sim!.stats().totals.applied === 2);
    const after = await (await fetch(`${sim.url}/metrics`)).text();
    expect(metricValue(after, 'ceptra_applied_total{partition_id="0"}')).toBe(2);
    expect(metricValue(after, 'ceptra_queue_depth{partition_id="0"}')).toBe(0);
  });

  it('readyz: replication_lag reason over 250 ms, object and array forms; healthz', async () => {
    sim = await startSim({ port: 0, partitions: 2, replicationLagMs: 300 });
    const r = await send(`${sim.url}/readyz`, 'GET');
    expect(r.status).toBe(503);
    expect(r.json).toEqual({
      ready: false,
      reasons: ['replication_lag'],
      partitions: {
        '0': {
          ready: false,
          reasons: ['replication_lag'],
          metrics: { apply_lag_ms: 0, replication_lag_ms: 300 },
        },
        '1': {
          ready: false,
          reasons: ['replication_lag'],
          metrics: { apply_lag_ms: 0, replication_lag_ms: 300 },
        },
      },
    });
    const arr = await send(`${sim.url}/readyz?format=array`, 'GET');
    expect(arr.json.partitions[1]).toMatchObject({
      partition_id: 1,
      ready: false,
      reasons: ['replication_lag'],
    });
    expect((await send(`${sim.url}/healthz`, 'GET')).json).toEqual({ ok: true });
  });

  it('/sim/stats ground truth and /sim/applied order; reset clears everything', async () => {
    sim = await startSim({ port: 0, partitions: 1, latenessMs: 60_000 });
    const t = (offsetMs: number) => nowNs(offsetMs);
    const r = (id: string, ts: string) => ev(id, { ts, replay: true });
    await batch(sim.url, [
      r('a', t(-5000)),
      r('b', t(-4000)),
      r('c', t(-4500)),
      ev('live', { ts: t(-1000) }),
    ]);
    await batch(sim.url, [r('d', t(-3000))]);
    await until(() => sim!.stats().totals.applied === 5);
    const s = (await getJson(`${sim.url}/sim/stats`)).partitions[0];
    const digest = new IdDigest();
    for (const id of ['a', 'b', 'c', 'live', 'd']) digest.add(id);
    expect(s).toMatchObject({
      applied: 5,
      replay_applied: 4,
      client_applied: 1,
      live_applied: 0,
      replay_out_of_order: 1, // c (−4.5 s) after b (−4 s)
      applied_twice: 0,
      first_applied: { event_id: 'a' },
      last_applied: { event_id: 'd' },
      digest: digest.hex(),
    });
    expect(idHash64('a')).toEqual([0xaf63dc4c, 0x8601ec8c]); // FNV-1a-64 contract vector
    const lines = (await (await fetch(`${sim.url}/sim/applied?partition=0`)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.event_id)).toEqual(['a', 'b', 'c', 'live', 'd']);
    expect(lines[0]).toEqual({ event_id: 'a', ts_ns: s.first_applied.ts_ns, flags: ['REPLAY'] });
    expect(lines[3].flags).toEqual([]);
    expect((await send(`${sim.url}/sim/applied?partition=9`, 'GET')).status).toBe(400);

    await send(`${sim.url}/v1/config`, 'PATCH', { apply_rate: 5 });
    await send(`${sim.url}/sim/reset`, 'POST');
    const after = await getJson(`${sim.url}/sim/stats`);
    expect(after.totals).toMatchObject({ applied: 0, committed: 0, digest: '0000000000000000' });
    expect((await getJson(`${sim.url}/v1/config`)).version).toBe(1);
    expect(await (await fetch(`${sim.url}/sim/applied?partition=0`)).text()).toBe('');
    // dedup state is gone too: 'a' commits again
    expect((await batch(sim.url, [r('a', t(-5000))]))[0]!.index).toBe('1');
  });

  it('generates live traffic, counted apart, that moves the watermark', async () => {
    sim = await startSim({ port: 0, partitions: 2, liveRate: 500 });
    await until(() => sim!.stats().totals.live_applied >= 20, 5000);
    const st = sim.stats();
    expect(st.live_generated).toBeGreaterThanOrEqual(20);
    expect(st.totals.replay_applied).toBe(0);
    const wm = (await getJson(`${sim.url}/v1/state`)).partitions[0].watermark_ts_ns as string;
    expect(BigInt(wm)).toBeGreaterThan(BigInt(nowNs(-10_000)));
    // a historic replay event is late against live traffic with the default L = 2 s
    await batch(sim.url, [ev('hist', { key: keyFor(0, 2), ts: nowNs(-60_000), replay: true })]);
    await until(() => sim!.stats().partitions[0]!.late_dropped === 1, 3000);
  });
});
