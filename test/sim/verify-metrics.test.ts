import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileJsonPath, extractPath, type MetricDef } from '../../src/monoid/index.js';
import { simOptionsFromFlags } from '../../src/sim/flags.js';
import { Projector, parseVerifyMetrics } from '../../src/sim/verify-metrics.js';

const KEYS = ['a', 'b', '0', '__proto__', 'x y'];
const seg = fc.oneof(
  fc.constantFrom(...KEYS).map((k) => (/^[A-Za-z_$][\w$-]*$/.test(k) ? `.${k}` : `['${k}']`)),
  fc.integer({ min: 0, max: 2 }).map((i) => `[${i}]`),
);
const pathArb = fc.array(seg, { maxLength: 3 }).map((s) => `$${s.join('')}`);
/** JSON values whose keys come from KEYS, so paths hit them often. */
const jsonArb = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, 0, -1.5, 'str'),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('v'), { maxKeys: 4 }),
  ),
})).v;

describe('Projector', () => {
  it('every configured path reads the same value from the projection as from the payload', () => {
    fc.assert(
      fc.property(jsonArb, fc.array(pathArb, { minLength: 1, maxLength: 4 }), (raw, paths) => {
        // round-trip through JSON text like a real payload (own "__proto__" keys included)
        const payload = JSON.parse(JSON.stringify(raw));
        const metrics: MetricDef[] = paths.map((field, i) => ({ name: `m${i}`, kind: 'count', field }));
        const proj = new Projector(metrics).project(payload);
        for (const p of paths) {
          const c = compileJsonPath(p);
          expect(JSON.stringify(extractPath(proj, c)) ?? 'undef', p).toBe(
            JSON.stringify(extractPath(payload, c)) ?? 'undef',
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps only what the paths read, and decodes base64 JSON (undefined when not JSON)', () => {
    const p = new Projector([
      { name: 'a', kind: 'sum', field: '$.a' },
      { name: 'b', kind: 'count', field: '$.n.list[1]' },
    ]);
    const payload = { a: 3, big: 'x'.repeat(100), n: { list: [1, 2, 3], other: 1 } };
    expect(JSON.stringify(p.project(payload))).toBe('{"a":3,"n":{"list":[null,2]}}');
    const b64 = Buffer.from(JSON.stringify(payload)).toString('base64');
    expect(extractPath(p.fromBase64(b64), compileJsonPath('$.n.list[1]'))).toBe(2);
    expect(p.fromBase64(Buffer.from('nope').toString('base64'))).toBeUndefined();
    expect(p.fromBase64(Buffer.alloc(30, 7).toString('base64'))).toBeUndefined(); // binary
    expect(p.fromBase64(Buffer.from(' \n 12').toString('base64'))).toBe(12); // primitives kept as is
    expect(p.fromBase64(Buffer.from('null').toString('base64'))).toBeNull();
  });
});

describe('verify metric validation', () => {
  it('names the bad entry and key', () => {
    expect(() => parseVerifyMetrics([{ name: 'x', kind: 'sum', field: '$.a', q: 0.5 }], 'vm')).toThrow(
      /^vm\[0\]\.q: only for kind quantile/,
    );
    expect(parseVerifyMetrics([{ name: 'x', kind: 'quantile', field: '$.a', q: 0.5 }], 'vm')).toHaveLength(1);
  });

  it('--verify-metrics takes JSON; a bad entry names the flag', () => {
    const o = simOptionsFromFlags({ verifyMetrics: '[{"name":"s","kind":"sum","field":"$.v"}]' });
    expect(o.verifyMetrics).toEqual([{ name: 's', kind: 'sum', field: '$.v' }]);
    expect(() => simOptionsFromFlags({ verifyMetrics: '[{' })).toThrow(
      /^--verify-metrics: must be a JSON list/,
    );
    expect(() => simOptionsFromFlags({ verifyMetrics: '[{"name":"s","kind":"sum"}]' })).toThrow(
      /^--verify-metrics\[0\]\.field: kind sum needs a field path/,
    );
    expect(() => simOptionsFromFlags({ faultDropApplyPattern: '(' })).toThrow(
      /^--fault-drop-apply-pattern: invalid regex/,
    );
  });
});
