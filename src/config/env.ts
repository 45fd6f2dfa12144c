/**
 * `${VAR}` and `${VAR:-default}` expansion inside string values of the job file. `$${` writes a
 * literal `${`. A variable that is unset (and has no default) is a problem naming the variable
 * and the field it was used in.
 */
import { type Problem, pathOf } from './problems.js';

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export type Env = Readonly<Record<string, string | undefined>>;

function expandString(text: string, env: Env, path: PropertyKey[], problems: Problem[]): string {
  if (!text.includes('${')) return text;
  const out = text.replace(REF, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const value = env[name!];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    problems.push({
      path: pathOf(path),
      message: `environment variable ${name} is not set or empty (used as ${match}); export ${name} or write \${${name}:-default}`,
    });
    return match;
  });
  if (text.replace(REF, '').includes('${')) {
    problems.push({
      path: pathOf(path),
      message: `malformed variable reference in ${JSON.stringify(text)}; use \${NAME} or \${NAME:-default}`,
    });
  }
  return out;
}

/** Returns a copy of `value` with every string expanded; problems are appended to `problems`. */
export function expandEnv(value: unknown, env: Env, problems: Problem[], path: PropertyKey[] = []): unknown {
  if (typeof value === 'string') return expandString(value, env, path, problems);
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, problems, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, env, problems, [...path, k]);
    return out;
  }
  return value;
}
