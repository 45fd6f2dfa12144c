/** The harness's fixtures: its own database (seeded, list-partitioned), the job file, the expected order. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { seedEvents } from '../../src/sources/synthetic/index.js';
import type { ChaosOptions } from './options.js';

export interface ChaosDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates `cr_chaos_<hex>` on the admin server (or uses `databaseUrl` as given: the caller owns it). */
export async function openDatabase(o: ChaosOptions): Promise<ChaosDatabase> {
  if (o.databaseUrl) {
    const u = new URL(o.databaseUrl);
    return { url: o.databaseUrl, name: decodeURIComponent(u.pathname.slice(1)), drop: async () => undefined };
  }
  const name = `cr_chaos_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: o.adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(o.adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: o.adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export async function seed(url: string, o: ChaosOptions): Promise<number[]> {
  const r = await seedEvents(url, {
    rows: o.rows,
    partitions: o.partitions,
    payloadBytes: o.payloadBytes,
    listPartitioned: true,
    seed: o.seed,
  });
  return r.perPartition;
}

/** Source order per partition, computed by Postgres: `(event_time, event_id)`. */
export async function expectedOrder(url: string): Promise<Map<number, string[]>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ part_id: number; ids: string[] }>(
      'SELECT part_id, array_agg(event_id ORDER BY event_time, event_id) AS ids FROM events GROUP BY part_id',
    );
    return new Map(r.rows.map((x) => [x.part_id, x.ids]));
  } finally {
    await c.end();
  }
}

export interface JobFiles {
  /** The job file of epoch `n` (a new job id each time the job completed and the emulator was reset). */
  path(epoch: number): Promise<string>;
  remove(): Promise<void>;
}

/** Jobs over the seeder's hour (2025-08-01T00:00Z) from `events` into the emulator. */
export async function jobFiles(o: ChaosOptions, dbUrl: string, targetUrl: string): Promise<JobFiles> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-chaos-'));
  return {
    async path(epoch) {
      const path = join(dir, `job-${epoch}.yaml`);
      await writeFile(
        path,
        `job: chaos-${epoch}
window: { start: 2025-08-01T00:00:00Z, end: 2025-08-01T01:00:00Z }
source: { type: postgres, url: "${dbUrl}", table: events }
target: { url: "${targetUrl}", partitions: ${o.partitions} }
flow: { batchSize: ${o.batchSize}, maxInFlight: ${o.maxInFlight}, parallelPartitions: ${o.parallelPartitions}, commitIntervalMs: ${o.commitIntervalMs} }
state: { url: "${dbUrl}" }
`,
      );
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
