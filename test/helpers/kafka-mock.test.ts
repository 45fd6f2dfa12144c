/**
 * The Kafka test peer (test/helpers/kafka.ts) and what it answers to kafkajs. Against the
 * librdkafka mock cluster by default; with KAFKA_BROKERS the same tests run against a real
 * cluster, and the mock-only findings are skipped or asserted with real Kafka's answer beside.
 * Each consumer group join costs the mock's fixed 3 s initial rebalance delay.
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Consumer, IHeaders, PartitionAssigner } from 'kafkajs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fixedAssigner } from '../../src/sources/kafka/feed.js';
import {
  highWatermarks,
  type KafkaCluster,
  kafkaClient,
  kafkaMockLauncherPath,
  produce,
  type StartKafkaOptions,
  startKafka,
  watermarks,
} from './kafka.js';

const external = Boolean(process.env.KAFKA_BROKERS);
const unique = (base: string) => `${base}-${randomBytes(4).toString('hex')}`;

async function cluster(options: StartKafkaOptions): Promise<KafkaCluster> {
  const c = await startKafka(options);
  onTestFinished(() => c.stop());
  return c;
}

function listening(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise<boolean>((resolve) => {
    const s = connect(Number(port), host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Whether connects to hostPort start being refused (nothing listens any more) within timeoutMs. */
async function refused(hostPort: string, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await listening(hostPort))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

interface Seen {
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  timestamp: string;
  headers: Record<string, string>;
}

function headersToStrings(h: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, String(v)]));
}

/** Runs the consumer (eachBatch, no commits) and resolves once `until` holds for what it saw. */
async function consume(
  consumer: Consumer,
  until: (seen: Seen[]) => boolean,
  afterRun: () => void = () => undefined,
  timeoutMs = 15_000,
): Promise<Seen[]> {
  const seen: Seen[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        seen.push({
          partition: batch.partition,
          offset: m.offset,
          key: m.key === null ? null : m.key.toString('hex'),
          value: m.value!.toString('hex'),
          timestamp: m.timestamp,
          headers: headersToStrings(m.headers),
        });
      }
      if (until(seen)) done();
    },
  });
  afterRun();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`consumer saw ${seen.length} records in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([finished, timeout]);
  } finally {
    clearTimeout(timer);
  }
  return seen.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

async function groupConsumer(brokers: string[], options: { assigner?: PartitionAssigner } = {}) {
  const consumer = kafkaClient(brokers).consumer({
    groupId: unique('g'),
    maxWaitTimeInMs: 200,
    ...(options.assigner ? { partitionAssigners: [options.assigner] } : {}),
  });
  onTestFinished(() => consumer.disconnect());
  await consumer.connect();
  return consumer;
}

describe('Kafka test peer', () => {
  it('starts with the requested topics and partitions, leaders among its brokers', async () => {
    const [a, b] = [unique('a'), unique('b')];
    const kafka = await startKafka({
      brokers: 3,
      topics: [
        { name: a, partitions: 3 },
        { name: b, partitions: 1 },
      ],
    });
    const admin = kafkaClient(kafka.brokers).admin();
    try {
      await admin.connect();
      const { topics } = await admin.fetchTopicMetadata({ topics: [a, b] });
      expect(topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
        [a, 3],
        [b, 1],
      ]);
      if (kafka.kind === 'mock') {
        expect(kafka.brokers).toHaveLength(3);
        // Leaders are drawn from brokers 1..3, not necessarily all of them.
        for (const p of topics.flatMap((t) => t.partitions)) expect([1, 2, 3]).toContain(p.leader);
      }
    } finally {
      await admin.disconnect();
      await kafka.stop();
    }
    if (kafka.kind === 'mock') expect(await refused(kafka.brokers[0]!)).toBe(true);
  });

  it.skipIf(external)('the launcher exits when its parent dies (stdin EOF)', async () => {
    const launcher = await kafkaMockLauncherPath();
    const parentScript = `require('node:child_process').spawn(${JSON.stringify(launcher)}, ['--topic', 't:1'], { stdio: ['pipe', 'inherit', 'inherit'] }); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => void parent.kill('SIGKILL'));
    const line = await new Promise<string>((resolve) => {
      let out = '';
      parent.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
    });
    const { bootstrap, topics } = JSON.parse(line) as { bootstrap: string; topics: unknown };
    expect(topics).toEqual([{ name: 't', partitions: 1 }]);
    expect(await listening(bootstrap)).toBe(true);
    parent.kill('SIGKILL');
    expect(await refused(bootstrap)).toBe(true);
  });

  it.skipIf(external)('a bad topic fails the start with the launcher message', async () => {
    await expect(startKafka({ topics: [{ name: 'bad name', partitions: 1 }] })).rejects.toThrow(
      /--topic name must match/,
    );
  });

  it('reads produced records back with their CreateTime timestamps, keys and headers (group consumer)', async () => {
    const topic = unique('events');
    const kafka = await cluster({ topics: [{ name: topic, partitions: 3 }] });
    const base = 1_700_000_000_000;
    const records = [0, 1, 2].flatMap((partition) =>
      [0, 1, 2].map((i) => ({
        partition,
        key: i === 0 ? null : i === 1 ? `k${partition}` : Buffer.from([0xff, partition]),
        value: Buffer.from([partition, i, 0xfe]),
        timestamp: String(base + partition * 10 + i * 1000),
        headers: { source: 'test', seq: `${partition}.${i}`, utf8: 'é€' },
      })),
    );
    const sent = await produce(kafka.brokers, topic, records);
    expect(sent.map((r) => [r.partition, r.baseOffset]).sort()).toEqual([
      [0, '0'],
      [1, '0'],
      [2, '0'],
    ]);
    expect(await highWatermarks(kafka.brokers, topic)).toEqual(
      new Map([
        [0, 3n],
        [1, 3n],
        [2, 3n],
      ]),
    );

    const consumer = await groupConsumer(kafka.brokers);
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen = await consume(consumer, (s) => s.length >= records.length);
    const hex = (v: Buffer | string | null) => (v === null ? null : Buffer.from(v).toString('hex'));
    expect(seen).toEqual(
      records.map((r, n) => ({
        partition: r.partition,
        offset: String(n % 3),
        key: hex(r.key),
        value: hex(r.value),
        timestamp: r.timestamp,
        headers: r.headers,
      })),
    );
  });

  it('ListOffsets earliest and latest are right per partition', async () => {
    const topic = unique('offsets');
    const kafka = await cluster({ topics: [{ name: topic, partitions: 4 }] });
    expect((await watermarks(kafka.brokers, topic)).map((w) => [w.partition, w.low, w.high])).toEqual([
      [0, 0n, 0n],
      [1, 0n, 0n],
      [2, 0n, 0n],
      [3, 0n, 0n],
    ]);
    const counts = [0, 1, 2, 5];
    await produce(
      kafka.brokers,
      topic,
      counts.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ partition, value: `v${i}` }))),
    );
    await produce(kafka.brokers, topic, [{ partition: 1, value: 'late' }]);
    expect((await watermarks(kafka.brokers, topic)).map((w) => [w.partition, w.low, w.high])).toEqual([
      [0, 0n, 0n],
      [1, 0n, 2n],
      [2, 0n, 2n],
      [3, 0n, 5n],
    ]);
  });

  it('fetchTopicOffsetsByTimestamp: the mock has no time index, kafkajs turns its -1 into the high watermark', async () => {
    const topic = unique('bytime');
    const kafka = await cluster({ topics: [{ name: topic, partitions: 3 }] });
    const t0 = 1_700_000_000_000;
    await produce(
      kafka.brokers,
      topic,
      [0, 1].flatMap((partition) =>
        [0, 1, 2].map((i) => ({ partition, value: 'v', timestamp: String(t0 + i * 1000) })),
      ),
    );
    const admin = kafkaClient(kafka.brokers).admin();
    onTestFinished(() => admin.disconnect());
    await admin.connect();
    const byTime = async (ts: number) =>
      (await admin.fetchTopicOffsetsByTimestamp(topic, ts))
        .sort((a, b) => a.partition - b.partition)
        .map((o) => o.offset);

    // Partition 2 is empty: its high watermark is 0 whatever the broker.
    if (kafka.kind === 'mock') {
      for (const ts of [t0 - 1, t0 + 1000, t0 + 60_000]) expect(await byTime(ts)).toEqual(['3', '3', '0']);
    } else {
      expect(await byTime(t0 - 1)).toEqual(['0', '0', '0']);
      expect(await byTime(t0 + 1000)).toEqual(['1', '1', '0']);
      expect(await byTime(t0 + 60_000)).toEqual(['3', '3', '0']);
    }
  });

  it.skipIf(external)(
    'Metadata auto-creates unknown topics (4 partitions); CreateTopics is unsupported',
    async () => {
      const kafka = await cluster({});
      const admin = kafkaClient(kafka.brokers).admin();
      onTestFinished(() => admin.disconnect());
      await admin.connect();
      expect(await admin.listTopics()).toEqual([]);
      const { topics } = await admin.fetchTopicMetadata({ topics: ['ghost'] });
      expect(topics[0]!.partitions).toHaveLength(4);
      expect(await admin.listTopics()).toEqual(['ghost']);
      await expect(admin.createTopics({ topics: [{ topic: 'made', numPartitions: 2 }] })).rejects.toThrow(
        /Broker 0 not found/,
      );
    },
  );

  it('a fixed assigner plus seek after run() reads chosen partitions from chosen offsets', async () => {
    const topic = unique('assign');
    const kafka = await cluster({ topics: [{ name: topic, partitions: 3 }] });
    await produce(
      kafka.brokers,
      topic,
      [0, 1, 2].flatMap((partition) => [0, 1, 2, 3].map((i) => ({ partition, value: `p${partition}-${i}` }))),
    );
    const consumer = await groupConsumer(kafka.brokers, { assigner: fixedAssigner({ [topic]: [0, 2] }) });
    await consumer.subscribe({ topic, fromBeginning: false });
    expect(() => consumer.seek({ topic, partition: 0, offset: '1' })).toThrow(
      /consumer#run must be called first/,
    );

    let sentinel: Promise<unknown> | undefined;
    const text = (s: Seen) => Buffer.from(s.value, 'hex').toString();
    const seen = await consume(
      consumer,
      (s) => {
        // Once the seeked ranges are read, a sentinel on partition 0 and one on the unassigned
        // partition 1 show the assignment holds without sleeping.
        if (!sentinel && s.length >= 4) {
          sentinel = produce(kafka.brokers, topic, [
            { partition: 1, value: 'sentinel-1' },
            { partition: 0, value: 'sentinel-0' },
          ]);
        }
        return s.some((r) => text(r) === 'sentinel-0');
      },
      () => {
        // Seeks made before the (3 s) join completes are applied once the assignment arrives.
        consumer.seek({ topic, partition: 0, offset: '1' });
        consumer.seek({ topic, partition: 2, offset: '3' });
      },
    );
    await sentinel;
    expect(seen.map((s) => `${s.partition}@${s.offset}:${text(s)}`)).toEqual([
      '0@1:p0-1',
      '0@2:p0-2',
      '0@3:p0-3',
      '0@4:sentinel-0',
      '2@3:p2-3',
    ]);
  });
});
