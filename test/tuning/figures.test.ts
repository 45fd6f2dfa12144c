import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { topSelfTime } from '../../bench/tuning/profile.js';
import { parseApplyLag } from '../../bench/tuning/prom.js';
import { jobYaml } from '../../bench/tuning/replay.js';
import {
  firstAtLeast,
  firstBackBelow,
  peak,
  percentile,
  settleBelow,
  shareAbove,
  windowRate,
} from '../../bench/tuning/stats.js';
import { downsample, lineChart, niceTicks } from '../../bench/tuning/svg.js';

describe('stats', () => {
  it('percentile is nearest-rank over all samples', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 0.5)).toBe(50);
    expect(percentile(v, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('windowRate differentiates a cumulative counter over a trailing window', () => {
    const c = Array.from({ length: 11 }, (_, i) => [i * 250, i * 250] as const); // 1000 per s
    const r = windowRate(c, 1000);
    expect(r).toHaveLength(10);
    for (const [, v] of r) expect(v).toBeCloseTo(1000);
    expect(r.at(-1)![0]).toBe(2500);
  });

  it('settleBelow finds when a series is under the limit for good', () => {
    const s = [
      [0, 100],
      [100, 300],
      [200, 150],
      [300, 250],
      [400, 120],
      [500, 110],
    ] as const;
    expect(settleBelow(s, 0, 600, 200)).toBe(400);
    expect(settleBelow(s, 350, 600, 200)).toBe(0);
    expect(settleBelow(s, 0, 350, 200)).toBeNull();
    // First back under after the first excursion (100 → 200), not after the last one.
    expect(firstBackBelow(s, 0, 600, 200)).toBe(200);
    expect(firstBackBelow(s, 400, 600, 200)).toBe(0);
    expect(firstBackBelow(s, 250, 350, 200)).toBeNull();
    expect(shareAbove(s, 0, 600, 200)).toBeCloseTo(2 / 6, 12);
    expect(peak(s, 0, 600)).toBe(300);
    expect(firstAtLeast(s, 150, 600, 250)).toBe(150);
    expect(firstAtLeast(s, 0, 600, 1000)).toBeNull();
  });
});

describe('prom', () => {
  it('reads ceptra_apply_lag_ms per partition and skips other series', () => {
    const text = [
      '# HELP ceptra_apply_lag_ms lag',
      'ceptra_apply_lag_ms{partition_id="0"} 12',
      'ceptra_apply_lag_ms{partition_id="15",node="a"} 250.5',
      'ceptra_apply_lag_ms_total{partition_id="3"} 9',
      'apply_lag_ms{partition_id="2"} 99',
      'ceptra_apply_lag_ms{partition_id="4"} NaN',
    ].join('\n');
    expect([...parseApplyLag(text)]).toEqual([
      [0, 12],
      [15, 250.5],
    ]);
  });
});

describe('svg', () => {
  it('draws labelled axes, one polyline per series, markers and a reference line', () => {
    const svg = lineChart({
      title: 'T <1>',
      xLabel: 'seconds',
      yLabel: 'events/s',
      series: [
        {
          name: 'a',
          points: [
            [0, 1],
            [1, 2],
            [2, 3],
          ],
        },
        {
          name: 'b',
          points: [
            [0, 3],
            [2, 1],
          ],
        },
      ],
      markers: [{ x: 1, label: 'C/2' }],
      hline: { y: 2, label: 'target' },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('T &lt;1&gt;');
    expect(svg).toContain('>seconds<');
    expect(svg).toContain('>events/s<');
    expect(svg).toContain('>C/2<');
    expect(svg).toContain('>target<');
    expect(svg).not.toContain('NaN');
  });

  it('downsamples to the limit keeping the ends, and ticks are round', () => {
    const d = downsample(
      Array.from({ length: 1000 }, (_, i) => i),
      10,
    );
    expect(d).toHaveLength(10);
    expect(d[0]).toBe(0);
    expect(d.at(-1)).toBe(999);
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
  });
});

describe('profile and job', () => {
  it('sums self time per function across profiles, idle excluded', () => {
    const node = (id: number, functionName: string, hitCount: number) => ({
      id,
      callFrame: { functionName, url: 'file:///x/a.ts', lineNumber: id },
      hitCount,
    });
    const p = {
      startTime: 0,
      endTime: 15_000, // 15 hits: 1 ms per hit
      nodes: [node(1, 'encode', 6), node(2, '(idle)', 2), node(3, '', 2), node(4, 'atomicsWaitLoop', 5)],
    };
    const { top, totalMs } = topSelfTime([p, p], 5);
    expect(top[0]!.fn).toBe('encode a.ts:2');
    expect(top[0]!.ms).toBeCloseTo(12);
    expect(top[1]!.fn).toBe('(anonymous) a.ts:4');
    expect(totalMs).toBeCloseTo(16);
  });

  it('writes a job the config loader shape expects', () => {
    const y = parse(
      jobYaml({
        name: 'j',
        dbUrl: 'postgres://u@127.0.0.1/db',
        table: 'events_1000',
        targetUrl: 'http://127.0.0.1:1',
        partitions: 16,
        windowMin: 30,
        workers: 2,
        flow: 'mode: static, batchSize: 250, maxInFlight: 1',
      }),
    ) as Record<string, Record<string, unknown>>;
    expect(y.window!.end).toBe('2025-08-01T00:30:00.000Z');
    expect(y.flow).toEqual({ mode: 'static', batchSize: 250, maxInFlight: 1 });
    expect(y.workers).toBe(2);
    expect(y.source!.table).toBe('events_1000');
  });
});
