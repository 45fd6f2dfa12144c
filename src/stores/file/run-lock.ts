/**
 * The file store's run lock: `<state file>.lock`, created exclusively (O_EXCL), holding the
 * holder as JSON. It locks the whole state file, not one job: every job in the file is rewritten
 * on each save, so two processes on one file would lose each other's updates.
 *
 * A lock left by a process that died (kill -9) is taken over when its holder is on this host and
 * gone (pid missing, or reused by a process that started at another time). Holders on other hosts
 * (a shared volume) cannot be checked and are reported. Takeover goes through a second exclusive
 * file, so two runs finding the same stale lock cannot both take it.
 */
import { open, readFile, rm, stat, utimes } from 'node:fs/promises';
import type { LockHolder, RunLock } from '../../engine/cursor.js';
import { holderGone, lockedError, selfHolder } from '../shared/holder.js';
import { defaultFileLockOptions, type FileLockOptions } from './options.js';

interface LockBody {
  job: string;
  host: string;
  pid: number;
  since: string;
  startTicks: string | null;
}

async function createExclusive(path: string, body: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o600);
    try {
      await fh.writeFile(body);
      await fh.sync();
    } finally {
      await fh.close();
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

async function readHolder(path: string): Promise<(LockHolder & { startTicks: string | null }) | null> {
  let text: string;
  let mtime: Date | undefined;
  try {
    [text, mtime] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => s.mtime)]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const b = JSON.parse(text) as LockBody;
    return {
      job: String(b.job),
      host: String(b.host),
      pid: Number(b.pid),
      since: new Date(b.since),
      startTicks: b.startTicks ?? null,
      ...(mtime ? { heartbeatAt: mtime } : {}),
    };
  } catch {
    // Torn write of a lock (crash between create and write): nobody can be holding it.
    return { job: '?', host: '?', pid: 0, since: new Date(0), startTicks: null };
  }
}

export async function takeFileLock(
  stateFile: string,
  job: string,
  opts: FileLockOptions = {},
): Promise<RunLock> {
  const path = `${stateFile}.lock`;
  const me = selfHolder(job);
  const body = JSON.stringify({
    job,
    host: me.host,
    pid: me.pid,
    since: me.since.toISOString(),
    startTicks: me.startTicks,
  } satisfies LockBody);
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(path, body)) break;
    const holder = await readHolder(path);
    if (holder === null) continue; // released meanwhile
    const stale = holder.pid === 0 || holderGone(holder);
    if (!stale || attempt >= 3) {
      throw lockedError(
        holder,
        `state file ${stateFile}`,
        'Only one run may write a state file at a time (jobs sharing a state file cannot run side by side: ' +
          'give each its own state.file). Wait for it to finish, or stop it (SIGTERM drains and commits), then run again.',
      );
    }
    // Stale: only the run that creates the takeover file removes it.
    const takeover = `${path}.takeover`;
    const old = await stat(takeover).catch(() => null);
    if (old && Date.now() - old.mtimeMs > 10_000) await rm(takeover, { force: true });
    if (await createExclusive(takeover, body)) {
      try {
        const again = await readHolder(path);
        if (again && again.pid === holder.pid && again.since.getTime() === holder.since.getTime()) {
          await rm(path, { force: true });
          opts.logger?.warn(
            { lock: path, deadPid: holder.pid, host: holder.host },
            'took over a run lock left by a process that is gone',
          );
        }
      } finally {
        await rm(takeover, { force: true });
      }
    } else {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // The lock file's mtime is the heartbeat a second run shows.
  const timer = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, opts.heartbeatMs ?? defaultFileLockOptions.heartbeatMs);
  timer.unref();
  let released = false;
  return {
    lost: new AbortController().signal,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      const holder = await readHolder(path).catch(() => null);
      if (holder && holder.pid === me.pid && holder.host === me.host) await rm(path, { force: true });
    },
  };
}
