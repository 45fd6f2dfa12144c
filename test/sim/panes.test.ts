import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/common/fnv.js';
import { diffSnapshots, type MetricDef, PaneFolder, type PaneSnapshot } from '../../src/monoid/index.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { b64, batch, ev, getJson, type Json, send, until } from './helpers.js';

const PANE_MS = 1000;
const METRICS: MetricDef[] = [
  { name: 'amount_sum', kind: 'sum', field: '$.amount' },
  { name: 'amount_max', kind: 'max', field: '$.amount' },
  { name: 'users', kind: 'distinct', field: '$.user' },
  { name: 'top_users', kind: 'topk', field: '$.user', k: 3 },
  { name: 'first_tag', kind: 'count', field: '$.tags[0]' },
  { name: 'deep_p90', kind: 'quantile', field: "$.deep['x y'].v", q: 0.9 },
  { name: 'meta_avg', kind: 'avg', field: '$.meta.score' },
];

let sim: SimServer;
beforeAll(async () => {
  sim = await startSim({ port: 0, partitions: 2, paneMs: PANE_MS, applyRate: 1_000_000 });
});
afterAll(() => sim.close());
beforeEach(async () => {
  await send(`${sim.url}/sim/reset`, 'POST');
});

interface Sent {
  id: string;
  key: string;
  ts: bigint;
  payload: string;
}

/** Events in time order over ~6 panes, one minute ago, with varied payloads (some not JSON). */
function makeEvents(n: number, prefix = 'e'): Sent[] {
  const base = BigInt(Date.now() - 60_000) * 1_000_000n;
  return Array.from({ length: n }, (_, i) => {
    const shapes: unknown[] = [
      { amount: i * 1.5, user: `u${i % 7}`, tags: ['a', 'b'], meta: { score: i % 5 } },
      { amount: -i, user: i % 3, deep: { 'x y': { v: i / 4 } } },
      { user: null, tags: [] },
      [1, 2, 3],
      null,
    ];
    const payload = i % 11 === 10 ? `not json ${i}` : JSON.stringify(shapes[i % shapes.length]);
    return { id: `${prefix}${i}`, key: `k${i % 5}`, ts: base + BigInt(i) * 23_456_789n, payload };
  });
}

const wire = (e: Sent, o: Record<string, unknown> = {}) => ({
  ...ev(e.id, { key: e.key, payload: e.payload, ts: e.ts.toString(), replay: true }),
  ...o,
});

/** The source-side fold, computed here from what was sent: full payload, parsed only for field metrics. */
function expected(events: Sent[], metrics: MetricDef[], partition: number): PaneSnapshot {
  const f = new PaneFolder({ paneNs: BigInt(PANE_MS) * 1_000_000n, metrics });
  const parse = metrics.some((m) => m.field !== undefined);
  for (const e of events) {
    if (partitionForKey(e.key, 2) !== partition) continue;
    let payload: unknown;
    if (parse) {
      try {
        payload = JSON.parse(e.payload);
      } catch {
        payload = undefined;
      }
    }
    f.add(partition, e.ts, Buffer.byteLength(e.payload), payload);
  }
  return f.snapshot();
}

const panes = (q = ''): Promise<Json> => getJson(`${sim.url}/sim/panes${q}`);
const applied = (n: number) => until(() => sim.stats().totals.applied === n, 5000);

describe('sim verification panes (GET /sim/panes)', () => {
  it('folds the built-ins over applied events exactly like an independent fold of what was sent', async () => {
    const events = makeEvents(300);
    for (let i = 0; i < events.length; i += 100)
      await batch(
        sim.url,
        events.slice(i, i + 100).map((e) => wire(e)),
      );
    await applied(300);
    const got = await panes();
    expect(got.pane_size_ns).toBe('1000000000');
    expect(Object.keys(got.partitions)).toEqual(['0', '1']);
    for (const p of [0, 1]) {
      const want = expected(events, [], p);
      expect(got.partitions[p]).toEqual(want);
      expect(want.entries.length).toBeGreaterThan(4); // several panes per partition
      const d = diffSnapshots(want, got.partitions[p]);
      expect(d.divergent.length + d.missingInSource.length + d.missingInTarget.length).toBe(0);
    }
    // built-in totals, counted by hand
    const all = [...got.partitions[0].entries, ...got.partitions[1].entries];
    const sum = (metric: string) =>
      all.filter((e: Json) => e.metric === metric).reduce((a: number, e: Json) => a + Number(e.state), 0);
    expect(sum('ingest_events_total')).toBe(300);
  });

  it('folds configured field metrics (PATCH verify_metrics) from the payload projection', async () => {
    const r = await send(`${sim.url}/v1/config`, 'PATCH', { verify_metrics: METRICS });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ impact: 'Reconfigure', changed_keys: ['verify_metrics'] });
    const events = makeEvents(220);
    await batch(
      sim.url,
      events.map((e) => wire(e)),
    );
    await applied(220);
    const got = await panes();
    for (const p of [0, 1]) {
      const want = expected(events, METRICS, p);
      expect(JSON.stringify(got.partitions[p])).toBe(JSON.stringify(want));
      expect(want.metrics.map((m) => m.name)).toContain('deep_p90');
    }
    // a metric with values in it, so the comparison above is not between empty states
    const users = got.partitions[0].entries.find((e: Json) => e.metric === 'users' && e.state.length > 0);
    expect(users).toBeDefined();
  });

  it('does not fold late, duplicate, divergent or rejected events', async () => {
    const events = makeEvents(60);
    await batch(
      sim.url,
      events.map((e) => wire(e)),
    );
    await applied(60);
    const last = events[events.length - 1]!;
    const res = await batch(sim.url, [
      wire(events[3]!), // duplicate (same id, same payload)
      wire(events[4]!, { payload_b64: b64('{"amount":1e9}') }), // divergent
      wire({ ...last, id: 'late-1', ts: last.ts - 30_000_000_000n }), // below the watermark at apply
      wire({ ...last, id: 'future-1', ts: BigInt(Date.now() + 600_000) * 1_000_000n }), // rejected
    ]);
    expect(res.slice(0, 2).map((r) => [r.duplicate, r.divergent])).toEqual([
      [true, undefined],
      [undefined, true],
    ]);
    await until(() => sim.stats().totals.late_dropped === 1, 5000);
    const got = await panes();
    for (const p of [0, 1]) expect(got.partitions[p]).toEqual(expected(events, [], p));
    expect(sim.stats().totals).toMatchObject({ duplicates_event_id: 1, divergent: 1, applied: 60 });
  });

  it('dropApplyPattern loses events silently; duplicateApplyPattern applies and folds them twice', async () => {
    const before = { ...sim.stats().faults_injected };
    await send(`${sim.url}/sim/faults`, 'POST', {
      dropApplyPattern: '^x1[0-4]$',
      duplicateApplyPattern: '^x2[0-2]$',
    });
    const events = makeEvents(40, 'x');
    const res = await batch(
      sim.url,
      events.map((e) => wire(e)),
    );
    expect(res.every((r) => r.status === 'Healthy' && r.index !== null)).toBe(true); // all acked + committed
    await until(() => sim.stats().totals.queue_depth === 0);
    const t = sim.stats();
    expect(t.totals).toMatchObject({ committed: 40, applied: 40 - 5 + 3, applied_twice: 3 });
    expect(t.faults_injected.apply_dropped! - (before.apply_dropped ?? 0)).toBe(5);
    expect(t.faults_injected.apply_duplicated! - (before.apply_duplicated ?? 0)).toBe(3);
    const folded = events.flatMap((e) =>
      /^x1[0-4]$/.test(e.id) ? [] : /^x2[0-2]$/.test(e.id) ? [e, e] : [e],
    );
    const got = await panes();
    for (const p of [0, 1]) expect(got.partitions[p]).toEqual(expected(folded, [], p));
    const d = diffSnapshots(expected(events, [], 0), got.partitions[0]);
    expect(d.divergent.length).toBeGreaterThan(0); // what verify would report
    await send(`${sim.url}/sim/faults`, 'DELETE');
  });

  it('filters by partition and [from, to); /sim/reset clears the panes; bad queries are 400', async () => {
    const events = makeEvents(120);
    await batch(
      sim.url,
      events.map((e) => wire(e)),
    );
    await applied(120);
    const full = (await panes('?partition=1')).partitions['1'] as PaneSnapshot;
    expect(Object.keys((await panes('?partition=1')).partitions)).toEqual(['1']);
    const paneIds = [...new Set(full.entries.map((e) => BigInt(e.pane)))].sort();
    const q = BigInt(PANE_MS) * 1_000_000n;
    const from = paneIds[1]! * q + 1n; // inside the second pane: it intersects
    const to = paneIds[2]! * q + q; // end of the third pane (exclusive)
    const part = (await panes(`?partition=1&from=${from}&to=${to}`)).partitions['1'] as PaneSnapshot;
    expect([...new Set(part.entries.map((e) => e.pane))]).toEqual([String(paneIds[1]), String(paneIds[2])]);
    expect(part.entries).toEqual(
      full.entries.filter((e) => [paneIds[1], paneIds[2]].includes(BigInt(e.pane))),
    );
    for (const bad of ['?partition=2', '?partition=x', '?from=abc', '?from=10&to=5'])
      expect((await send(`${sim.url}/sim/panes${bad}`, 'GET')).status, bad).toBe(400);
    await send(`${sim.url}/sim/reset`, 'POST');
    expect((await panes()).partitions['1'].entries).toEqual([]);
  });

  it('does not fold live-generator traffic', async () => {
    const s2 = await startSim({ port: 0, partitions: 2, liveRate: 2000 });
    try {
      await until(() => s2.stats().totals.live_applied > 20, 5000);
      const got = await getJson(`${s2.url}/sim/panes`);
      expect(got.partitions['0'].entries).toEqual([]);
      expect(got.partitions['1'].entries).toEqual([]);
    } finally {
      await s2.close();
    }
  });
});

describe('verify_metrics config', () => {
  it('rejects a bad list with 400 naming the entry, changing nothing', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'x' }, 'verify_metrics'],
      [[METRICS[0], { name: 'b', kind: 'median', field: '$.a' }], 'verify_metrics[1].kind'],
      [[{ name: 'b', kind: 'sum' }], 'verify_metrics[0].field'],
      [[{ name: 'b', kind: 'sum', field: 'amount' }], 'verify_metrics[0].field'],
      [[{ name: 'b', kind: 'sum', field: '$.a', feild: 1 }], 'verify_metrics[0].feild'],
      [[METRICS[0], METRICS[0]], 'verify_metrics[1].name'],
      [[{ name: 'ingest_events_total', kind: 'count' }], 'verify_metrics[0].name'],
      [[42], 'verify_metrics[0]'],
    ];
    for (const [v, field] of cases) {
      const r = await send(`${sim.url}/v1/config`, 'PATCH', { verify_metrics: v });
      expect(r.status, field).toBe(400);
      expect(r.json, field).toMatchObject({ error: 'invalid_config', field });
    }
    expect((await getJson(`${sim.url}/v1/config`)).version).toBe(1);
  });

  it('takes metrics from startSim options and rolls them back with the config', async () => {
    const s2 = await startSim({ port: 0, partitions: 1, verifyMetrics: [METRICS[0]!] });
    try {
      const c = await getJson(`${s2.url}/v1/config`);
      expect(c.verify_metrics).toEqual([METRICS[0]]);
      await send(`${s2.url}/v1/config`, 'PATCH', { verify_metrics: [] });
      const back = await send(`${s2.url}/v1/config/rollback?to=1`, 'POST');
      expect(back.json.changed_keys).toEqual(['verify_metrics']);
      await batch(s2.url, [ev('m1', { payload: '{"amount":7}', replay: true })]);
      await until(() => s2.stats().totals.applied === 1);
      const got = await getJson(`${s2.url}/sim/panes`);
      const e = got.partitions['0'].entries.find((x: Json) => x.metric === 'amount_sum');
      expect(e).toBeDefined();
      expect(JSON.stringify(e.state)).toContain('7');
    } finally {
      await s2.close();
    }
  });
});
