/**
 * Job config loading: defaults → file (YAML) → environment (`${VAR}` in strings) → CLI overrides,
 * validated (zod structure, then semantic rules) into one deeply frozen `JobConfig`.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ConfigError, errorMessage } from '../common/errors.js';
import { type Env, expandEnv } from './env.js';
import { issueToProblems } from './issues.js';
import { type Problem, show, throwProblems } from './problems.js';
import { resolveJob } from './resolve.js';
import { jobFileSchema } from './schema.js';
import type { JobConfig, JobConfigOverrides, ParseJobConfigOptions } from './types.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Objects merge key by key; arrays and scalars replace; `window` and `windows` replace each other. */
export function mergeOverrides(base: Record<string, unknown>, overrides: JobConfigOverrides | undefined) {
  if (!overrides) return base;
  const merge = (a: unknown, b: unknown): unknown => {
    if (!isPlainObject(a) || !isPlainObject(b)) return b === undefined ? a : b;
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) if (v !== undefined) out[k] = merge(a[k], v);
    return out;
  };
  const out = merge(base, overrides) as Record<string, unknown>;
  if (overrides.window !== undefined) delete out.windows;
  if (overrides.windows !== undefined) delete out.window;
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function parseYaml(text: string, sourceName: string): unknown {
  // Core schema (YAML 1.2): `2025-08-01T00:00:00Z` stays a string even under a `%YAML 1.1`
  // directive, so times are never truncated to a JS Date; `0s`, `1_000` stay strings too.
  const doc = parseDocument(text, { schema: 'core', version: '1.2', uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    // Only the first error: later ones are almost always cascades of it.
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    const where = pos ? `${sourceName}:${pos.line}:${pos.col}` : sourceName;
    const line = pos ? (text.split('\n')[pos.line - 1] ?? '') : '';
    // `${VAR}` inside a flow mapping `{ … }` is a syntax error: braces are flow indicators.
    const ref = /(\w+):\s*(\$\{[^}]*\})/.exec(line);
    const hint =
      ref && line.includes('{')
        ? `; inside { } a \${VAR} value needs quotes, quote it: ${ref[1]}: '${ref[2]}'`
        : '';
    const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const problems = [{ path: where, message: `YAML syntax error: ${what}${hint}` }];
    throwProblems(problems, sourceName);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // e.g. an alias whose anchor is missing, or an alias bomb.
    return throwProblems([{ path: sourceName, message: `YAML error: ${errorMessage(e)}` }], sourceName);
  }
}

export function parseJobConfig(
  text: string,
  sourceName: string,
  overrides?: JobConfigOverrides,
  env: Env = process.env,
  options: ParseJobConfigOptions = {},
): JobConfig {
  const raw = parseYaml(text, sourceName);
  if (raw !== null && raw !== undefined && !isPlainObject(raw)) {
    throwProblems(
      [{ path: '(root)', message: `expected a mapping of job settings (got ${show(raw)})` }],
      sourceName,
    );
  }
  const problems: Problem[] = [];
  const expanded = expandEnv(raw ?? {}, env, problems) as Record<string, unknown>;
  const merged = mergeOverrides(expanded, overrides);
  const parsed = jobFileSchema.safeParse(merged, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...issueToProblems(issue, jobFileSchema, merged));
  }
  if (problems.length > 0 || !parsed.success) throwProblems(problems, sourceName);
  const ctx = { problems, warnings: [] as string[], nowNs: options.nowNs ?? BigInt(Date.now()) * 1_000_000n };
  const config = resolveJob(parsed.data, sourceName, ctx);
  if (problems.length > 0) throwProblems(problems, sourceName);
  return deepFreeze(config);
}

export async function loadJobConfig(
  path: string,
  overrides?: JobConfigOverrides,
  env: Env = process.env,
  options: ParseJobConfigOptions = {},
): Promise<JobConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'file not found; check the path' : `cannot be read (${errorMessage(e)})`;
    throw new ConfigError(path, why, { cause: e });
  }
  return parseJobConfig(text, path, overrides, env, options);
}
