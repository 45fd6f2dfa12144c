/** The helpers both adapters share, without storage: both stores agree because these agree. */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { DeadLetterRecord } from '../../../src/engine/cursor.js';
import {
  cursorMayMove,
  cursorRegression,
  deadLetterKey,
  holderGone,
  lockedError,
  statusFromRow,
  statusToRow,
  stringifyJson,
} from '../../../src/stores/shared/index.js';

const letter: DeadLetterRecord = {
  job: 'j',
  partition: 1,
  eventId: 'e1',
  tsNs: 5n,
  reason: 'PERMANENT_SCHEMA',
  key: Buffer.from('k'),
  payload: Buffer.from([0, 1]),
  raw: { b: '2', a: null },
};

describe('deadLetterKey', () => {
  it('ignores the job and key order of the raw row, and tells every other field apart', () => {
    expect(deadLetterKey({ ...letter, job: 'other', raw: { a: null, b: '2' } })).toBe(deadLetterKey(letter));
    const variants: Partial<DeadLetterRecord>[] = [
      { partition: 2 },
      { eventId: null },
      { tsNs: null },
      { reason: 'OTHER' },
      { schemaKey: 's' },
      { key: Buffer.from('kk') },
      { payload: Buffer.from([0, 2]) },
      { raw: { a: '1', b: '2' } },
      // Bytes moved across the key/payload boundary are a different record.
      { key: Buffer.from('k\0'), payload: Buffer.from([1]) },
    ];
    const keys = new Set([deadLetterKey(letter), ...variants.map((v) => deadLetterKey({ ...letter, ...v }))]);
    expect(keys.size).toBe(variants.length + 1);
  });
});

describe('cursor fence', () => {
  it('lets a cursor stay or move forward in its epoch, or move to a later epoch; never back', () => {
    const at = { epoch: 2, seq: 10n };
    expect(cursorMayMove(at, { epoch: 2, seq: 10n })).toBe(true);
    expect(cursorMayMove(at, { epoch: 2, seq: 11n })).toBe(true);
    expect(cursorMayMove(at, { epoch: 3, seq: 1n })).toBe(true);
    expect(cursorMayMove(at, { epoch: 2, seq: 9n })).toBe(false);
    expect(cursorMayMove(at, { epoch: 1, seq: 99n })).toBe(false);
  });

  it('names the job and every refused partition', () => {
    const c = { tsNs: 1n, eventId: 'e', acked: 1n, done: false };
    const e = cursorRegression('j', [
      { ...c, partition: 0, epoch: 1, seq: 4n },
      { ...c, partition: 3, epoch: 2, seq: 7n },
    ]);
    expect(e.code).toBe('CURSOR_REGRESSION');
    expect(e.message).toContain('job "j"');
    expect(e.message).toContain('0 (epoch 1, seq 4), 3 (epoch 2, seq 7)');
    expect(e.details).toEqual({ partitions: [0, 3] });
  });
});

describe('run-lock holders', () => {
  it('the message names job, pid, host, since, heartbeat and backend', () => {
    const e = lockedError(
      {
        job: 'j',
        host: 'h1',
        pid: 42,
        since: new Date('2025-08-01T00:00:00Z'),
        heartbeatAt: new Date(Date.now() - 5_000),
        backendPid: 77,
      },
      'job "j"',
      'Stop it first.',
    );
    expect(e.code).toBe('JOB_LOCKED');
    expect(e.message).toMatch(
      /^job "j" is held by job "j", pid 42 on host h1 since 2025-08-01T00:00:00.000Z, last heartbeat \d+ s ago, Postgres backend pid 77\. Stop it first\.$/,
    );
  });

  it('a holder on this host is gone when its pid is; this process and other hosts never are', () => {
    expect(holderGone({ host: hostname(), pid: process.pid })).toBe(false);
    expect(holderGone({ host: hostname(), pid: 2 ** 22 + 1 })).toBe(true); // above pid_max
    expect(holderGone({ host: `${hostname()}-elsewhere`, pid: 2 ** 22 + 1 })).toBe(false);
  });
});

describe('JSON and fold status rows', () => {
  it('writes bigint as decimal strings', () => {
    expect(stringifyJson({ a: 18_446_744_073_709_551_617n, b: [1n] })).toBe(
      '{"a":"18446744073709551617","b":["1"]}',
    );
  });

  it('round-trips a fold status through its row, with and without coverage', () => {
    const s = {
      partition: 3,
      complete: true,
      coveredTo: { tsNs: 18_446_744_073_709_551_617n, seq: 9_007_199_254_740_993n },
      paneNs: 250_000_000n,
      metrics: [],
    };
    expect(statusToRow(s)).toEqual({
      partition: 3,
      complete: true,
      covered_to_ts_ns: '18446744073709551617',
      covered_seq: '9007199254740993',
      pane_ns: '250000000',
      metrics: [],
    });
    expect(statusFromRow(statusToRow(s))).toEqual(s);
    const none = { ...s, complete: false, coveredTo: null };
    expect(statusFromRow(statusToRow(none))).toEqual(none);
  });
});
