/**
 * The Postgres run lock: a session-level advisory lock on (class, hashtext(job)), held by one
 * dedicated connection for the life of a run. Postgres releases it when that session ends, so a
 * run killed with -9 frees it as soon as the server sees the socket close. A `locks` row names
 * the holder (host, pid, since, heartbeat) for the message a second run prints.
 *
 * If the lock's connection drops (server restart, terminated backend) the lock is gone with it:
 * the holder takes it again at once; if another run got it first, `lost` aborts and the run
 * stops writing. (A cursor save also refuses to move a cursor backwards, a second fence.)
 */
import pg from 'pg';
import { ErrorCode, ReplayError } from '../../common/errors.js';
import type { LockHolder, RunLock } from '../../engine/cursor.js';
import { holderGone, lockedError, selfHolder } from '../shared/holder.js';
import { STATE_SCHEMA } from './migrate.js';
import { defaultPgLockOptions, type PgLockOptions } from './options.js';

/** Advisory-lock class of run locks (the migration lock uses 0x63727270). */
export const RUN_LOCK_CLASS = 0x63727271;
const S = STATE_SCHEMA;

interface HolderRow {
  host: string;
  pid: number;
  backend_pid: number;
  since: Date;
  heartbeat_at: Date;
}

export async function takePgLock(job: string, opts: PgLockOptions): Promise<RunLock> {
  const me = selfHolder(job);
  const lost = new AbortController();
  let client: pg.Client | null = null;
  let released = false;
  let timer: NodeJS.Timeout | null = null;

  const connect = async (): Promise<pg.Client> => {
    const c = new pg.Client({ ...opts.clientConfig, connectionString: opts.url });
    c.on('error', (e) => opts.logger?.warn({ err: e.message }, 'run lock: connection error'));
    try {
      await c.connect();
    } catch (e) {
      throw opts.classifyConnectError?.(e) ?? e;
    }
    return c;
  };

  /** One attempt; returns null when taken, else the current holder. */
  const attempt = async (c: pg.Client): Promise<LockHolder | null> => {
    const { rows } = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok', [
      RUN_LOCK_CLASS,
      job,
    ]);
    if (rows[0]!.ok) {
      await c.query(
        `INSERT INTO ${S}.locks (job, host, pid, backend_pid, since, heartbeat_at)
         VALUES ($1, $2, $3, pg_backend_pid(), $4, now())
         ON CONFLICT (job) DO UPDATE SET host = EXCLUDED.host, pid = EXCLUDED.pid,
           backend_pid = EXCLUDED.backend_pid, since = EXCLUDED.since, heartbeat_at = now()`,
        [job, me.host, me.pid, me.since],
      );
      return null;
    }
    const held = await c.query<HolderRow>(
      `SELECT host, pid, backend_pid, since, heartbeat_at FROM ${S}.locks WHERE job = $1`,
      [job],
    );
    const backend = await c.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
          AND classid = $1::int::oid AND objid = hashtext($2)::oid AND objsubid = 2`,
      [RUN_LOCK_CLASS, job],
    );
    const r = held.rows[0];
    return {
      job,
      host: r?.host ?? 'unknown',
      pid: r?.pid ?? 0,
      since: r?.since ?? new Date(0),
      ...(r ? { heartbeatAt: r.heartbeat_at } : {}),
      ...(backend.rows[0] ? { backendPid: backend.rows[0].pid } : {}),
    };
  };

  const acquire = async (): Promise<void> => {
    const deadline = Date.now() + (opts.goneGraceMs ?? defaultPgLockOptions.goneGraceMs);
    const c = await connect();
    try {
      for (;;) {
        const holder = await attempt(c);
        if (holder === null) break;
        // A holder on this host that just died (kill -9): its session is closing; wait a moment.
        if (holderGone(holder) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        throw lockedError(
          holder,
          `job "${job}"`,
          'Only one run of a job may write at a time: wait for it to finish, or stop it (SIGTERM drains and commits), then run again.' +
            (holder.backendPid !== undefined && holderGone(holder)
              ? ` Its process is gone but its database session is still open: end it with SELECT pg_terminate_backend(${holder.backendPid}).`
              : ''),
        );
      }
    } catch (e) {
      await c.end().catch(() => undefined);
      throw e;
    }
    client = c;
    c.once('end', () => {
      if (client === c && !released) void retake();
    });
  };

  /** The session ended under us: take the lock again, or give up the run. */
  const retake = async (): Promise<void> => {
    client = null;
    opts.logger?.warn({ job }, 'run lock: its database session ended; taking the lock again');
    for (let i = 0; i < 10 && !released; i++) {
      try {
        await acquire();
        opts.logger?.info({ job }, 'run lock: taken again');
        return;
      } catch (e) {
        if (e instanceof ReplayError && e.code === ErrorCode.JobLocked) {
          lost.abort(
            new ReplayError(
              ErrorCode.LockLost,
              `lost the run lock of job "${job}" to another run: ${e.message}`,
            ),
          );
          return;
        }
        await new Promise((r) => setTimeout(r, 500 * (i + 1)));
      }
    }
    if (!released)
      lost.abort(
        new ReplayError(
          ErrorCode.LockLost,
          `lost the run lock of job "${job}": its database session ended and the lock could not be taken again`,
          { canRetry: true },
        ),
      );
  };

  await acquire();
  timer = setInterval(() => {
    client
      ?.query(
        `UPDATE ${S}.locks SET heartbeat_at = now() WHERE job = $1 AND backend_pid = pg_backend_pid()`,
        [job],
      )
      .catch((e: unknown) => opts.logger?.debug({ err: (e as Error).message }, 'run lock: heartbeat failed'));
  }, opts.heartbeatMs ?? defaultPgLockOptions.heartbeatMs);
  timer.unref();

  return {
    lost: lost.signal,
    async release() {
      if (released) return;
      released = true;
      if (timer) clearInterval(timer);
      const c = client;
      client = null;
      if (!c) return;
      try {
        await c.query(`DELETE FROM ${S}.locks WHERE job = $1 AND backend_pid = pg_backend_pid()`, [job]);
        await c.query('SELECT pg_advisory_unlock($1, hashtext($2))', [RUN_LOCK_CLASS, job]);
      } catch {
        // the session ends below either way, which releases the lock
      } finally {
        await c.end().catch(() => undefined);
      }
    },
  };
}
