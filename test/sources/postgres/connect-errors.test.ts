/**
 * Connecting to the source or state database: which failures are outages (exit 1, one line
 * naming the component and host), which are credentials (exit 1, "check the user and
 * password"), which are bad input (ConfigError, exit 2). Never the URL's password.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, ExitCode, ReplayError } from '../../../src/common/errors.js';
import {
  classifyPgConnectError,
  classifyPgError,
  type PgEndpoint,
  pgConnectFailure,
} from '../../../src/sources/postgres/errors.js';

const source: PgEndpoint = {
  component: 'source database',
  field: 'source.url',
  url: 'postgres://replay:hunter2@db.example:5432/events?password=qs-secret',
};
const state: PgEndpoint = { ...source, component: 'state database', field: 'state.url' };
const errno = (code: string, message = `connect ${code} 10.0.0.7:5432`) =>
  Object.assign(new Error(message), { code });
const sqlstate = (code: string, message = `boom ${code}`) => Object.assign(new Error(message), { code });

function expectSafe(e: ReplayError) {
  expect(e.message).not.toMatch(/hunter2|qs-secret|replay:/);
  expect(e.message).not.toContain('\n');
}

describe('pgConnectFailure', () => {
  it.each(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN'])(
    '%s is an outage: retryable, exit 1, names the component and host',
    (code) => {
      const e = pgConnectFailure(errno(code), source, 'SOURCE_ERROR')!;
      expect(e).toBeInstanceOf(ReplayError);
      expect(e).not.toBeInstanceOf(ConfigError);
      expect(e.code).toBe('SOURCE_ERROR');
      expect(e.exitCode).toBe(ExitCode.Failed);
      expect(e.canRetry).toBe(true);
      expect(e.message).toMatch(
        new RegExp(
          `^source database at postgres://db\\.example:5432/events: .+ \\(${code}\\); check that Postgres is up`,
        ),
      );
      expectSafe(e);
    },
  );

  it("reads Node's AggregateError (one error per address tried)", () => {
    const agg = Object.assign(new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')], ''), {
      code: 'ECONNREFUSED',
    });
    const e = pgConnectFailure(agg, state, 'STATE_UNREACHABLE')!;
    expect(e.code).toBe('STATE_UNREACHABLE');
    expect(e.message).toMatch(/^state database at postgres:\/\/db\.example:5432\/events: connection refused/);
  });

  it.each(['08001', '08006', '57P01', '57P03', '53300'])('SQLSTATE %s is an outage', (code) => {
    const e = pgConnectFailure(sqlstate(code), state, 'STATE_UNREACHABLE')!;
    expect([e.code, e.exitCode, e.canRetry]).toEqual(['STATE_UNREACHABLE', ExitCode.Failed, true]);
    expect(e.message).toContain(`(SQLSTATE ${code})`);
    expectSafe(e);
  });

  it('a connection closed or timed out without an errno is an outage', () => {
    for (const m of [
      'Connection terminated unexpectedly',
      'Connection terminated due to connection timeout',
    ]) {
      const e = pgConnectFailure(new Error(m), source, 'SOURCE_ERROR')!;
      expect([e.exitCode, e.canRetry]).toEqual([ExitCode.Failed, true]);
      expect(e.message).toContain(m);
    }
  });

  it.each([
    ['28P01', 'password authentication failed for user "replay"'],
    ['28000', 'role "replay" does not exist'],
  ])('SQLSTATE %s is exit 1, not retried: check the user and password', (code, message) => {
    const e = pgConnectFailure(sqlstate(code, message), source, 'SOURCE_ERROR')!;
    expect(e).not.toBeInstanceOf(ConfigError);
    expect([e.exitCode, e.canRetry]).toEqual([ExitCode.Failed, false]);
    expect(e.message).toBe(
      `source database at postgres://db.example:5432/events: authentication failed: check the user and password in source.url (SQLSTATE ${code})`,
    );
  });

  it('bad input: a database that does not exist, a host name that does not resolve, an unreadable TLS file', () => {
    const missing = pgConnectFailure(
      sqlstate('3D000', 'database "events" does not exist'),
      source,
      ErrorCode.SourceError,
    );
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as ConfigError).field).toBe('source.url');
    expect(missing!.exitCode).toBe(ExitCode.BadInput);
    const dns = pgConnectFailure(
      errno('ENOTFOUND', 'getaddrinfo ENOTFOUND db.exmaple'),
      state,
      ErrorCode.SourceError,
    );
    expect(dns).toBeInstanceOf(ConfigError);
    expect((dns as ConfigError).field).toBe('state.url');
    const file = Object.assign(new Error("ENOENT: no such file or directory, open '/etc/ca.pem'"), {
      code: 'ENOENT',
      syscall: 'open',
      path: '/etc/ca.pem',
    });
    const tls = pgConnectFailure(file, source, ErrorCode.SourceError);
    expect(tls).toBeInstanceOf(ConfigError);
    expect(tls!.message).toContain('cannot read the TLS file /etc/ca.pem');
    for (const e of [missing!, dns!, tls!]) expectSafe(e);
  });

  it('TLS: a certificate that does not verify is exit 1; TLS settings the server or pg refuse are exit 2', () => {
    const cert = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const verify = pgConnectFailure(cert, source, 'SOURCE_ERROR')!;
    expect(verify).not.toBeInstanceOf(ConfigError);
    expect([verify.exitCode, verify.canRetry]).toEqual([ExitCode.Failed, false]);
    expect(verify.message).toContain('TLS verification failed (DEPTH_ZERO_SELF_SIGNED_CERT)');
    const noTls = pgConnectFailure(
      new Error('The server does not support SSL connections'),
      source,
      ErrorCode.SourceError,
    );
    expect(noTls).toBeInstanceOf(ConfigError);
    expect(noTls!.message).toContain('the server does not accept TLS, but source.url asks for it');
    const verifyCa = pgConnectFailure(
      new Error('SECURITY WARNING: Using sslmode=verify-ca requires specifying a CA with sslrootcert.'),
      source,
      ErrorCode.SourceError,
    );
    expect(verifyCa).toBeInstanceOf(ConfigError);
    for (const e of [verify, noTls!, verifyCa!]) expectSafe(e);
  });

  it('is not about query errors or bugs', () => {
    expect(pgConnectFailure(sqlstate('42P01'), source, ErrorCode.SourceError)).toBeUndefined();
    expect(
      pgConnectFailure(new TypeError('x is not a function'), source, ErrorCode.SourceError),
    ).toBeUndefined();
    const known = new ReplayError(ErrorCode.Bug, 'k');
    expect(pgConnectFailure(known, source, ErrorCode.SourceError)).toBe(known);
  });
});

describe('classifyPgConnectError', () => {
  it('anything else: a ReplayError with the code, naming the component, redacted', () => {
    const e = classifyPgConnectError(
      sqlstate(
        '42501',
        'permission denied for database events (postgres://replay:hunter2@db.example/events)',
      ),
      state,
      'STATE_UNREACHABLE',
    );
    expect(e.code).toBe('STATE_UNREACHABLE');
    expect(e.message).toMatch(/^state database at postgres:\/\/db\.example:5432\/events: permission denied/);
    expect(e.message).toContain('(SQLSTATE 42501)');
    expectSafe(e);
  });
});

describe('classifyPgError: driver text is redacted', () => {
  it('never repeats a password from the message', () => {
    const e = classifyPgError(new Error('bad connection string postgres://replay:hunter2@db.example/events'));
    expect(e.message).toBe('Postgres source: bad connection string postgres://db.example/events');
  });
});
