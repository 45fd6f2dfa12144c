/**
 * Applies pending migrations in one transaction under a transaction-scoped advisory lock, so
 * several processes starting at once serialize: the first applies, the others wait on the lock
 * and then find nothing to do. (CREATE SCHEMA IF NOT EXISTS alone still races on the catalog's
 * unique index, hence the lock comes first.)
 */
import type pg from 'pg';
import { migrations as allMigrations, type Migration } from './migrations/index.js';

export const STATE_SCHEMA = 'ceptra_replay';
/** Arbitrary constant: pg_advisory_xact_lock key owned by ceptra-replay migrations. */
export const MIGRATION_LOCK_KEY = 0x63727270; // 'crrp'

export async function migrate(client: pg.ClientBase, migrations: readonly Migration[] = allMigrations) {
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${STATE_SCHEMA}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${STATE_SCHEMA}.schema_migrations`,
    );
    const done = new Set(rows.map((r) => r.version));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query(`INSERT INTO ${STATE_SCHEMA}.schema_migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
  return applied;
}
