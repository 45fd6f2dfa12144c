import type { Json, Monoid } from '../types.js';
import { badState } from './common.js';

/**
 * Exact distinct count (CEPtra code's mode): the set of keys. Union is associative, commutative
 * and idempotent; serialized as the sorted key list. Memory: one entry per distinct key.
 */
export function exactDistinctMonoid(): Monoid<Set<string>, string, number> {
  const serialize = (s: Set<string>): Json => Array.from(s).sort();
  return {
    kind: 'distinct',
    identity: () => new Set(),
    add: (s, x) => s.add(x),
    merge: (a, b) => {
      for (const x of b) a.add(x);
      return a;
    },
    result: (s) => s.size,
    serialize,
    deserialize: (v: Json) => {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw badState('distinct', v);
      return new Set(v as string[]);
    },
    equals: (a, b) => JSON.stringify(serialize(a)) === JSON.stringify(serialize(b)),
  };
}
