import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FetchText, LagPoller, parsePromText } from '../../../src/engine/flow/index.js';
import { captureLogger } from './helpers.js';

/** A loopback server whose routes each test sets: path → [status, body]. */
let routes: Record<string, [number, string]> = {};
let server: Server;
let base = '';
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const r = routes[req.url ?? ''];
    res.writeHead(r ? r[0] : 404, { 'content-type': 'text/plain' });
    res.end(r ? r[1] : 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const fetchText: FetchText = async (path) => {
  const res = await fetch(base + path);
  return { status: res.status, body: await res.text() };
};

async function pollWith(r: Record<string, [number, string]>) {
  routes = r;
  return new LagPoller({ fetchText }).poll();
}

const lagOf = (s: { partitions: Map<number, unknown> }) => Object.fromEntries(s.partitions);

describe('LagPoller: /metrics forms', () => {
  it('reads ceptra_apply_lag_ms{partition_id} and ceptra_replication_lag_ms', async () => {
    const s = await pollWith({
      '/metrics': [
        200,
        [
          '# HELP ceptra_apply_lag_ms Age of the oldest committed-but-unapplied event (ms)',
          '# TYPE ceptra_apply_lag_ms gauge',
          'ceptra_apply_lag_ms{partition_id="0"} 12',
          'ceptra_apply_lag_ms{partition_id="3"} 120.5',
          'ceptra_replication_lag_ms{partition_id="3"} 300',
          'ceptra_queue_depth{partition_id="3"} 77',
        ].join('\n'),
      ],
    });
    expect(s.signal).toBe('metrics');
    expect(lagOf(s)).toEqual({
      0: { applyLagMs: 12, exact: true },
      3: { applyLagMs: 120.5, replicationLagMs: 300, exact: true },
    });
  });

  it('reads unprefixed apply_lag_ms with label part_id', async () => {
    const s = await pollWith({ '/metrics': [200, 'apply_lag_ms{part_id="7"} 42\n'] });
    expect(lagOf(s)).toEqual({ 7: { applyLagMs: 42, exact: true } });
  });

  it('reads the deprecated _seconds aliases (value × 1000), prefixed and not', async () => {
    const s = await pollWith({
      '/metrics': [
        200,
        'ceptra_apply_lag_seconds{partition_id="2"} 0.25\napply_lag_seconds{part_id="4"} 1.5\nreplication_lag_seconds{part_id="4"} 0.1\n',
      ],
    });
    expect(lagOf(s)).toEqual({
      2: { applyLagMs: 250, exact: true },
      4: { applyLagMs: 1500, replicationLagMs: 100, exact: true },
    });
  });

  it('prefers _ms over _seconds and the prefixed name over the bare one', async () => {
    const s = await pollWith({
      '/metrics': [
        200,
        'apply_lag_seconds{partition_id="1"} 9\napply_lag_ms{partition_id="1"} 80\nceptra_apply_lag_ms{partition_id="1"} 70\n',
      ],
    });
    expect(lagOf(s)).toEqual({ 1: { applyLagMs: 70, exact: true } });
  });

  it('tolerates comments, escaped quotes, NaN, +Inf, timestamps and junk lines', async () => {
    const s = await pollWith({
      '/metrics': [
        200,
        [
          '# a comment with "quotes"',
          'garbage line without value',
          'ceptra_apply_lag_ms{node="a \\"quoted\\" \\\\ name",partition_id="5"} 33 1700000000000',
          'ceptra_apply_lag_ms{partition_id="6"} NaN',
          'ceptra_apply_lag_ms{partition_id="8"} +Inf',
          'ceptra_apply_lag_ms{partition_id="9",} -3',
          '# EOF',
        ].join('\n'),
      ],
    });
    expect(lagOf(s)).toEqual({
      5: { applyLagMs: 33, exact: true },
      8: { applyLagMs: Number.POSITIVE_INFINITY, exact: true },
      9: { applyLagMs: 0, exact: true },
    });
  });
});

describe('LagPoller: /readyz fallback', () => {
  it('uses the object form partitions["<id>"].metrics when /metrics is 404 (200 and 503 alike)', async () => {
    const body = JSON.stringify({
      ready: false,
      reasons: ['apply_lag'],
      partitions: {
        '0': { ready: true, reasons: [], metrics: { apply_lag_ms: 15, replication_lag_ms: '20' } },
        '1': { ready: false, reasons: ['apply_lag'], metrics: { apply_lag_ms: '450' } },
      },
    });
    for (const status of [200, 503]) {
      const s = await pollWith({ '/readyz': [status, body] });
      expect(s.signal).toBe('readyz');
      expect(lagOf(s)).toEqual({
        0: { applyLagMs: 15, replicationLagMs: 20, exact: true },
        1: { applyLagMs: 450, exact: true },
      });
    }
  });

  it('uses /readyz when /metrics answers but has no lag series', async () => {
    const s = await pollWith({
      '/metrics': [200, 'process_cpu_seconds_total 3\n'],
      '/readyz': [
        200,
        JSON.stringify({ ready: true, partitions: { '2': { metrics: { apply_lag_seconds: 0.05 } } } }),
      ],
    });
    expect(s.signal).toBe('readyz');
    expect(lagOf(s)).toEqual({ 2: { applyLagMs: 50, exact: true } });
  });

  it('reads the array form: reasons as a boolean over-200-ms signal', async () => {
    const s = await pollWith({
      '/readyz': [
        503,
        JSON.stringify({
          ready: false,
          reasons: ['apply_lag'],
          partitions: [
            { partition_id: 0, ready: true, reasons: [] },
            { partition_id: '1', ready: false, reasons: ['apply_lag', 'replication_lag'] },
            { partition_id: 2, ready: false, reasons: ['warmup'] },
          ],
        }),
      ],
    });
    expect(lagOf(s)).toEqual({
      0: { applyLagMs: 0, replicationLagMs: 0, exact: false },
      1: { applyLagMs: 201, replicationLagMs: 251, exact: false },
      2: { applyLagMs: 0, replicationLagMs: 0, exact: false },
    });
  });

  it('reads metrics inside array entries when present (the emulator emits them)', async () => {
    const s = await pollWith({
      '/readyz': [
        200,
        JSON.stringify({ partitions: [{ partition_id: 4, reasons: [], metrics: { apply_lag_ms: 9 } }] }),
      ],
    });
    expect(lagOf(s)).toEqual({ 4: { applyLagMs: 9, exact: true } });
  });
});

describe('LagPoller: no signal', () => {
  it('reports signal none and warns once, naming what it tried', async () => {
    routes = { '/readyz': [200, 'not json'] };
    const { logger, lines } = captureLogger();
    const poller = new LagPoller({ fetchText, logger, metricsReprobeEvery: 2 });
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s = await poller.poll();
      expect(s.signal).toBe('none');
      expect(s.partitions.size).toBe(0);
      ids.push(s.id);
    }
    expect(ids).toEqual([1, 2, 3, 4]);
    const warns = lines.filter((l) => l.level === 40);
    expect(warns).toHaveLength(1);
    expect(warns[0]!.tried).toEqual([
      { path: '/metrics', result: 'HTTP 404' },
      { path: '/readyz', result: 'no lag series' },
    ]);
  });

  it('reports a transport failure as no signal instead of throwing', async () => {
    const { logger, lines } = captureLogger();
    const failing: FetchText = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:1');
    };
    const s = await new LagPoller({ fetchText: failing, logger }).poll();
    expect(s.signal).toBe('none');
    expect(String((lines[0]!.tried as { result: string }[])[0]!.result)).toContain('ECONNREFUSED');
  });

  it('skips a /metrics without lag series for a while, then probes it again', async () => {
    routes = { '/readyz': [200, JSON.stringify({ partitions: { '0': { metrics: { apply_lag_ms: 1 } } } })] };
    requests.length = 0;
    const poller = new LagPoller({ fetchText, metricsReprobeEvery: 3 });
    for (let i = 0; i < 6; i++) await poller.poll();
    expect(requests.filter((r) => r === '/metrics')).toHaveLength(2);
    expect(requests.filter((r) => r === '/readyz')).toHaveLength(6);
  });
});

describe('LagPoller: loop', () => {
  it('polls every interval until stopped, with strictly increasing sample ids', async () => {
    routes = { '/metrics': [200, 'ceptra_apply_lag_ms{partition_id="0"} 5\n'] };
    const seen: number[] = [];
    let resolveThree: () => void = () => {};
    const three = new Promise<void>((r) => {
      resolveThree = r;
    });
    let fetched = 0;
    const poller = new LagPoller({
      fetchText: async (path) => {
        if (path === '/metrics') fetched++;
        return fetchText(path);
      },
      intervalMs: 10,
      onSample: (s) => {
        seen.push(s.id);
        if (seen.length === 3) resolveThree();
      },
    });
    poller.start();
    await three;
    await poller.stop();
    // stop() resolves once the loop has exited: whatever was still due must not arrive later.
    const after = seen.length;
    await new Promise((r) => setImmediate(r));
    expect(seen.length).toBe(after);
    expect(fetched).toBe(after); // every poll made produced its sample; none was left in flight
    expect(seen.slice(0, 3)).toEqual([1, 2, 3]);
    expect(poller.last?.partitions.get(0)?.applyLagMs).toBe(5);
  });
});

describe('parsePromText', () => {
  it('parses labels, escapes, special values and timestamps', () => {
    const out = parsePromText(
      'm{a="x\\ny",b="q\\"r"} 1.5e3 123\nm2 -Inf\nm3{} +Inf\n  # c\nm4{a="unterminated} 1\n',
    );
    expect(out).toEqual([
      { name: 'm', labels: { a: 'x\ny', b: 'q"r' }, value: 1500, timestampMs: 123 },
      { name: 'm2', labels: {}, value: Number.NEGATIVE_INFINITY },
      { name: 'm3', labels: {}, value: Number.POSITIVE_INFINITY },
    ]);
  });
});
