/** Shared bits of the benchmarks: machine description, databases, child CLI runs, CPU time. */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export function machine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpus().length} cores (${model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

export function adminDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export async function ensureDatabase(admin: string, name: string, fresh: boolean): Promise<string> {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    const exists = (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount! > 0;
    if (fresh && exists) await c.query(`DROP DATABASE ${name} WITH (FORCE)`);
    if (fresh || !exists) await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

/** User + system CPU seconds of a live process (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

const CLI = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const BUILT_CLI = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
let built = false;

/**
 * Compiles the project once per bench run (`tsconfig.build.json` → dist/): the replay is measured
 * as it ships, without the TypeScript loader's compile time in its CPU (about 1.5 s per run).
 * `BENCH_FROM_SOURCES=1` runs src/ under tsx instead.
 */
export function ensureBuilt(): void {
  if (built || process.env.BENCH_FROM_SOURCES) return;
  execFileSync(
    process.execPath,
    [
      fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)),
      '-p',
      'tsconfig.build.json',
    ],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: 'inherit',
    },
  );
  built = true;
}

/** Runs the CLI (built, see ensureBuilt) as a child; reports its output and CPU time (from /proc just before exit). */
export function runCli(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; cpuSeconds: number }> {
  ensureBuilt();
  const argv = process.env.BENCH_FROM_SOURCES ? ['--import', 'tsx', CLI, ...args] : [BUILT_CLI, ...args];
  const child = spawn(process.execPath, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  let stdout = '';
  let stderr = '';
  let cpu = 0;
  const sampler = setInterval(() => {
    try {
      cpu = cpuSeconds(child.pid!);
    } catch {
      // exited
    }
  }, 100);
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      clearInterval(sampler);
      resolve({ code, stdout, stderr, cpuSeconds: cpu });
    });
  });
}

export interface ReplayBenchJob {
  /** Folder for the job file. */
  dir: string;
  job: string;
  /** Source table and state database. */
  dbUrl: string;
  targetUrl: string;
  partitions: number;
  /** The inside of `flow: { … }`. */
  flow: string;
  /** More top-level YAML (e.g. `verify: { enabled: false }`). */
  extra?: string;
}

export interface ReplayBenchRun {
  events: number;
  /** The run's own duration (its summary line), start-up and shutdown excluded. */
  seconds: number;
  cpuSeconds: number;
  /** The summary's `retries …;` text. */
  retries: string;
}

/** A `run --restart` of the standard one-hour bench window through the built CLI; fails loudly. */
export async function runReplayJob(j: ReplayBenchJob): Promise<ReplayBenchRun> {
  const path = join(j.dir, `${j.job}.yaml`);
  await writeFile(
    path,
    `job: ${j.job}
window: { start: 2025-08-01T00:00:00Z, end: 2025-08-01T01:00:00Z }
source: { type: postgres, url: "${j.dbUrl}", table: events }
target: { url: "${j.targetUrl}", partitions: ${j.partitions} }
flow: { ${j.flow} }
state: { url: "${j.dbUrl}" }
${j.extra ?? ''}
`,
  );
  const r = await runCli(['run', '-c', path, '--restart', '--no-progress']);
  if (r.code !== 0) throw new Error(`run failed (${r.code}): ${r.stderr.slice(-2000)}`);
  const m = /events (\d+), .*?\((\d+) ms\)/.exec(r.stdout);
  if (!m) throw new Error(`unexpected run output: ${r.stdout}`);
  return {
    events: Number(m[1]),
    seconds: Number(m[2]) / 1000,
    cpuSeconds: r.cpuSeconds,
    retries: /retries ([^;]*);/.exec(r.stdout)?.[1] ?? '',
  };
}
