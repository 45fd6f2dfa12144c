/**
 * Run-lock holders: who we are (host, pid, process start), whether a holder on this host is still
 * alive, and the message a second run prints. Shared by the Postgres and the file lock.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ErrorCode, ReplayError } from '../../common/errors.js';
import type { LockHolder } from '../../engine/cursor.js';

/** Process start time in clock ticks since boot (Linux `/proc/<pid>/stat` field 22), or null. */
export function processStartTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: fields after it start past the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? null; // field 22 overall = index 19 after (pid, comm)
  } catch {
    return null;
  }
}

export function selfHolder(job: string): LockHolder & { startTicks: string | null } {
  return {
    job,
    host: hostname(),
    pid: process.pid,
    since: new Date(),
    startTicks: processStartTicks(process.pid),
  };
}

/**
 * Whether a holder on THIS host is gone: its pid does not exist, or exists but started at another
 * time (a reused pid). Holders on other hosts cannot be checked: never "gone".
 */
export function holderGone(h: { host: string; pid: number; startTicks?: string | null }): boolean {
  if (h.host !== hostname()) return false;
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  if (h.startTicks) {
    const now = processStartTicks(h.pid);
    if (now !== null && now !== h.startTicks) return true;
  }
  return false;
}

function ago(d: Date | undefined, now = Date.now()): string {
  if (!d) return 'unknown';
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  return s < 120
    ? `${s} s ago`
    : s < 7200
      ? `${Math.round(s / 60)} min ago`
      : `${Math.round(s / 3600)} h ago`;
}

/** ReplayError('JOB_LOCKED') naming the holder; `what` says what is locked. */
export function lockedError(holder: LockHolder, what: string, advice: string): ReplayError {
  const beat = holder.heartbeatAt ? `, last heartbeat ${ago(holder.heartbeatAt)}` : '';
  const backend = holder.backendPid !== undefined ? `, Postgres backend pid ${holder.backendPid}` : '';
  return new ReplayError(
    ErrorCode.JobLocked,
    `${what} is held by job "${holder.job}", pid ${holder.pid} on host ${holder.host} since ` +
      `${holder.since.toISOString()}${beat}${backend}. ${advice}`,
    { details: { holder } },
  );
}
