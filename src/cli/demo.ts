/**
 * `ceptra-replay demo` (`npm start`): the whole product on embedded defaults, nothing to install.
 * Starts an embedded PostgreSQL unless DATABASE_URL is set, seeds synthetic history, starts the
 * emulator in its own process, plans, replays with progress, and prints the emulator's ground
 * truth beside the source: applied = source count, 0 applied twice, 0 out of order.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import pg from 'pg';
import { ConfigError, ExitCode } from '../common/errors.js';
import { createLogger, type Logger } from '../common/logger.js';
import { displayUrl } from '../common/redact.js';
import { parseJobConfig } from '../config/index.js';
import { seedEvents } from '../sources/synthetic/index.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { action } from './exit.js';
import { buildPlan, renderPlan } from './plan.js';
import { renderSummary, runJob, wireSignals } from './run.js';
import { startSimChild } from './sim-child.js';

interface DemoOptions {
  rows: string;
  partitions: string;
  applyRate: string;
  logLevel: string;
}

interface Database {
  url: string;
  description: string;
  stop(): Promise<void>;
}

async function openDatabase(log: (s: string) => void): Promise<Database> {
  const url = process.env.DATABASE_URL;
  // Shown without user info or query string: DATABASE_URL usually carries a password.
  if (url) return { url, description: `${displayUrl(url)} (DATABASE_URL)`, stop: async () => undefined };
  log('starting an embedded PostgreSQL (no DATABASE_URL set) …');
  const pgServer = await startEmbeddedPostgres('ceptra-replay-demo-pg-');
  return {
    url: pgServer.url,
    description: `embedded PostgreSQL on 127.0.0.1:${pgServer.port}`,
    stop: pgServer.stop,
  };
}

async function freshDatabase(adminUrl: string, name: string): Promise<string> {
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

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(flag, `must be a positive integer (got "${v}")`);
  return n;
}

interface SimPartition {
  partition_id: number;
  applied: number;
  applied_twice: number;
  replay_out_of_order: number;
  late_dropped: number;
  queue_depth: number;
}

async function groundTruth(simUrl: string): Promise<SimPartition[]> {
  for (let i = 0; i < 600; i++) {
    const s = (await (await fetch(`${simUrl}/sim/stats`)).json()) as { partitions: SimPartition[] };
    if (s.partitions.every((p) => p.queue_depth === 0)) return s.partitions;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the emulator did not finish applying within 30 s');
}

async function demo(opts: DemoOptions, logger: Logger): Promise<number> {
  const rows = positive('--rows', opts.rows);
  const partitions = positive('--partitions', opts.partitions);
  const applyRate = positive('--apply-rate', opts.applyRate);
  const say = (s: string) => process.stdout.write(`${s}\n`);
  const t0 = Date.now();
  const db = await openDatabase(say);
  let sim: Awaited<ReturnType<typeof startSimChild>> | undefined;
  try {
    say(`database: ${db.description}`);
    const url = await freshDatabase(db.url, 'ceptra_replay_demo');
    say(`seeding ${rows.toLocaleString('en-US')} synthetic events over ${partitions} partitions …`);
    const seeded = await seedEvents(url, { rows, partitions, listPartitioned: true });
    say(
      `  seeded in ${seeded.seconds.toFixed(1)} s (${Math.round(seeded.rowsPerSec).toLocaleString('en-US')} rows/s)`,
    );

    sim = await startSimChild(['--partitions', String(partitions), '--apply-rate', String(applyRate)]);
    say(
      `emulator: ${sim.url} (${partitions} partitions, apply rate ${applyRate.toLocaleString('en-US')} events/s each)`,
    );

    const demoJob = fileURLToPath(new URL('../../../config/demo-job.yaml', import.meta.url));
    const text = await readFile(demoJob, 'utf8').catch(() =>
      readFile(fileURLToPath(new URL('../../config/demo-job.yaml', import.meta.url)), 'utf8'),
    );
    const config = parseJobConfig(
      text,
      'config/demo-job.yaml',
      { target: { url: sim.url, partitions } },
      { ...process.env, DATABASE_URL: url },
    );

    say('\n== plan');
    const plan = await buildPlan(config, logger, true);
    say(renderPlan(plan));

    say('\n== run');
    const { stop, abort } = wireSignals(logger);
    const summary = await runJob(config, { restart: true, logger, stop: stop.signal, abort: abort.signal });
    say(renderSummary(summary));

    say('\n== ground truth (emulator) vs source');
    const truth = await groundTruth(sim.url);
    const sourceCount = new Map(plan.partitions.map((p) => [p.partition, p.rows]));
    say(' part    source   applied  twice  out-of-order  late');
    let ok = summary.outcome === 'done';
    const sum = { source: 0, applied: 0, twice: 0, ooo: 0, late: 0 };
    for (const p of truth) {
      const src = sourceCount.get(p.partition_id) ?? 0;
      const good = p.applied === src && p.applied_twice === 0 && p.replay_out_of_order === 0;
      ok &&= good;
      sum.source += src;
      sum.applied += p.applied;
      sum.twice += p.applied_twice;
      sum.ooo += p.replay_out_of_order;
      sum.late += p.late_dropped;
      say(
        `${String(p.partition_id).padStart(5)} ${String(src).padStart(9)} ${String(p.applied).padStart(9)} ${String(p.applied_twice).padStart(6)} ${String(p.replay_out_of_order).padStart(13)} ${String(p.late_dropped).padStart(5)}${good ? '' : '  ✗'}`,
      );
    }
    say(
      `total ${String(sum.source).padStart(9)} ${String(sum.applied).padStart(9)} ${String(sum.twice).padStart(6)} ${String(sum.ooo).padStart(13)} ${String(sum.late).padStart(5)}`,
    );
    say(
      ok
        ? `\nOK: every source event applied exactly once, in (event_time, event_id) order per partition. Demo took ${Math.round((Date.now() - t0) / 1000)} s.`
        : '\nMISMATCH: the emulator does not hold exactly the source set (see ✗ rows).',
    );
    return ok ? ExitCode.Done : ExitCode.Failed;
  } finally {
    await sim?.stop();
    await db.stop().catch(() => undefined);
  }
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'embedded demo: embedded Postgres + synthetic history + emulator, plan, replay, ground truth',
    )
    .option('--rows <n>', 'synthetic events to seed', '1000000')
    .option('--partitions <n>', 'CEPtra partitions', '16')
    .option('--apply-rate <n>', 'emulator apply rate per partition (events/s)', '200000')
    .option('--log-level <level>', 'log level', 'warn')
    .action(action(async (opts: DemoOptions) => demo(opts, createLogger({ level: opts.logLevel }))));
}
