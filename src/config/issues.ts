/**
 * zod issues → operator-facing problems: the field path, what was received, and the fix.
 * Unknown keys get a did-you-mean from the keys the schema allows at that place.
 */
import type { z } from 'zod';
import { didYouMean, type Problem, pathOf, show } from './problems.js';

type AnySchema = z.core.$ZodType;
interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  innerType?: AnySchema;
  options?: AnySchema[];
  element?: AnySchema;
  in?: AnySchema;
}
const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Keys allowed by the object schema(s) that `path` leads to (unions: every branch's keys). */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[]): string[] {
  let nodes: AnySchema[] = [schema];
  const unwrap = (s: AnySchema): AnySchema[] => {
    const d = defOf(s);
    if (d.innerType) return unwrap(d.innerType);
    if (d.type === 'pipe' && d.in) return unwrap(d.in);
    if (d.type === 'union' && d.options) return d.options.flatMap(unwrap);
    return [s];
  };
  for (const seg of path) {
    const next: AnySchema[] = [];
    for (const n of nodes.flatMap(unwrap)) {
      const d = defOf(n);
      if (d.type === 'object' && d.shape && typeof seg === 'string' && d.shape[seg]) next.push(d.shape[seg]);
      if (d.type === 'array' && d.element && typeof seg === 'number') next.push(d.element);
    }
    nodes = next;
  }
  const keys = new Set<string>();
  for (const n of nodes.flatMap(unwrap)) {
    const d = defOf(n);
    if (d.type === 'object' && d.shape) for (const k of Object.keys(d.shape)) keys.add(k);
  }
  return [...keys];
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v);

export function issueToProblems(issue: z.core.$ZodIssue, schema: AnySchema, input: unknown): Problem[] {
  const path = pathOf(issue.path);
  const raw = valueAt(input, issue.path);
  // A secret (source.sasl.password) is never echoed, even when it has the wrong type.
  const got = raw !== undefined && /password/i.test(path) ? '(hidden)' : raw;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(schema, issue.path);
      return issue.keys.map((key) => {
        const full = pathOf([...issue.path, key]);
        if (known.includes(key)) {
          // Known in another branch of a union (state: { url } | { file }): the keys exclude each other.
          const obj = got !== null && typeof got === 'object' ? (got as object) : {};
          const kind = (obj as { type?: unknown }).type;
          if (typeof kind === 'string') {
            // A discriminated union (source: postgres | kafka): the key belongs to another type.
            return {
              path: full,
              message: `is not used with ${pathOf(issue.path)}.type ${kind}; remove it`,
            };
          }
          const others = known.filter((k) => k !== key && k in obj);
          const also = others.length
            ? ` together with ${others.map((k) => `${pathOf(issue.path)}.${k}`).join(', ')}`
            : '';
          return { path: full, message: `cannot be set${also}; keep exactly one of ${known.join(' | ')}` };
        }
        const guess = didYouMean(key, known);
        const prefix = issue.path.length ? `${pathOf(issue.path)}.` : '';
        const fix = guess ? `did you mean ${prefix}${guess}?` : `allowed keys: ${known.join(', ')}`;
        return { path: full, message: `unknown key; ${fix}` };
      });
    }
    case 'invalid_type':
      if (got === undefined) return [{ path, message: `is required (expected ${issue.expected}); add it` }];
      return [
        {
          path,
          message: `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${typeName(got)} ${show(got)}`,
        },
      ];
    case 'invalid_value':
      return [
        {
          path,
          message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(' | ')} (got ${show(got)})`,
        },
      ];
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const word = issue.code === 'too_small' ? 'at least' : 'at most';
      const what =
        issue.origin === 'array'
          ? `${String(bound)} item(s)`
          : issue.origin === 'string'
            ? `${String(bound)} character(s)`
            : String(bound);
      const cmp = issue.code === 'too_small' && !issue.inclusive ? 'greater than' : word;
      return [{ path, message: `must be ${cmp} ${what} (got ${show(got)})` }];
    }
    case 'invalid_union': {
      const extra = issue as unknown as { note?: string; options?: unknown[] };
      if (extra.note === 'No matching discriminator') {
        const opts = extra.options ?? [];
        return [
          {
            path,
            message: `expected one of ${opts.map((o) => JSON.stringify(o)).join(' | ')} (got ${show(got)})`,
          },
        ];
      }
      // Report the branch that got furthest (fewest issues) rather than every branch.
      const best = [...issue.errors].sort((a, b) => a.length - b.length)[0];
      if (best?.length) {
        return best.flatMap((i) =>
          issueToProblems({ ...i, path: [...issue.path, ...i.path] }, schema, input),
        );
      }
      return [{ path, message: `has an unexpected shape (got ${show(got)})` }];
    }
    default:
      return [{ path, message: `${issue.message} (got ${show(got)})` }];
  }
}
