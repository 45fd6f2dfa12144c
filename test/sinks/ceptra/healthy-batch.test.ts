/**
 * The all-Healthy fast path of batch response decoding agrees with the full parse on every body
 * it accepts, and declines every body it cannot read exactly (property test).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { healthyBatch, parseBatchResponse } from '../../../src/sinks/ceptra/decode.js';

const status = fc.constantFrom('Healthy', 'HEALTHY', 'TransientBackpressure', 'PermanentDurability');
const hint = fc.option(
  fc.record({ client_window_size: fc.integer({ min: 0, max: 100_000 }), retry_backoff_ms: fc.nat(2000) }),
);
const id = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('status', '"status":', 'TransientBackpressure', 'credit_hint', '{', '}'),
);
const result = fc.record({
  event_id: id,
  status,
  credit_hint: fc.constantFrom('Recover', 'Hold', 'Shed', 'recover'),
  cep_credit_hint: hint,
  cep_status_reason: fc.constantFrom('3', null, 'TRANSIENT_RETRY'),
  term: fc.constantFrom('1', null),
  index: fc.constantFrom('9', null),
  duplicate: fc.option(fc.boolean(), { nil: undefined }),
});

/** What the client ends up with after the full parse: counts and the echo state. */
function slow(body: string, ids: string[]) {
  const results = parseBatchResponse(body, ids);
  let cep = null as { client_window_size: number; retry_backoff_ms: number } | null;
  for (const r of results) if (r.cepCreditHint !== null) cep = r.cepCreditHint;
  const last = results.at(-1)!;
  return {
    allHealthy: results.every((r) => r.status === 'Healthy'),
    duplicates: results.filter((r) => r.duplicate).length,
    creditHint: last.creditHint,
    lastCep: last.cepCreditHint,
    windowCep: cep,
  };
}

describe('healthyBatch (fast path of /append/batch answers)', () => {
  it('agrees with the full parse whenever it answers; declines anything not all Healthy', () => {
    fc.assert(
      fc.property(fc.array(result, { minLength: 1, maxLength: 20 }), fc.boolean(), (rs, spaced) => {
        const body = spaced
          ? JSON.stringify({ results: rs, extra_field: 1 }, null, 1)
          : JSON.stringify({ results: rs });
        const ids = rs.map((r) => r.event_id);
        const s = slow(body, ids);
        const f = healthyBatch(body, rs.length);
        if (!s.allHealthy) {
          expect(f).toBeNull();
          return;
        }
        if (f === null) return; // declined: the caller parses in full (always allowed)
        expect(f.duplicates).toBe(s.duplicates);
        expect(f.creditHint).toBe(s.creditHint);
        expect(f.cepCreditHint).toEqual(s.lastCep);
        // The window the client keeps: the last advertised object (fast path declines otherwise).
        expect(f.cepCreditHint ?? s.windowCep).toEqual(s.windowCep);
      }),
      { numRuns: 500 },
    );
  });

  it('reads the emulator’s answer shape without declining', () => {
    const one = (i: number, dup: boolean) =>
      `{"event_id":"e-${i}","status":"Healthy","credit_hint":"Hold","cep_credit_hint":{"client_window_size":${1000 - i},"retry_backoff_ms":5},"cep_status_reason":"2","term":"1","index":${dup ? 'null,"duplicate":true' : `"${i}"`}}`;
    const body = `{"results":[${Array.from({ length: 300 }, (_, i) => one(i, i % 7 === 0)).join(',')}]}`;
    expect(healthyBatch(body, 300)).toEqual({
      duplicates: 43,
      creditHint: 'Hold',
      cepCreditHint: { client_window_size: 701, retry_backoff_ms: 5 },
    });
    expect(healthyBatch(body, 299)).toBeNull(); // a count that does not match the request
  });
});
