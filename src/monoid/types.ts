/** A JSON-safe value: what `serialize` returns and snapshots hold (no NaN, ±Infinity, -0 or bigint). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * An aggregate as CEPtra's Invariant A* demands (contract §7): an identity and an associative,
 * deterministic merge, so compaction and re-folding give bit-identical results.
 *
 * Ownership: `add(s, x)` and `merge(a, b)` MAY mutate their first argument and return it (this
 * keeps the per-event path allocation-free); they never mutate the second. Treat the first
 * argument as consumed and use the return value. `identity()` always returns a fresh state.
 *
 * `merge(a, b)` means "a's inputs, then b's inputs". Every reducer here is split-invariant (the
 * merge of folds of any in-order partition serializes identically to the fold of the whole)
 * except KLL, which is deterministic for a fixed split only (see `reducers/kll.ts`).
 */
export interface Monoid<State, Input, Result> {
  readonly kind: string;
  identity(): State;
  add(s: State, x: Input): State;
  merge(a: State, b: State): State;
  result(s: State): Result;
  /** Canonical JSON-safe form: equal states (in the monoid sense) serialize identically. */
  serialize(s: State): Json;
  deserialize(v: Json): State;
  /** Bit-exact equality of the serialized forms. */
  equals(a: State, b: State): boolean;
}

/** Any reducer, with its types erased (what the pane folder and the registry hand around). */
// biome-ignore lint/suspicious/noExplicitAny: erased generic, narrowed per reducer at its construction site
export type AnyMonoid = Monoid<any, any, unknown>;

/** A half-open time window [startNs, endNs) in UTC nanoseconds. */
export interface TimeWindow {
  startNs: bigint;
  endNs: bigint;
}
