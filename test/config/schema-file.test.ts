import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generateJobSchemaJson, jobSchemaPath } from '../../src/config/write-schema.js';

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
};

function keyPaths(s: JsonSchema, prefix: string, out: Set<string>) {
  for (const branch of [...(s.oneOf ?? []), ...(s.anyOf ?? [])]) keyPaths(branch, prefix, out);
  if (s.items) keyPaths(s.items, `${prefix}[]`, out);
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.add(p);
    keyPaths(v, p, out);
  }
  return out;
}

describe('config/job.schema.json', () => {
  it('is the schema generated from the zod schema (run npx tsx src/config/write-schema.ts)', async () => {
    // Compared as JSON, not bytes: biome formats the committed file.
    const committed = JSON.parse(await readFile(jobSchemaPath, 'utf8'));
    expect(committed).toEqual(JSON.parse(generateJobSchemaJson()));
  });

  it('config/README.md documents every key of the schema', async () => {
    const schema = JSON.parse(generateJobSchemaJson()) as JsonSchema;
    const paths = keyPaths(schema, '', new Set());
    expect(paths.has('source.columns.schema_key.value')).toBe(true);
    expect(paths.has('windows[].start')).toBe(true);
    const readme = await readFile('config/README.md', 'utf8');
    const missing = [...paths].filter((p) => !readme.includes(`| \`${p}\` |`));
    expect(missing).toEqual([]);
  });
});
