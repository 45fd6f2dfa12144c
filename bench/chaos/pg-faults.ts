/**
 * Source faults: terminate the replay's reader connections mid-stream, and restart the local
 * PostgreSQL service where that is allowed (root on the local Debian cluster, not under
 * DATABASE_URL, not in CI). Every query uses a fresh connection: a restart kills pooled ones.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * The replay's streaming readers: its COPYs with ORDER BY (the keyset scans). The preflight's
 * routing check is a COPY too, but unordered; terminating it is a planning fault, not mid-stream.
 */
const READERS = `FROM pg_stat_activity
  WHERE datname = $1 AND application_name = 'ceptra-replay' AND query ILIKE 'COPY%'
    AND query ILIKE '%ORDER BY%' AND state = 'active' AND pid <> pg_backend_pid()`;

/**
 * Terminates the replay's COPY readers on `database` as soon as one is open (polling every
 * 10 ms on one connection: a reader of a small partition may finish within milliseconds).
 * Returns how many backends were terminated (0: none was open before the deadline).
 */
export async function terminateReaders(url: string, database: string, deadline: number): Promise<number> {
  return withClient(url, async (c) => {
    while (Date.now() < deadline) {
      const r = await c.query<{ ok: boolean }>(`SELECT pg_terminate_backend(pid) AS ok ${READERS}`, [
        database,
      ]);
      const n = r.rows.filter((x) => x.ok).length;
      if (n > 0) return n;
      await new Promise((r) => setTimeout(r, 10));
    }
    return 0;
  }).catch(() => 0);
}

export interface RestartPolicy {
  allowed: boolean;
  /** Why not, shown in the figures. */
  reason: string;
  cluster?: string;
}

/** Whether this environment lets the harness restart PostgreSQL, and which cluster. */
export function restartPolicy(adminUrl: string): RestartPolicy {
  if (process.env.CI === 'true') return { allowed: false, reason: 'CI=true' };
  if (process.env.DATABASE_URL) return { allowed: false, reason: 'DATABASE_URL is set (not our service)' };
  if (process.getuid?.() !== 0) return { allowed: false, reason: 'not running as root' };
  const host = new URL(adminUrl).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost')
    return { allowed: false, reason: `server ${host} is not local` };
  if (!existsSync('/etc/postgresql'))
    return { allowed: false, reason: 'no /etc/postgresql (not a Debian cluster)' };
  const versions = readdirSync('/etc/postgresql');
  if (versions.length !== 1)
    return { allowed: false, reason: `expected one cluster version, found ${versions.length}` };
  return { allowed: true, reason: '', cluster: versions[0]! };
}

/** Restarts the local cluster and waits until it accepts connections; returns the outage in ms. */
export async function restartPostgres(cluster: string, adminUrl: string): Promise<number> {
  const t0 = Date.now();
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', cluster, 'main', 'restart'], { timeout: 60_000 });
  for (;;) {
    const ok = await withClient(adminUrl, (c) => c.query('SELECT 1')).then(
      () => true,
      () => false,
    );
    if (ok) return Date.now() - t0;
    if (Date.now() - t0 > 60_000) throw new Error('PostgreSQL did not come back within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}
