import { MonoidError, MonoidErrorCode } from './errors.js';

/** A compiled path: object keys (string) and array indices (number), applied in order. */
export type JsonPath = readonly (string | number)[];

const SEGMENT = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[(?:'([^']*)'|"([^"]*)")\]/y;

/**
 * Compiles a small JSONPath subset: `$`, `.name`, `[0]`, `['name']` / `["name"]`
 * (e.g. `$.a.b`, `$.items[0].price`, `$['odd key']`). Compile once per metric; extraction is a
 * plain loop over the segments, with no parsing or allocation per event.
 */
export function compileJsonPath(path: string): JsonPath {
  if (!path.startsWith('$')) {
    throw new MonoidError(
      MonoidErrorCode.BadPath,
      `field path must start with '$' (got ${JSON.stringify(path)}), e.g. '$.a.b'`,
    );
  }
  const out: (string | number)[] = [];
  let pos = 1;
  while (pos < path.length) {
    SEGMENT.lastIndex = pos;
    const m = SEGMENT.exec(path);
    if (m === null) {
      throw new MonoidError(
        MonoidErrorCode.BadPath,
        `field path ${JSON.stringify(path)}: cannot parse at offset ${pos} (${JSON.stringify(path.slice(pos))}); use .name, [0] or ['name']`,
      );
    }
    if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(m[1] ?? m[3] ?? m[4]!);
    pos = SEGMENT.lastIndex;
  }
  return out;
}

/** Value at `path` in an already-parsed JSON value, or undefined if any step is missing. */
export function extractPath(value: unknown, path: JsonPath): unknown {
  let cur = value;
  for (let i = 0; i < path.length; i++) {
    if (cur === null || typeof cur !== 'object') return undefined;
    const seg = path[i]!;
    if (typeof seg === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[seg];
    } else {
      if (Array.isArray(cur) || !Object.hasOwn(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}
