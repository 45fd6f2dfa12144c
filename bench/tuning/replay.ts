/**
 * Runs `ceptra-replay run` as a child (tsx, like bench/lib.ts `runCli`) while sampling its CPU time
 * and VmRSS (all threads: the worker pool is in-process) every 200 ms; optionally with --cpu-prof.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds } from '../lib.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface JobSpec {
  name: string;
  dbUrl: string;
  table: string;
  targetUrl: string;
  partitions: number;
  /** Window end minute (start is the seed's 2025-08-01T00:00Z). */
  windowMin: number;
  workers: number | 'auto';
  /** The YAML flow object body, e.g. `mode: static, batchSize: 250, maxInFlight: 1`. */
  flow: string;
}

export function jobYaml(j: JobSpec): string {
  const end = new Date(Date.UTC(2025, 7, 1) + j.windowMin * 60_000).toISOString();
  return `job: ${j.name}
window: { start: 2025-08-01T00:00:00Z, end: ${end} }
source: { type: postgres, url: "${j.dbUrl}", table: ${j.table} }
target: { url: "${j.targetUrl}", partitions: ${j.partitions} }
workers: ${j.workers}
flow: { ${j.flow} }
state: { url: "${j.dbUrl}" }
`;
}

export interface ReplayRun {
  events: number;
  durationMs: number;
  eventsPerSec: number;
  cpuSeconds: number;
  peakRssMb: number;
  rss: [number, number][];
  /** performance.now() at spawn and exit (to align with other samplers). */
  t0: number;
  t1: number;
  stdout: string;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export async function runReplay(job: JobSpec, opts: { profileDir?: string } = {}): Promise<ReplayRun> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-tuning-'));
  const file = join(dir, 'job.yaml');
  await writeFile(file, jobYaml(job));
  const prof = opts.profileDir ? ['--cpu-prof', '--cpu-prof-dir', opts.profileDir] : [];
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [...prof, '--import', 'tsx', CLI, 'run', '-c', file, '--restart', '--no-progress'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
    },
  );
  let stdout = '';
  let stderr = '';
  let cpu = 0;
  const rss: [number, number][] = [];
  const sampler = setInterval(() => {
    try {
      cpu = cpuSeconds(child.pid!);
      rss.push([performance.now() - t0, rssMb(child.pid!)]);
    } catch {
      // exited between the tick and the read
    }
  }, 200);
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  const t1 = performance.now();
  if (code !== 0) throw new Error(`replay ${job.name} failed (${code}): ${stderr}\n${stdout.slice(-2000)}`);
  const m = /events (\d+), .*?\((\d+) ms\)/.exec(stdout);
  if (!m) throw new Error(`unexpected run output: ${stdout}`);
  const events = Number(m[1]);
  const durationMs = Number(m[2]);
  return {
    events,
    durationMs,
    eventsPerSec: (events * 1000) / durationMs,
    cpuSeconds: cpu,
    peakRssMb: Math.max(0, ...rss.map((r) => r[1])),
    rss,
    t0,
    t1,
    stdout,
  };
}
