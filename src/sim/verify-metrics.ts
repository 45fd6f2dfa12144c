/**
 * Configured pane metrics for verification (`verify_metrics` in `/v1/config`, `verifyMetrics` in
 * the options, `--verify-metrics` on the CLI): validation with the monoid module's validator, and
 * the per-event field extraction done at commit time.
 *
 * Why extract at commit: the apply step runs later (after the commit→apply ring), and keeping the
 * 200-byte payload string per ring entry would cost ~16 × 50,000 × ~300 B. So the ring keeps a
 * *projection* of the parsed payload instead: a small object holding only the values at the
 * configured paths, built so that every metric's path reads the same value from it as from the
 * whole payload (PaneFolder then folds it exactly like the source side folds the full payload).
 */
import { ConfigError } from '../common/errors.js';
import {
  builtinMetrics,
  compileJsonPath,
  extractPath,
  type JsonPath,
  type MetricDef,
  MonoidError,
  validateMetricDef,
} from '../monoid/index.js';

const DEF_KEYS = new Set(['name', 'kind', 'field', 'q', 'mode', 'k']);

/** First characters a JSON text can start with (after whitespace): { [ " - 0-9 t f n. */
const JSON_START = new Uint8Array(128);
for (const c of '{["-0123456789tfn') JSON_START[c.charCodeAt(0)] = 1;

/** Validates a metric list; throws ConfigError naming the bad entry (`<at>[i].<key>`). */
export function parseVerifyMetrics(v: unknown, at: string): readonly MetricDef[] {
  if (!Array.isArray(v)) {
    throw new ConfigError(at, 'must be a list of {name, kind, field?, q?, mode?, k?}');
  }
  const names = new Set(builtinMetrics.map((m) => m.name));
  const out: MetricDef[] = [];
  v.forEach((raw: unknown, i) => {
    const here = `${at}[${i}]`;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new ConfigError(here, `must be an object {name, kind, field?, ...} (got ${JSON.stringify(raw)})`);
    for (const k of Object.keys(raw)) {
      if (!DEF_KEYS.has(k))
        throw new ConfigError(`${here}.${k}`, `unknown key (known: ${[...DEF_KEYS].join(', ')})`);
    }
    const def = raw as MetricDef;
    try {
      validateMetricDef(def, here);
    } catch (e) {
      if (!(e instanceof MonoidError)) throw e;
      const m = /^(\S+): ([\s\S]*)$/.exec(e.message);
      throw new ConfigError(m?.[1] ?? here, m?.[2] ?? e.message);
    }
    if (names.has(def.name))
      throw new ConfigError(`${here}.name`, `duplicate or built-in metric name ${JSON.stringify(def.name)}`);
    names.add(def.name);
    out.push(Object.freeze({ ...def }));
  });
  return Object.freeze(out);
}

/** True when some metric reads a payload field (then payloads are decoded and parsed at commit). */
export function needsPayload(metrics: readonly MetricDef[]): boolean {
  return metrics.some((m) => m.field !== undefined);
}

/** Builds the projection of a parsed payload onto the configured paths. */
export class Projector {
  /** Minimal paths, shortest first: a path under another one is covered by the outer value. */
  private readonly paths: JsonPath[] = [];
  private readonly whole: boolean;

  constructor(metrics: readonly MetricDef[]) {
    const all = metrics.filter((m) => m.field !== undefined).map((m) => compileJsonPath(m.field!));
    all.sort((a, b) => a.length - b.length);
    for (const p of all) {
      if (!this.paths.some((q) => q.length <= p.length && q.every((s, i) => s === p[i]))) this.paths.push(p);
    }
    this.whole = this.paths.some((p) => p.length === 0);
  }

  /** base64 payload → projection; undefined when it is not JSON (field metrics skip the event). */
  fromBase64(payloadB64: string): unknown {
    const text = Buffer.from(payloadB64, 'base64').toString('utf8');
    // A failing JSON.parse costs ~15 µs (it builds a SyntaxError with a stack); binary payloads
    // almost never start like a JSON value, so that first-character test skips most of them.
    if (!JSON_START[text.trimStart().charCodeAt(0)]) return undefined;
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return undefined; // not JSON: the built-ins still count it (same rule as the source side)
    }
    return this.project(payload);
  }

  /**
   * A value on which every configured path extracts what it extracts on `payload`. Primitives,
   * null and `$` metrics keep the payload itself. Containers are created only along paths whose
   * value exists, and a path's value exists only where each step has the container type its
   * segment needs, so no path can reach a container that the payload does not have.
   */
  project(payload: unknown): unknown {
    if (this.whole || payload === null || typeof payload !== 'object') return payload;
    const root: object = Array.isArray(payload) ? [] : Object.create(null);
    for (const path of this.paths) {
      const v = extractPath(payload, path);
      if (v === undefined) continue;
      let cur = root as Record<string | number, unknown>;
      for (let i = 0; i < path.length - 1; i++) {
        const seg = path[i]!;
        let next = cur[seg] as Record<string | number, unknown> | undefined;
        if (next === undefined) {
          next = typeof path[i + 1] === 'number' ? [] : Object.create(null);
          cur[seg] = next;
        }
        cur = next!;
      }
      cur[path[path.length - 1]!] = v;
    }
    return root;
  }
}
