import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ExitCode } from '../../src/common/errors.js';
import { jobSpecHash, loadJobConfig, parseJobConfig } from '../../src/config/index.js';
import type { JobConfigOverrides, PostgresSourceConfig } from '../../src/config/types.js';

const NOW = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z
const ENV = { DATABASE_URL: 'postgres://replay:secret@127.0.0.1:5432/app' };

const base = `
job: gap-2025-08-01
window: { start: 2025-08-01T00:00:00Z, end: 2025-08-02T00:00:00Z }
source: { type: postgres, url: '\${DATABASE_URL}' }
target: { url: http://127.0.0.1:7070, partitions: 16 }
`;

const parse = (text: string, overrides?: JobConfigOverrides, env: Record<string, string> = ENV) =>
  parseJobConfig(text, 'job.yaml', overrides, env, { nowNs: NOW });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseJobConfig: resolution', () => {
  it('fills defaults, expands env, resolves times exactly and freezes the result', () => {
    const c = parse(base);
    expect(c.job).toBe('gap-2025-08-01');
    expect(c.windows).toEqual([{ startNs: 1_754_006_400_000_000_000n, endNs: 1_754_092_800_000_000_000n }]);
    const src = c.source as PostgresSourceConfig;
    expect(src.type).toBe('postgres');
    expect(src.url).toBe(ENV.DATABASE_URL);
    expect(src.columns.event_time).toBe('event_time');
    expect(src.readMethod).toBe('copy');
    expect(c.flow).toEqual({
      mode: 'adaptive',
      targetApplyLagMs: 200,
      lagPollIntervalMs: 250,
      minBatch: 50,
      maxBatch: 5000,
      startRate: 1000,
      increaseStep: 250,
      decreaseFactor: 0.5,
      lowWatermark: 0.5,
      maxRate: 0,
      maxBurst: 0,
      replicationLagLimitMs: 250,
      rttInflation: 2,
      batchSize: 1000,
      maxInFlight: 4,
      parallelPartitions: 16,
      commitIntervalMs: 200,
      commitEveryBatches: 16,
      maxUncommittedEvents: 500_000,
    });
    expect(c.state).toEqual({ file: './replay-state.json' });
    expect(c.guardrails.maxWindowNs).toBe(30n * 86_400n * 1_000_000_000n);
    expect(c.guardrails.paneSizeNs).toBe(250_000_000n);
    expect(c.warnings).toEqual([]);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.flow)).toBe(true);
    expect(Object.isFrozen(c.windows[0])).toBe(true);
    expect(() => {
      (c.flow as { batchSize: number }).batchSize = 1;
    }).toThrow(TypeError);
  });

  it('keeps YAML timestamps as strings (core schema), even under a %YAML 1.1 directive, to the ns', () => {
    const text = base.replace('2025-08-01T00:00:00Z', '2025-08-01T00:00:00.123456789Z');
    const withDirective = `%YAML 1.1\n---\n${text}`;
    for (const t of [text, withDirective]) {
      const c = parse(t, undefined);
      // 123456789 ns is not pane aligned: rounded down to the 250 ms pane, with a warning.
      expect(c.windows[0]!.startNs).toBe(1_754_006_400_000_000_000n);
      expect(c.warnings[0]).toContain('2025-08-01T00:00:00.123456789Z → 2025-08-01T00:00:00Z');
    }
    const exact = parse(text, { guardrails: { paneSize: '1ns' } });
    expect(exact.windows[0]!.startNs).toBe(1_754_006_400_123_456_789n);
  });

  it('accepts durations for *Ms keys and \u0024{VAR:-default}', () => {
    const c = parse(`${base}flow: { commitIntervalMs: 1.5s }\nstate: { file: '\${STATE:-/tmp/x.json}' }\n`);
    expect(c.flow.commitIntervalMs).toBe(1500);
    expect(c.state).toEqual({ file: '/tmp/x.json' });
    expect(parse(base, { target: { timeoutMs: '2m' } }).target.timeoutMs).toBe(120_000);
  });

  it('applies CLI overrides last; window replaces windows', () => {
    const multi = base.replace(
      /window: .*\n/,
      'windows: [{ start: 2025-08-01T00:00:00Z, end: 2025-08-01T01:00:00Z }, { start: 2025-08-01T02:00:00Z, end: 2025-08-01T03:00:00Z }]\n',
    );
    expect(parse(multi).windows).toHaveLength(2);
    const c = parse(multi, {
      window: { start: '2025-08-03T00:00:00Z', end: '2025-08-03T00:00:01Z' },
      flow: { batchSize: 500 },
      target: { connections: 2 },
    });
    expect(c.windows).toEqual([{ startNs: 1_754_179_200_000_000_000n, endNs: 1_754_179_201_000_000_000n }]);
    expect(c.flow.batchSize).toBe(500);
    expect(c.flow.maxInFlight).toBe(4);
    expect(c.target.connections).toBe(2);
    expect(c.target.partitions).toBe(16);
  });

  it('merges windows that overlap only after pane rounding, with a warning', () => {
    const text = base.replace(
      /window: .*\n/,
      'windows: [{ start: 2025-08-01T00:00:00Z, end: 2025-08-01T00:00:00.1Z }, { start: 2025-08-01T00:00:00.2Z, end: 2025-08-01T00:00:01Z }]\n',
    );
    const c = parse(text);
    expect(c.windows).toEqual([{ startNs: 1_754_006_400_000_000_000n, endNs: 1_754_006_401_000_000_000n }]);
    expect(c.warnings.join('\n')).toContain('merged');
  });

  it('hashes what is replayed, not where from', () => {
    const a = jobSpecHash(parse(base));
    expect(jobSpecHash(parse(base, undefined, { DATABASE_URL: 'postgres://other@127.0.0.1/app' }))).toBe(a);
    expect(jobSpecHash(parse(base, { source: { table: 'events_v2' } }))).not.toBe(a);
    expect(jobSpecHash(parse(base, { window: { end: '2025-08-01T12:00:00Z' } }))).not.toBe(a);
  });
});

describe('parseJobConfig: errors name the field, the value and the fix', () => {
  it('end before start', () => {
    const e = configError(() =>
      parse(base, { window: { start: '2025-08-02T00:00:00Z', end: '2025-08-01T00:00:00Z' } }),
    );
    expect(e.field).toBe('window.end');
    expect(e.message).toBe(
      'window.end: must be after window.start (got 2025-08-01T00:00:00Z ≤ 2025-08-02T00:00:00Z); swap them or fix the dates',
    );
    expect(e.exitCode).toBe(ExitCode.BadInput);
  });

  it('unknown keys get a did-you-mean; several problems are listed one per line', () => {
    const e = configError(() => parse(`${base}flow: { batchsize: 10, maxInFlight: 0 }\nguardrail: {}\n`));
    const lines = e.message.split('\n');
    expect(lines).toContain('flow.batchsize: unknown key; did you mean flow.batchSize?');
    expect(lines).toContain('guardrail: unknown key; did you mean guardrails?');
    expect(lines).toContain('flow.maxInFlight: must be at least 1 (got 0)');
    expect(lines).toHaveLength(3);
  });

  it('missing env var names the variable and the field', () => {
    const e = configError(() => parse(base, undefined, {}));
    expect(e.field).toBe('source.url');
    expect(e.message).toContain('environment variable DATABASE_URL is not set');
  });

  it('wrong types, enums and the discriminator', () => {
    const e = configError(() =>
      parse(`${base}guardrails: { align: up, rate: fast }\n`, { source: { type: 'mysql' as 'postgres' } }),
    );
    expect(e.message).toContain('guardrails.align: expected one of "round" | "fail" (got "up")');
    expect(e.message).toContain('guardrails.rate: expected number, got string "fast"');
    expect(e.message).toContain('source.type: expected one of "postgres" | "kafka" (got "mysql")');
  });

  it('a key of another source type is named as such', () => {
    const e = configError(() => parse(base, { source: { type: 'kafka' } as never }));
    expect(e.message).toContain('source.url: is not used with source.type kafka; remove it');
    expect(e.message).toContain('source.brokers: is required (expected array); add it');
  });

  it('missing required keys and both/neither of window / windows', () => {
    expect(configError(() => parse('job: x\n')).message).toMatch(/source: is required/);
    const neither = base.replace(/window: .*\n/, '');
    expect(configError(() => parse(neither)).field).toBe('window');
    const both = `${base}windows: [{ start: 2025-08-01T00:00:00Z, end: 2025-08-02T00:00:00Z }]\n`;
    expect(configError(() => parse(both)).message).toContain('keep exactly one');
  });

  it('bad timestamps, bad job id, bad URLs', () => {
    const e = configError(() =>
      parse(
        base.replace('job: gap-2025-08-01', 'job: "bad id"').replace('2025-08-02T00:00:00Z', '2025-08-02'),
      ),
    );
    expect(e.message).toContain('window.end: expected an RFC 3339 timestamp');
    expect(e.message).toContain('(got "2025-08-02")');
    const urls = configError(() =>
      parse(base, { target: { url: 'ftp://x' } }, { DATABASE_URL: 'mysql://u:pw@h/db' }),
    );
    expect(urls.message).toContain('target.url: expected a URL with scheme http or https');
    expect(urls.message).toContain('source.url: expected a URL with scheme postgres or postgresql');
    expect(urls.message).toContain('(got "mysql://h/db")');
    expect(urls.message).not.toContain('pw');
  });

  it('never echoes a password from a bad URL: "/", "@", ":" in it, or a query-string password', () => {
    const env = { DATABASE_URL: 'postgres://replay:s3cr/et@db.example:5432/app?password=qs-secret' };
    const e = configError(() =>
      parse(
        `${base}state: { url: 'postgres://replay:p@ss:w/rd@db.example:bad/state' }\n`,
        { target: { url: 'http://replay:tok3n@ceptra.example:notaport' } },
        env,
      ),
    );
    expect(e.message).toContain('source.url: expected a URL with scheme postgres or postgresql');
    expect(e.message).toContain('(got "postgres://<redacted>")');
    expect(e.message).toContain('state.url: expected a URL with scheme postgres or postgresql');
    expect(e.message).toContain('target.url: expected a URL with scheme http or https');
    for (const secret of ['s3cr', 'qs-secret', 'p@ss', 'w/rd', 'tok3n', 'replay']) {
      expect(e.message).not.toContain(secret);
      expect(JSON.stringify(e.details)).not.toContain(secret);
    }
    // A URL given where a string was expected is shown redacted too.
    const list = configError(() =>
      parse(base.replace("url: '\u0024{DATABASE_URL}'", "url: ['postgres://replay:pw9@db.example/app']")),
    );
    expect(list.field).toBe('source.url');
    expect(list.message).not.toContain('pw9');
  });

  it('warns when the target certificate is not verified', () => {
    const target = (tls: string) =>
      base.replace(
        'target: { url: http://127.0.0.1:7070, partitions: 16 }',
        `target: { url: https://ceptra.example:8443, partitions: 16${tls} }`,
      );
    expect(parse(target('')).warnings).toEqual([]);
    expect(parse(target(', tls: { ca: ./ca.pem }')).warnings).toEqual([]);
    expect(parse(target(', tls: { rejectUnauthorized: false }')).warnings).toEqual([
      "target.tls.rejectUnauthorized is false: the target's certificate is not verified; anyone on the path can read and alter the replay",
    ]);
  });

  it('windows must be sorted and disjoint', () => {
    const text = base.replace(
      /window: .*\n/,
      'windows: [{ start: 2025-08-01T02:00:00Z, end: 2025-08-01T03:00:00Z }, { start: 2025-08-01T00:00:00Z, end: 2025-08-01T01:00:00Z }]\n',
    );
    const e = configError(() => parse(text));
    expect(e.field).toBe('windows[1].start');
    expect(e.message).toContain('must be sorted');
  });

  it('maxWindow suggests splitting or raising the guardrail', () => {
    const e = configError(() => parse(base, { window: { end: '2025-09-15T00:00:00Z' } }));
    expect(e.message).toBe(
      'window: covers 45d, more than guardrails.maxWindow 30d; split it into several jobs of at most 30d each, or raise guardrails.maxWindow',
    );
    expect(
      parse(base, { window: { end: '2025-09-15T00:00:00Z' }, guardrails: { maxWindow: '60d' } }).job,
    ).toBe('gap-2025-08-01');
  });

  it('align: fail rejects an unaligned window and proposes aligned times', () => {
    const e = configError(() =>
      parse(base, { window: { start: '2025-08-01T00:00:00.1Z' }, guardrails: { align: 'fail' } }),
    );
    expect(e.field).toBe('window.start');
    expect(e.message).toContain('use 2025-08-01T00:00:00Z or 2025-08-01T00:00:00.25Z');
  });

  it('end must be at most now − safetyLag', () => {
    const justInside = parse(base, {
      window: { end: '2025-12-31T23:55:00Z' },
      guardrails: { safetyLag: '5m', maxWindow: '1000d' },
    });
    expect(justInside.windows[0]!.endNs).toBe(NOW - 300_000_000_000n);
    const e = configError(() =>
      parse(base, {
        window: { end: '2025-12-31T23:55:00.25Z' },
        guardrails: { safetyLag: '5m', maxWindow: '1000d' },
      }),
    );
    expect(e.field).toBe('window.end');
    expect(e.message).toContain('guardrails.safetyLag 5m');
    expect(e.message).toContain('move window.end back to 2025-12-31T23:55:00Z');
  });

  it('state takes exactly one of url / file', () => {
    expect(parse(`${base}state: { url: 'postgres://127.0.0.1/s' }\n`).state).toEqual({
      url: 'postgres://127.0.0.1/s',
    });
    const e = configError(() => parse(`${base}state: { url: 'postgres://127.0.0.1/s', file: ./s.json }\n`));
    expect(e.message).toMatch(
      /cannot be set together with state\.(url|file); keep exactly one of url \| file/,
    );
  });

  it('$${ is a literal ${ and never expands', () => {
    const c = (parse(base, undefined, { ...ENV, HOME: '/root' }).source as PostgresSourceConfig).url;
    expect(c).toBe(ENV.DATABASE_URL);
    const lit = parse(`${base}state: { file: '/tmp/$\${HOME}.json' }\n`, undefined, {
      ...ENV,
      HOME: '/root',
    });
    expect(lit.state).toEqual({ file: '/tmp/\u0024{HOME}.json' });
  });

  it('YAML syntax errors carry line and column', () => {
    const e = configError(() => parse('job: x\nwindow: { start: 1\n  end: [\n'));
    expect(e.field).toMatch(/^job\.yaml:\d+:\d+$/);
    expect(e.message).toContain('YAML syntax error');
    expect(configError(() => parse('job: a\njob: b\n')).message).toMatch(
      /job\.yaml:2:\d+: YAML syntax error/,
    );
    expect(configError(() => parse('- a\n- b\n')).message).toContain('expected a mapping');
    expect(configError(() => parse('job: a\nb: *missing\n')).field).toBe('job.yaml');
    const flow = configError(() => parse('job: x\nstate: { url: \u0024{DATABASE_URL} }\n'));
    expect(flow.message).toContain("quote it: url: '\u0024{DATABASE_URL}'");
  });
});

describe('loadJobConfig and the shipped examples', () => {
  const dir = mkdtemp(join(tmpdir(), 'cr-config-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));

  it('loads config/kafka-job.yaml: a Kafka job runs its partitions together on the main thread', async () => {
    const k = await loadJobConfig('config/kafka-job.yaml', undefined, ENV, { nowNs: NOW });
    expect(k.source.type).toBe('kafka');
    expect(k.workers).toBe(0);
    expect(k.flow.parallelPartitions).toBe(16);
    // Fewer partitions at once than the job has would split the shared scan: raised, with a warning.
    const low = await loadJobConfig(
      'config/kafka-job.yaml',
      { flow: { parallelPartitions: 4 }, workers: 2 },
      ENV,
      {
        nowNs: NOW,
      },
    );
    expect(low.flow.parallelPartitions).toBe(16);
    expect(low.workers).toBe(0);
    expect(low.warnings).toContain(
      'flow.parallelPartitions raised from 4 to 16: a Kafka source reads every partition of the job together',
    );
    expect(low.warnings).toContain('workers: 2 ignored: a Kafka source reads on the main thread (workers 0)');
    if (k.source.type !== 'kafka') throw new Error('unreachable');
    expect(k.source.maxDisorderNs).toBe(5_000_000_000n);
    expect(k.source.joinTimeoutMs).toBe(15_000);
    expect(k.source.mapping.schemaKey).toEqual({ from: 'constant', value: 'proto:1.0:orders' });
    expect(k.guardrails.onDisorder).toBe('dead-letter');
  });

  it('a Kafka mapping the source cannot use names the field', () => {
    const kafka = (mapping: string) =>
      parse(
        base.replace(
          /source:.*\n/,
          `source: { type: kafka, brokers: [k:9092], topics: [t], mapping: ${mapping} }\n`,
        ),
      );
    const e = configError(() =>
      kafka(
        '{ schemaKey: { from: constant, value: x }, eventTime: { from: payload, path: "ts[", unit: ms } }',
      ),
    );
    expect(e.message).toContain(
      'source.mapping.eventTime.path: use a JSON path like $.ts or $.a.b (got ts[)',
    );
    const secret = configError(() =>
      parse(
        base.replace(
          /source:.*\n/,
          'source: { type: kafka, brokers: [k:9092], topics: [t], sasl: { mechanism: plain, username: u, password: 424242 }, mapping: { schemaKey: { from: header, name: s } } }\n',
        ),
      ),
    );
    expect(secret.message).toContain('source.sasl.password: expected string');
    expect(secret.message).not.toContain('424242');
    const b = configError(() => kafka('{ schemaKey: { from: header } }'));
    expect(b.message).toContain('source.mapping.schemaKey.name: is required');
  });

  it('loads config/example-job.yaml (every key) and config/demo-job.yaml', async () => {
    const example = await loadJobConfig('config/example-job.yaml', undefined, ENV, { nowNs: NOW });
    expect(example.state).toEqual({ url: ENV.DATABASE_URL });
    expect(example.guardrails.safetyLagNs).toBe(300_000_000_000n);
    const demo = await loadJobConfig('config/demo-job.yaml', undefined, ENV, { nowNs: NOW });
    expect(demo.job).toBe('demo');
    expect((demo.source as PostgresSourceConfig).table).toBe('events');
    expect(demo.target.url).toBe('http://127.0.0.1:7070');
    expect(demo.windows[0]!.endNs - demo.windows[0]!.startNs).toBe(3_600_000_000_000n);
  });

  it('reads a file from disk and reports a missing one as a ConfigError', async () => {
    const path = join(await dir, 'job.yaml');
    await writeFile(path, base);
    expect((await loadJobConfig(path, { flow: { batchSize: 7 } }, ENV, { nowNs: NOW })).flow.batchSize).toBe(
      7,
    );
    await expect(loadJobConfig(join(await dir, 'nope.yaml'), undefined, ENV)).rejects.toThrow(
      /file not found/,
    );
  });
});
