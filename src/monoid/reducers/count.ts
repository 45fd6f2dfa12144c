import type { Json, Monoid } from '../types.js';
import { badState } from './common.js';

/** Number of inputs. Exact up to 2^53 (≈ 9·10^15 events per pane). */
export function countMonoid(): Monoid<number, unknown, number> {
  return {
    kind: 'count',
    identity: () => 0,
    add: (s) => s + 1,
    merge: (a, b) => a + b,
    result: (s) => s,
    serialize: (s) => s,
    deserialize: (v: Json) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badState('count', v);
      return v;
    },
    equals: (a, b) => a === b,
  };
}
