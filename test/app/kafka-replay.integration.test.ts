/**
 * `source.type: kafka` end to end on real parts: librdkafka's mock cluster over the Kafka protocol
 * on loopback, the emulator over loopback HTTP, the real CLI killed with SIGKILL. Two topics, five
 * topic-partitions (one empty), keys routed to four CEPtra partitions, equal timestamps, disorder
 * inside the bound and beyond it, records exactly at the window's start and end. The emulator's
 * apply log must equal, per partition, the records of the window in (event_time, event_id) order,
 * minus the ones beyond the disorder bound, which are dead letters.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReplay } from '../../src/app/index.js';
import { runJob } from '../../src/cli/run.js';
import { partitionForKey } from '../../src/common/fnv.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadJobConfig } from '../../src/config/index.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { mulberry32 as rng } from '../../src/sources/synthetic/prng.js';
import { collect, runCli, spawnCli } from '../helpers/cli.js';
import { type KafkaCluster, type ProduceRecord, produce, startKafka } from '../helpers/kafka.js';
import { appliedOrder, resetSim, simTotals, until, waitApplied } from '../helpers/replay-fixture.js';

const PARTS = 4;
const T0 = Date.UTC(2025, 7, 1); // 2025-08-01T00:00:00Z
const START = T0 + 10_000;
const END = T0 + 70_000;
const DISORDER_MS = 2_000;
const TOPICS = [
  { name: `kr-a-${process.pid}`, partitions: 3 },
  { name: `kr-b-${process.pid}`, partitions: 2 }, // partition 1 stays empty
];

interface Made {
  topic: string;
  partition: number;
  ts: number;
  id: string;
  key: string;
}

let cluster: KafkaCluster;
let sim: SimServer;
let dir: string;
const made: Made[] = [];
let expected: Map<number, string[]>;
let outOfOrder: Made[];

/** One topic-partition's records: time walks forward with jitter inside the bound, ties, edges, a few far behind. */
function series(topic: string, partition: number, n: number, seed: number): Made[] {
  const r = rng(seed);
  const out: Made[] = [];
  let clock = T0;
  let atStart = false;
  let atEnd = false;
  for (let i = 0; i < n; i++) {
    clock += Math.floor(r() * 200);
    // Round to 100 ms so timestamps repeat within and across topic-partitions.
    let ts = Math.floor((clock - Math.floor(r() * 1_500)) / 100) * 100;
    // Exactly at the start (in) and at the end (out), where the clock gets there: disorder at
    // the window's edges stays inside the bound (beyond it, before the start offset, a record is
    // out of the replay's reach: see src/sources/kafka/seek.ts).
    if (clock >= START && !atStart) [ts, atStart] = [START, true];
    if (clock >= END && !atEnd) [ts, atEnd] = [END, true];
    // Far behind the newest before it (> DISORDER_MS), well inside the window: beyond the bound.
    if (i % 97 === 50 && clock > START + 5_000 && clock < END - 5_000) ts = clock - 6_000;
    out.push({
      topic,
      partition,
      ts,
      id: `${topic.slice(0, 4)}-${partition}-${String(i).padStart(5, '0')}`,
      key: `u${Math.floor(r() * 500)}`,
    });
  }
  return out;
}

/** What the source must deliver: in-window records, minus those beyond the bound, routed and sorted. */
function expectation(
  records: Made[],
  windows: [number, number][] = [[START, END]],
): { expected: Map<number, string[]>; ooo: Made[] } {
  const byTp = new Map<string, Made[]>();
  for (const m of records) {
    const k = `${m.topic}/${m.partition}`;
    byTp.set(k, [...(byTp.get(k) ?? []), m]);
  }
  const keep: Made[] = [];
  const ooo: Made[] = [];
  for (const list of byTp.values()) {
    let maxSeen = -Infinity;
    for (const m of list) {
      const inWindow = windows.some(([a, b]) => m.ts >= a && m.ts < b);
      if (inWindow) (m.ts < maxSeen - DISORDER_MS ? ooo : keep).push(m);
      maxSeen = Math.max(maxSeen, m.ts);
    }
  }
  const out = new Map<number, Made[]>();
  for (const m of keep) {
    const p = partitionForKey(m.key, PARTS);
    out.set(p, [...(out.get(p) ?? []), m]);
  }
  return {
    expected: new Map(
      [...out].map(([p, list]) => [
        p,
        list.sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((m) => m.id),
      ]),
    ),
    ooo,
  };
}

beforeAll(async () => {
  cluster = await startKafka({ topics: TOPICS });
  const parts: [string, number, number][] = [
    [TOPICS[0]!.name, 0, 900],
    [TOPICS[0]!.name, 1, 700],
    [TOPICS[0]!.name, 2, 800],
    [TOPICS[1]!.name, 0, 600],
  ];
  for (const [topic, partition, n] of parts) {
    const list = series(topic, partition, n, partition * 31 + n);
    made.push(...list);
    const records: ProduceRecord[] = list.map((m) => ({
      partition,
      key: m.key,
      value: JSON.stringify({ id: m.id, amount: m.ts % 1000 }),
      timestamp: String(m.ts),
      headers: { 'event-id': m.id },
    }));
    for (let i = 0; i < records.length; i += 200)
      await produce(cluster.brokers, topic, records.slice(i, i + 200));
  }
  ({ expected, ooo: outOfOrder } = expectation(made));
  sim = await startSim({
    port: 0,
    partitions: PARTS,
    applyRate: 1_000_000,
    latenessMs: 86_400_000,
    verifyMetrics: [{ name: 'amount_sum', kind: 'sum', field: '$.amount' }],
  });
  dir = await mkdtemp(join(tmpdir(), 'cr-kafka-'));
}, 60_000);
afterAll(async () => {
  await sim?.close();
  await cluster?.stop();
});

async function jobFile(
  job: string,
  flow = '{ batchSize: 100, maxInFlight: 2, commitIntervalMs: 50 }',
  windows = `window: { start: ${new Date(START).toISOString()}, end: ${new Date(END).toISOString()} }`,
): Promise<string> {
  const path = join(dir, `${job}.yaml`);
  await writeFile(
    path,
    `job: ${job}
${windows}
source:
  type: kafka
  brokers: [${cluster.brokers.join(', ')}]
  topics: [${TOPICS.map((t) => t.name).join(', ')}]
  mapping:
    eventId: { from: header, name: event-id }
    schemaKey: { from: constant, value: "proto:1.0:kafka-test" }
  maxDisorder: ${DISORDER_MS}ms
  maxWaitTime: 20ms
target: { url: "${sim.url}", partitions: ${PARTS} }
flow: ${flow}
state: { file: "${join(dir, `${job}.state.json`)}" }
verify:
  paneSize: 250ms
  metrics:
    - { name: amount_sum, kind: sum, field: $.amount }
`,
  );
  return path;
}

async function resetTarget(faults?: Record<string, unknown>): Promise<void> {
  await resetSim(sim.url, faults);
  await fetch(`${sim.url}/v1/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      lateness_allowance_ms: 86_400_000,
      verify_metrics: [{ name: 'amount_sum', kind: 'sum', field: '$.amount' }],
    }),
  });
}

async function expectExactlyOnceInOrder(want = expected): Promise<void> {
  const totals = await waitApplied(sim.url);
  expect(totals.applied_twice).toBe(0);
  expect(totals.replay_out_of_order).toBe(0);
  expect(totals.late_dropped).toBe(0);
  expect(totals.applied).toBe([...want.values()].reduce((s, l) => s + l.length, 0));
  const applied = await appliedOrder(sim.url, PARTS);
  expect(new Set(applied.keys())).toEqual(new Set(want.keys()));
  for (const [p, ids] of want) expect(applied.get(p)).toEqual(ids);
}

/** Runs the job in this process to the end; its metrics registry, to read the Kafka series. */
async function runDone(path: string): Promise<Registry> {
  const registry = new Registry();
  const summary = await runJob(await loadJobConfig(path), {
    progress: false,
    logger: silentLogger(),
    registry,
  });
  expect(summary.outcome, summary.error).toBe('done');
  return registry;
}

describe('kafka source, end to end', () => {
  it('the data exercises what it should', () => {
    expect(outOfOrder.length).toBeGreaterThan(5);
    expect(made.filter((m) => m.ts === START).length).toBeGreaterThan(0);
    expect(made.filter((m) => m.ts === END).length).toBeGreaterThan(0);
    expect(expected.size).toBe(PARTS);
  });

  it('plan names every topic-partition with its offsets and the disorder sample', async () => {
    const path = await jobFile('plan');
    const out = join(dir, 'plan.json');
    const r = await runCli(['plan', '-c', path, '--json', out]);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(await readFile(out, 'utf8')) as {
      notes: string[];
      partitions: { partition: number }[];
    };
    expect(plan.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2, 3]);
    for (const t of TOPICS)
      expect(plan.notes.some((n) => n.startsWith(`kafka ${t.name}/0: offsets `))).toBe(true);
    expect(plan.notes.some((n) => n.startsWith(`kafka ${TOPICS[1]!.name}/1: offsets 0..0 (0 records`))).toBe(
      true,
    );
  });

  it('replays every record of the window once, in order, per partition; beyond-bound records are dead letters; verify is identical', async () => {
    await resetTarget();
    const path = await jobFile('clean');
    const registry = await runDone(path);
    await expectExactlyOnceInOrder();
    // One shared scan read every record from the start offsets on, once.
    const series = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;
    expect((await series('replay_kafka_scans_total')).map((v) => v.value)).toEqual([1]);
    const read = (await series('replay_kafka_records_total')).reduce((s, v) => s + v.value, 0);
    const inWindow = made.filter((m) => m.ts >= START && m.ts < END).length;
    expect(read).toBeGreaterThanOrEqual(inWindow);
    expect(read).toBeLessThanOrEqual(made.length);
    expect((await series('replay_kafka_reorder_held_records')).map((v) => v.value)).toEqual([0]);
    const dl = await runCli(['dead-letters', 'list', '-c', path, '--json']);
    expect(dl.code, dl.stderr).toBe(0);
    const letters = JSON.parse(dl.stdout) as { reason: string; eventId: string | null }[];
    expect(letters.map((l) => l.reason)).toEqual(outOfOrder.map(() => 'OUT_OF_ORDER_SOURCE'));
    expect(letters.map((l) => l.eventId).sort()).toEqual(outOfOrder.map((m) => m.id).sort());
    const v = await verifyReplay(await loadJobConfig(path), { logger: silentLogger() });
    expect(v.exitCode).toBe(0);
    expect(v.report.ok).toBe(true);
    expect(v.report.compared).toBeGreaterThan(PARTS);
    expect(v.report.identical).toBe(v.report.compared);
    expect(v.report.reread).toEqual([]);
    // Without the stored fold (lost, or incompatible), verify re-reads the topics: once, shared.
    const again = await verifyReplay(
      await loadJobConfig(path, {
        verify: { metrics: [{ name: 'amount_max', kind: 'max', field: '$.amount' }] },
      }),
      { logger: silentLogger() },
    );
    expect(again.report.reread).toEqual([0, 1, 2, 3]);
    expect(again.report.ok, again.text).toBe(true);
  }, 60_000);

  it('kill -9 mid-run, then run again: exactly once, in order', async () => {
    // Slow responses keep the run mid-stream long enough to be killed: 4 partitions × 20 events
    // per ~20 ms is ~4,000 events/s, so ~0.5 s of streaming after the 400th event is applied.
    await resetTarget({ latencyMs: [15, 25], seed: 5 });
    const path = await jobFile(
      'killed',
      '{ mode: static, batchSize: 20, maxInFlight: 1, commitIntervalMs: 20 }',
    );
    const first = spawnCli(['run', '-c', path, '--no-progress']);
    const firstDone = collect(first, 60_000);
    await until(async () => (await simTotals(sim.url)).applied >= 400, 45_000);
    first.kill('SIGKILL');
    expect((await firstDone).signal).toBe('SIGKILL');
    const appliedAtKill = (await simTotals(sim.url)).applied;
    const want = [...expected.values()].reduce((s, l) => s + l.length, 0);
    expect(appliedAtKill).toBeLessThan(want);
    // Faults off; the emulator keeps what it applied before the kill.
    await fetch(`${sim.url}/sim/faults`, { method: 'DELETE' });
    const again = await runCli(['run', '-c', path, '--no-progress'], {}, 90_000);
    expect(again.code, again.stderr).toBe(0);
    await expectExactlyOnceInOrder();
  }, 120_000);
  it('two windows: each read by its own shared scan, nothing between them sent', async () => {
    await resetTarget();
    const w1: [number, number] = [START, START + 25_000];
    const w2: [number, number] = [START + 30_000, END];
    const iso = (ms: number) => new Date(ms).toISOString();
    const path = await jobFile(
      'two-windows',
      undefined,
      `windows:\n  - { start: ${iso(w1[0])}, end: ${iso(w1[1])} }\n  - { start: ${iso(w2[0])}, end: ${iso(w2[1])} }`,
    );
    const registry = await runDone(path);
    await expectExactlyOnceInOrder(expectation(made, [w1, w2]).expected);
    const scans = (await registry.getSingleMetric('replay_kafka_scans_total')!.get()).values;
    expect(scans.map((v) => v.value)).toEqual([2]);
  }, 60_000);
});
