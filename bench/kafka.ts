/**
 * Kafka source benchmark (`npm run bench:kafka [-- --records 1000000 --tp 32 --partitions 16
 * --rounds 3 --no-record]`). Against librdkafka's mock cluster (the launcher of
 * test/helpers/kafka-mock, its own process, loopback), on one topic produced once, in one run:
 *   (a) raw kafkajs: a consumer (fresh group, fromBeginning, autoCommit off) whose `eachBatch`
 *       only counts, from offset 0 to every partition's high watermark: the ceiling;
 *   (b) the KafkaSource: `expectReads` then every CEPtra partition read at once over a window
 *       holding every record (batchSize 1000), counting events; checks that it delivered exactly
 *       the topic's record count, no poison, every partition strictly (tsNs, eventId) ascending.
 * Both pay a consumer-group join (3 s in the mock: group.initial.rebalance.delay.ms), so each is
 * timed from connect AND from its first delivered record to its last; CPU (this process, user +
 * sys) per record over both spans. Rounds interleave a, b, a, b, …; medians reported; appended
 * to bench/RESULTS.md unless --no-record. The mock keeps only 5 MiB per partition, hence 32
 * topic-partitions for 1M records (`--tp 8` holds up to ~250,000). */
import { appendFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { createKafkaSource } from '../src/sources/kafka/index.js';
import type { TimeWindow } from '../src/sources/source.js';
import { mulberry32 as rng } from '../src/sources/synthetic/prng.js';
import { buildKafkaMockLauncher } from '../test/helpers/kafka-mock/build.js';
import { type KafkaCluster, startMockCluster } from '../test/helpers/kafka-mock/cluster.js';
import { machine } from './lib.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    /**
     * Topic-partitions of the topic. The mock keeps at most 5 MiB per partition (older batches
     * are dropped: librdkafka's rdkafka_mock.c, max_size), ~40,000 of these records: 1M records
     * need ≥ 27 partitions, hence 32.
     */
    tp: { type: 'string', default: '32' },
    /** CEPtra partitions the keys route over (FNV-1a-64 mod N). */
    partitions: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
    'no-record': { type: 'boolean', default: false },
  },
});
const RECORDS = Number(values.records);
const TPS = Number(values.tp);
const PARTS = Number(values.partitions);
const ROUNDS = Math.max(1, Number(values.rounds));
const TOPIC = 'bench-kafka';
const BATCH = 1000;
/** 2025-08-01T00:00:00Z; the records spread over one hour of event time. */
const T0 = 1_754_006_400_000;
const SPAN_MS = 3_600_000;
const JITTER_MS = 1000;
const KEYS = 5000;
/** Records per producer batch (one send per topic-partition). */
const PRODUCE_BATCH = 5000;
const MS = 1_000_000n;
/** Every record, with room on both sides. */
const WINDOW: TimeWindow = { startNs: BigInt(T0 - 60_000) * MS, endNs: BigInt(T0 + SPAN_MS + 60_000) * MS };

const kafkaClient = (brokers: string[]) =>
  new Kafka({ clientId: 'ceptra-replay-bench', brokers, logLevel: logLevel.ERROR });

async function startMock(topic: string, partitions: number): Promise<KafkaCluster> {
  return startMockCluster(await buildKafkaMockLauncher(), [{ name: topic, partitions }], 1);
}

/** Partition → high watermark; fails when the mock dropped records (log start above 0). */
async function highWatermarks(brokers: string[]): Promise<Map<number, bigint>> {
  const admin = kafkaClient(brokers).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    const dropped = offsets.filter((o) => o.low !== '0');
    if (dropped.length > 0) {
      throw new Error(
        `the mock dropped the oldest records of ${dropped.length} partitions (log start ${dropped[0]!.low}): it keeps 5 MiB per partition (~40,000 records of this bench); use more --tp or fewer --records`,
      );
    }
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * RECORDS over TPS partitions (round-robin), per partition timestamps rising over SPAN_MS with a
 * uniform ±JITTER_MS disorder, KEYS distinct keys, ~100-byte JSON values. Per partition sends are
 * sequential (offset order = generation order), the partitions in parallel; acks 1, no compression.
 */
async function produceTopic(brokers: string[]): Promise<{ records: number; valueBytes: number }> {
  const producer = kafkaClient(brokers).producer({
    idempotent: false,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  let valueBytes = 0;
  try {
    await Promise.all(
      Array.from({ length: TPS }, async (_, tp) => {
        const n = Math.floor(RECORDS / TPS) + (tp < RECORDS % TPS ? 1 : 0);
        const rand = rng(tp + 1);
        for (let i0 = 0; i0 < n; i0 += PRODUCE_BATCH) {
          const messages = [];
          for (let i = i0; i < Math.min(n, i0 + PRODUCE_BATCH); i++) {
            const at = T0 + Math.floor((i * SPAN_MS) / n) + Math.round((rand() * 2 - 1) * JITTER_MS);
            const user = Math.floor(rand() * KEYS);
            const value = JSON.stringify({
              user: `user-${user}`,
              amount: Math.round(rand() * 1_000_000) / 100,
              currency: 'EUR',
              sku: `sku-${Math.floor(rand() * 1e8).toString(16)}`,
              qty: 1 + Math.floor(rand() * 9),
              country: 'DE',
              seq: i,
            });
            valueBytes += value.length;
            messages.push({ partition: tp, key: `user-${user}`, value, timestamp: String(at) });
          }
          await producer.send({ topic: TOPIC, acks: 1, messages });
        }
      }),
    );
  } finally {
    await producer.disconnect();
  }
  return { records: RECORDS, valueBytes };
}

interface Run {
  records: number;
  /** Connect → last record delivered. */
  totalS: number;
  /** First record delivered → last; `afterFirst` records were delivered after the first delivery. */
  streamS: number;
  afterFirst: number;
  /** CPU of this process, connect → last record, and first → last record. */
  cpuS: number;
  streamCpuS: number;
  /** (b) only: the window's seek (prepare: watermarks, offsets by time, verified seek). */
  seekS?: number;
  probes?: number;
}

const now = () => performance.now() / 1000;
const cpuNow = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};

/** Times a path: started at construction, `delivered(n)` per delivery, `run()` at the end. */
class Meter {
  readonly t0 = now();
  readonly cpu0 = cpuNow();
  records = 0;
  first: { t: number; cpu: number; n: number } | null = null;
  last = { t: 0, cpu: 0 };

  delivered(n: number): void {
    const t = now();
    const cpu = cpuNow();
    this.first ??= { t, cpu, n };
    this.records += n;
    this.last = { t, cpu };
  }

  run(): Run {
    const f = this.first ?? { t: this.last.t, cpu: this.last.cpu, n: 0 };
    return {
      records: this.records,
      totalS: this.last.t - this.t0,
      streamS: this.last.t - f.t,
      afterFirst: this.records - f.n,
      cpuS: this.last.cpu - this.cpu0,
      streamCpuS: this.last.cpu - f.cpu,
    };
  }
}

/** (a): a plain kafkajs consumer whose eachBatch counts, until every partition reached HW − 1. */
async function rawEachBatch(brokers: string[], high: Map<number, bigint>): Promise<Run> {
  const meter = new Meter();
  const consumer = kafkaClient(brokers).consumer({
    groupId: `bench-raw-${Date.now()}-${Math.random().toString(16).slice(2)}`,
    allowAutoTopicCreation: false,
  });
  const remaining = new Set([...high].filter(([, hw]) => hw > 0n).map(([p]) => p));
  let finish: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    finish = r;
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const n = batch.messages.length;
        if (n === 0) return;
        meter.delivered(n);
        if (BigInt(batch.lastOffset()) >= high.get(batch.partition)! - 1n) {
          remaining.delete(batch.partition);
          if (remaining.size === 0) finish();
        }
      },
    });
    if (remaining.size === 0) finish();
    await done;
    return meter.run();
  } finally {
    await consumer.disconnect();
  }
}

/** (b): the KafkaSource, every CEPtra partition at once; checks count, poison and order. */
async function sourceRead(brokers: string[], expected: number): Promise<Run> {
  const meter = new Meter();
  const s = await createKafkaSource({
    brokers,
    topics: [TOPIC],
    ceptraPartitions: PARTS,
    mapping: { schemaKey: { from: 'constant', value: 'proto:1.0:bench' } },
  });
  let poison = 0;
  try {
    // What the first read() would do anyway (prepare is once per window and source), made
    // explicit only to time it apart: against the mock it is a binary search (no time index).
    const t = now();
    const prep = await s.prepare(WINDOW);
    const seekS = now() - t;
    const parts = Array.from({ length: PARTS }, (_, p) => p);
    s.expectReads(new Map(parts.map((p) => [p, null])));
    await Promise.all(
      parts.map(async (p) => {
        let prevTs = -1n;
        let prevId = '';
        for await (const b of s.read(p, null, WINDOW, { batchSize: BATCH })) {
          meter.delivered(b.events.length);
          poison += b.poison?.length ?? 0;
          for (const e of b.events) {
            if (e.tsNs < prevTs || (e.tsNs === prevTs && e.eventId <= prevId)) {
              throw new Error(
                `partition ${p}: (${e.tsNs}, ${e.eventId}) after (${prevTs}, ${prevId}): not strictly ascending`,
              );
            }
            prevTs = e.tsNs;
            prevId = e.eventId;
          }
        }
      }),
    );
    const run = meter.run();
    if (run.records !== expected || poison !== 0) {
      throw new Error(
        `the source delivered ${run.records} events and ${poison} poison rows, expected ${expected} and 0`,
      );
    }
    return { ...run, seekS, probes: prep.probes.reduce((a, b) => a + b, 0) };
  } finally {
    await s.close();
  }
}

const median = (xs: number[]) => {
  const v = [...xs].sort((p, q) => p - q);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  let cluster: { brokers: string[]; stop(): Promise<void> } | undefined;
  try {
    // The mock keeps 5 MiB per partition (~131 bytes a record here, measured): fail before producing.
    const perTp = Math.ceil(RECORDS / TPS) * 140;
    if (perTp > 5 * 2 ** 20) {
      throw new Error(
        `${RECORDS} records over ${TPS} partitions need ~${(perTp / 2 ** 20).toFixed(1)} MiB per partition; the mock keeps 5 MiB: use --tp ${Math.ceil((RECORDS * 140) / (5 * 2 ** 20))} or more`,
      );
    }
    cluster = await startMock(TOPIC, TPS);
    process.stdout.write(`Kafka mock cluster at ${cluster.brokers.join(',')}\n`);
    let t = now();
    const produced = await produceTopic(cluster.brokers);
    const high = await highWatermarks(cluster.brokers);
    const total = [...high.values()].reduce((a, b) => a + Number(b), 0);
    if (total !== RECORDS) throw new Error(`the topic holds ${total} records, expected ${RECORDS}`);
    process.stdout.write(
      `produced ${fmt(RECORDS)} records (values ${Math.round(produced.valueBytes / RECORDS)} bytes on average) over ${TPS} partitions in ${(now() - t).toFixed(1)} s\n`,
    );

    const names = [
      '(a) raw kafkajs consumer, eachBatch counting (ceiling)',
      `(b) KafkaSource, ${PARTS} CEPtra partitions read at once (batchSize ${BATCH})`,
    ];
    const runs: Run[][] = [[], []];
    for (let round = 0; round < ROUNDS; round++) {
      t = now();
      runs[0]!.push(await rawEachBatch(cluster.brokers, high));
      if (runs[0]!.at(-1)!.records !== RECORDS) {
        throw new Error(`raw consumer read ${runs[0]!.at(-1)!.records} records, expected ${RECORDS}`);
      }
      runs[1]!.push(await sourceRead(cluster.brokers, RECORDS));
      process.stdout.write(`round ${round + 1}/${ROUNDS} done (${(now() - t).toFixed(1)} s)\n`);
    }

    const fromConnect = (x: Run) => x.records / x.totalS;
    const stream = (x: Run) => x.afterFirst / x.streamS;
    const cpuUs = (x: Run) => (x.cpuS * 1e6) / x.records;
    const streamCpuUs = (x: Run) => (x.streamCpuS * 1e6) / x.afterFirst;
    const noSeek = (x: Run) => x.records / (x.totalS - x.seekS!);
    const [a, b] = runs as [Run[], Run[]];
    const ratio = (f: (x: Run) => number) => median(b.map(f)) / median(a.map(f));
    const verdict = (r: number) =>
      `**${r.toFixed(Math.abs(r - 0.5) < 0.005 ? 3 : 2)}×** (${r >= 0.5 ? 'met' : 'missed'})`;
    const col = (rs: Run[], f: (x: Run) => number, show: (n: number) => string) =>
      `${show(median(rs.map(f)))} (${rs.map((x) => show(f(x))).join(' / ')})`;
    const us = (n: number) => n.toFixed(1);
    const lines = [
      `## Kafka source read (bench/kafka.ts, ${RECORDS.toLocaleString('en-US')} records, ${TPS} topic-partitions → ${PARTS} CEPtra partitions, medians of ${ROUNDS} interleaved rounds) — ${new Date().toISOString()}`,
      '',
      `Machine: ${machine()}. Broker: librdkafka 2.0.2's mock cluster (its own process, one broker, loopback) on the same machine.`,
      `Command: \`npx tsx bench/kafka.ts --records ${RECORDS} --tp ${TPS} --partitions ${PARTS} --rounds ${ROUNDS}\`.`,
      `Topic: ~${Math.round(produced.valueBytes / RECORDS)}-byte JSON values, ${KEYS} keys, timestamps rising over one hour with ±${JITTER_MS} ms uniform disorder per partition, produced in batches of ${PRODUCE_BATCH} records (the mock answers a Fetch with one producer batch per partition, ≈ ${Math.round((PRODUCE_BATCH * (produced.valueBytes / RECORDS + 20)) / 1024)} KiB here, close to what a broker returns for maxBytesPerPartition 1 MiB). Source: default options (mapping timestamp/offset/key, maxDisorder 5 s), window holding every record.`,
      'Each path joins a fresh consumer group (3 s in the mock). "From connect": records ÷ (connect → last record delivered). "First → last": records after the first delivery ÷ (first → last delivery), the streaming rate without the fixed start-up. CPU: this process (user + sys; the broker is another process), per record, over the same two spans. Every cell: median (every round).',
      '',
      '| path | records/s from connect | records/s first → last | CPU µs/record from connect | CPU µs/record first → last |',
      '|---|---|---|---|---|',
      ...runs.map(
        (rs, k) =>
          `| ${names[k]} | ${col(rs, fromConnect, fmt)} | ${col(rs, stream, fmt)} | ${col(rs, cpuUs, us)} | ${col(rs, streamCpuUs, us)} |`,
      ),
      '',
      `b/a (goal ≥ 0.5×): from connect ${verdict(ratio(fromConnect))}, first → last record ${verdict(ratio(stream))}. CPU per record b/a: ${ratio(cpuUs).toFixed(2)}× from connect, ${ratio(streamCpuUs).toFixed(2)}× first → last.`,
      `(b)'s start-up: the window's seek took ${col(
        b,
        (x) => x.seekS!,
        (n) => `${n.toFixed(1)} s`,
      )}: ${b[0]!.probes} single-record probes (a probe inside the ${PRODUCE_BATCH}-record batch fetched last is answered from it; each other one is a Fetch of a whole batch for kafkajs to decode); the mock has no time index (it answers the high watermark for any time), so every topic-partition is binary-searched, where a broker with a time index has its answer verified in 2 probes. Without the seek, (b) from connect would be ${fmt(median(b.map(noSeek)))} records/s (${(median(b.map(noSeek)) / median(a.map(fromConnect))).toFixed(2)}× a).`,
      `Checked every (b) round: exactly ${fmt(RECORDS)} events, no poison row, every CEPtra partition strictly (tsNs, eventId) ascending.`,
      '',
    ];
    process.stdout.write(`\n${lines.join('\n')}\n`);
    if (!values['no-record'])
      await appendFile(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
  } finally {
    await cluster?.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
