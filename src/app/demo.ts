/**
 * The pieces of `demo` (`npm start`) that are not printing: a database (DATABASE_URL, else an
 * embedded PostgreSQL), a fresh demo database seeded with synthetic history, the demo job config
 * pointed at an emulator, and the emulator's ground truth once it has applied everything.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ErrorCode, ReplayError } from '../common/errors.js';
import { displayUrl } from '../common/redact.js';
import { type JobConfig, parseJobConfig } from '../config/index.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface DemoDatabase {
  url: string;
  description: string;
  stop(): Promise<void>;
}

export async function openDemoDatabase(say: (s: string) => void): Promise<DemoDatabase> {
  const url = process.env.DATABASE_URL;
  // Shown without user info or query string: DATABASE_URL usually carries a password.
  if (url) return { url, description: `${displayUrl(url)} (DATABASE_URL)`, stop: async () => undefined };
  say('starting an embedded PostgreSQL (no DATABASE_URL set) …');
  const server = await startEmbeddedPostgres('ceptra-replay-demo-pg-');
  return {
    url: server.url,
    description: `embedded PostgreSQL on 127.0.0.1:${server.port}`,
    stop: server.stop,
  };
}

/** Drops and creates database `name` next to `adminUrl`; returns its URL. */
export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** `config/demo-job.yaml` (found from sources and from the build), against `targetUrl`. */
export async function demoJobConfig(
  databaseUrl: string,
  targetUrl: string,
  partitions: number,
): Promise<JobConfig> {
  const at = (rel: string) => readFile(fileURLToPath(new URL(rel, import.meta.url)), 'utf8');
  const text = await at('../../../config/demo-job.yaml').catch(() => at('../../config/demo-job.yaml'));
  return parseJobConfig(
    text,
    'config/demo-job.yaml',
    { target: { url: targetUrl, partitions } },
    { ...process.env, DATABASE_URL: databaseUrl },
  );
}

export interface SimPartitionTruth {
  partition_id: number;
  applied: number;
  applied_twice: number;
  replay_out_of_order: number;
  late_dropped: number;
  queue_depth: number;
}

/** The emulator's per-partition ground truth once its queues are empty (at most 30 s). */
export async function groundTruth(simUrl: string): Promise<SimPartitionTruth[]> {
  for (let i = 0; i < 600; i++) {
    const s = (await (await fetch(`${simUrl}/sim/stats`)).json()) as { partitions: SimPartitionTruth[] };
    if (s.partitions.every((p) => p.queue_depth === 0)) return s.partitions;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new ReplayError(ErrorCode.SimNotSettled, 'the emulator did not finish applying within 30 s');
}
