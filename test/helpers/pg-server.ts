import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/app/embedded-postgres.js';

export interface PgServer {
  url: string;
  description: string;
  stop(): Promise<void>;
}

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function resolvePostgres(): Promise<PgServer> {
  const noop = async () => undefined;
  if (process.env.DATABASE_URL) {
    if (!(await reachable(process.env.DATABASE_URL))) {
      throw new Error(`DATABASE_URL is set but not reachable: ${process.env.DATABASE_URL}`);
    }
    return { url: process.env.DATABASE_URL, description: 'DATABASE_URL', stop: noop };
  }
  const local = 'postgres://postgres@127.0.0.1:5432/postgres';
  if (await reachable(local)) return { url: local, description: `local service (${local})`, stop: noop };

  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('postgres:16')
      .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .withStartupTimeout(60_000)
      .start();
    return {
      url: `postgres://postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`,
      description: 'testcontainers postgres:16',
      stop: async () => void (await container.stop()),
    };
  } catch (e) {
    process.stdout.write(
      `[global-setup] testcontainers unavailable (${(e as Error).message.split('\n')[0]}); using embedded-postgres\n`,
    );
  }

  const server = await startEmbeddedPostgres('cr-embedded-pg-');
  return { url: server.url, description: `embedded-postgres on port ${server.port}`, stop: server.stop };
}
