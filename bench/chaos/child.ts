/** Child processes of the real CLI under tsx: `ceptra-replay run` (its exit and output tail) and `sim`. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last ~2 KB of stdout and stderr (for the report of an unexpected exit). */
  stdout: string;
  stderr: string;
}

export interface ReplayChild {
  child: ChildProcess;
  startedAt: number;
  exited: Promise<ChildExit>;
  running(): boolean;
}

const tail = (s: string) => (s.length > 2048 ? s.slice(-2048) : s);

export function spawnRun(jobPath: string): ReplayChild {
  const args = ['--import', 'tsx', CLI, 'run', '-c', jobPath, '--no-progress'];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  const startedAt = Date.now();
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout = tail(stdout + d.toString())));
  child.stderr!.on('data', (d: Buffer) => (stderr = tail(stderr + d.toString())));
  let done = false;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      // 'exit' can fire before the pipes are drained: give them a moment for the summary lines.
      setTimeout(() => resolve({ code, signal, stdout, stderr }), 20);
    });
  });
  return { child, startedAt, exited, running: () => !done };
}

/** Sends `signal`; for SIGTERM, escalates to SIGKILL after `graceMs` (counted by the caller). */
export async function stopChild(
  rc: ReplayChild,
  signal: 'SIGKILL' | 'SIGTERM',
  graceMs: number,
): Promise<{ exit: ChildExit; escalated: boolean }> {
  rc.child.kill(signal);
  if (signal === 'SIGKILL') return { exit: await rc.exited, escalated: false };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), graceMs);
  });
  const first = await Promise.race([rc.exited, timeout]);
  clearTimeout(timer);
  if (first !== 'timeout') return { exit: first, escalated: false };
  rc.child.kill('SIGKILL');
  return { exit: await rc.exited, escalated: true };
}

export type { SimChild as SimProcess } from '../../src/sim/child.js';
/** `ceptra-replay sim` as a child process (works from vitest too): `startSimChild`. */
export { startSimChild as startSimProcess } from '../../src/sim/child.js';
