/**
 * Starts `ceptra-replay sim` as a child process (its own core, as a real cluster would be) and
 * waits for its "sim listening" line. Works from the built CLI, under tsx and from vitest: the
 * child gets this process's Node flags, plus the TypeScript loader when it runs from sources.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ErrorCode, ReplayError } from '../common/errors.js';
import { execArgvFor } from '../common/ts-loader.js';

export interface SimChild {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The CLI entry script (src/cli/main.ts under tsx, main.js when built). */
export function cliEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`../cli/main.${ext}`, import.meta.url));
}

export async function startSimChild(args: string[], timeoutMs = 30_000): Promise<SimChild> {
  const entry = cliEntry();
  const child = spawn(process.execPath, [...execArgvFor(entry), entry, 'sim', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: process.env.SIM_LOG_LEVEL ?? 'warn' },
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new ReplayError(ErrorCode.SimFailed, `sim did not start within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { msg?: string; url?: string };
        if (msg.msg === 'sim listening' && msg.url) {
          clearTimeout(timer);
          resolve(msg.url);
        }
      } catch {
        // not a JSON line
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new ReplayError(ErrorCode.SimFailed, `sim exited with code ${code}: ${stderr}`));
    });
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
