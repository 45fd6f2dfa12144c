import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/common/errors.js';
import {
  defaultFlowControllerOptions,
  resolveFlowControllerOptions,
} from '../../../src/engine/flow/index.js';

function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveFlowControllerOptions', () => {
  it('a config with only targetApplyLagMs just works', () => {
    const o = resolveFlowControllerOptions({ targetApplyLagMs: 200 });
    expect(o).toEqual({ ...defaultFlowControllerOptions, targetApplyLagMs: 200 });
    expect(Object.isFrozen(o)).toBe(true);
    expect(o.startBatch).toBeGreaterThanOrEqual(o.minBatch);
    expect(o.startBatch).toBeLessThanOrEqual(o.maxBatch);
    expect(o.startInFlight).toBeLessThanOrEqual(o.maxInFlight);
  });

  it('clamps start values the caller did not set into the caller range', () => {
    expect(resolveFlowControllerOptions({ maxBatch: 200 })).toMatchObject({ startBatch: 200, minBatch: 50 });
    expect(resolveFlowControllerOptions({ minBatch: 1000 })).toMatchObject({ startBatch: 1000 });
    expect(resolveFlowControllerOptions({ maxBatch: 20 })).toMatchObject({ minBatch: 20, startBatch: 20 });
    expect(resolveFlowControllerOptions({ maxInFlight: 1 })).toMatchObject({ startInFlight: 1 });
  });

  it('ignores undefined fields (a partially filled config object)', () => {
    expect(resolveFlowControllerOptions({ maxRate: undefined })).toEqual(defaultFlowControllerOptions);
  });

  it.each([
    [{ targetApplyLagMs: 0 }, 'flow.targetApplyLagMs', 'in [1, 600000]'],
    [{ minBatch: 2.5 }, 'flow.minBatch', 'an integer'],
    [{ decreaseFactor: 1 }, 'flow.decreaseFactor', 'in [0.05, 0.95]'],
    [{ mode: 'auto' as never }, 'flow.mode', "'adaptive' or 'static'"],
    [{ minBatch: 500, maxBatch: 100 }, 'flow.minBatch', 'raise maxBatch'],
    [{ startBatch: 10 }, 'flow.startBatch', 'within [flow.minBatch, flow.maxBatch]'],
    [{ startInFlight: 9, maxInFlight: 8 }, 'flow.startInFlight', 'raise maxInFlight'],
    [{ maxRate: Number.NaN }, 'flow.maxRate', 'got null'],
  ])('rejects %j naming %s and the fix', (input, field, fix) => {
    const e = errorOf(() => resolveFlowControllerOptions(input));
    expect(e.field).toBe(field);
    expect(e.message).toContain(fix);
    expect(e.exitCode).toBe(2);
  });
});
