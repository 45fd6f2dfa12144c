/**
 * A resume token whose records retention has deleted since it was written: the read fails at once
 * (not retryable) with the topic-partition, the offsets and the fix, instead of skipping the
 * deleted records silently or retrying forever. librdkafka's mock keeps ~5 MiB per partition and
 * drops the oldest batches past that, which moves the log start like retention does.
 */
import { expect, it } from 'vitest';
import { ReplayError } from '../../../src/common/errors.js';
import type { SourcePosition } from '../../../src/sources/source.js';
import { kafkaClient, startKafka } from '../../helpers/kafka.js';
import { keyFor, ns, put, source, T0, unique } from './fixtures.js';

const W = { startNs: ns(T0), endNs: ns(T0 + 3_600_000) };

it('a token pointing at deleted records fails the read with the offsets and the fix', async () => {
  const topic = unique('retention');
  const cluster = await startKafka({ topics: [{ name: topic, partitions: 1 }] });
  try {
    await put(
      cluster,
      topic,
      Array.from({ length: 50 }, (_, i) => ({ partition: 0, at: T0 + i, key: keyFor(0, 1, i) })),
    );
    let pos: SourcePosition | null = null;
    const first = await source(cluster, [topic], 1);
    try {
      for await (const b of first.read(0, null, W, { batchSize: 10 })) {
        const last = b.events.at(-1)!;
        pos = { tsNs: last.tsNs, eventId: last.eventId, ...(b.resume ? { resume: b.resume } : {}) };
        break;
      }
    } finally {
      await first.close();
    }
    expect(pos?.resume).toBeDefined();

    // ~6 MiB more: the mock drops the oldest batches, the log now starts past the token.
    const kib = 'x'.repeat(1024);
    for (let k = 0; k < 12; k++) {
      await put(
        cluster,
        topic,
        Array.from({ length: 500 }, (_, i) => ({
          partition: 0,
          at: T0 + 1_000 + k * 500 + i,
          key: 'k',
          value: kib,
        })),
      );
    }
    const admin = kafkaClient(cluster.brokers).admin();
    await admin.connect();
    const low = Number((await admin.fetchTopicOffsets(topic))[0]!.low);
    await admin.disconnect();
    expect(low).toBeGreaterThan(50);

    const again = await source(cluster, [topic], 1);
    try {
      const read = async () => {
        for await (const _ of again.read(0, pos, W, { batchSize: 10 })) {
          // nothing may come before the failure
        }
      };
      const err = await read().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ReplayError);
      expect((err as ReplayError).message).toMatch(
        new RegExp(
          `records of ${topic}/0 from offset \\d+ were deleted \\(the log now starts at ${low}\\).*--restart`,
        ),
      );
      expect((err as ReplayError).canRetry).toBe(false);
    } finally {
      await again.close();
    }
  } finally {
    await cluster.stop();
  }
}, 60_000);
