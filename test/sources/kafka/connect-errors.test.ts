/**
 * Connecting fails with a message that names the config field and the fix: brokers unreachable or
 * unresolvable, a topic that does not exist (listing topics never auto-creates one, even on the
 * mock), SASL asked of a listener without it, TLS spoken to a plaintext listener, an unreadable
 * CA file. Secrets never appear. A plaintext client on a TLS listener needs a TLS broker: untested.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConfigError, ReplayError } from '../../../src/common/errors.js';
import { createKafkaSource, type KafkaSourceInput } from '../../../src/sources/kafka/index.js';
import { type KafkaCluster, kafkaClient, startKafka } from '../../helpers/kafka.js';
import { unique } from './fixtures.js';

const TOPIC = unique('present');
let cluster: KafkaCluster;
beforeAll(async () => {
  cluster = await startKafka({ topics: [{ name: TOPIC, partitions: 1 }] });
});
afterAll(async () => {
  await cluster?.stop();
});

const base = {
  ceptraPartitions: 2,
  mapping: { schemaKey: { from: 'constant', value: 'x' } },
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 3000,
} as const;

async function failure(input: Partial<KafkaSourceInput>): Promise<ReplayError> {
  try {
    const s = await createKafkaSource({
      ...base,
      brokers: cluster.brokers,
      topics: [TOPIC],
      ...input,
    } as KafkaSourceInput);
    await s.close();
  } catch (e) {
    expect(e).toBeInstanceOf(ReplayError);
    expect((e as Error).message).not.toContain('secret-pw');
    return e as ReplayError;
  }
  throw new Error('expected a failure');
}

it('an unreachable broker is a retryable SOURCE_ERROR naming the brokers', async () => {
  const e = await failure({ brokers: ['127.0.0.1:1'] });
  expect(e.code).toBe('SOURCE_ERROR');
  expect(e.canRetry).toBe(true);
  expect(e.message).toMatch(/127\.0\.0\.1:1.*connection refused \(ECONNREFUSED\).*reachable/);
});

it('a host name that does not resolve is bad input on source.brokers', async () => {
  const e = await failure({ brokers: ['no-such-host.invalid:9092'] });
  expect(e).toBeInstanceOf(ConfigError);
  expect((e as ConfigError).field).toBe('source.brokers');
  expect(e.exitCode).toBe(2);
});

it('a missing topic is bad input on source.topics, and is not created', async () => {
  const e = await failure({ topics: [TOPIC, 'absent-topic'] });
  expect((e as ConfigError).field).toBe('source.topics');
  expect(e.message).toMatch(/absent-topic does not exist/);
  const admin = kafkaClient(cluster.brokers).admin();
  await admin.connect();
  try {
    expect(await admin.listTopics()).not.toContain('absent-topic');
  } finally {
    await admin.disconnect();
  }
});

it('SASL against a listener without it is bad input on source.sasl', async () => {
  const e = await failure({ sasl: { mechanism: 'plain', username: 'u', password: 'secret-pw' } });
  expect((e as ConfigError).field).toBe('source.sasl');
  expect(e.message).toMatch(/does not speak SASL/);
});

it('TLS against a plaintext listener says so', async () => {
  const e = await failure({ ssl: true });
  expect(e.message).toMatch(/TLS handshake.*set source\.ssl to false/);
});

it('an unreadable CA file is bad input on source.ssl.ca', async () => {
  const e = await failure({ ssl: { ca: '/nonexistent/ca.pem' } });
  expect((e as ConfigError).field).toBe('source.ssl.ca');
  expect(e.message).toMatch(/ENOENT/);
});
