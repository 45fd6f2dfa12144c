/**
 * Writes `config/job.schema.json` from the zod schema: `npx tsx src/config/write-schema.ts`.
 * A test fails when the committed file differs from what this generates.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { jobFileSchema } from './schema.js';

export function generateJobSchemaJson(): string {
  const schema = z.toJSONSchema(jobFileSchema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export const jobSchemaPath = fileURLToPath(new URL('../../config/job.schema.json', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(jobSchemaPath, generateJobSchemaJson());
  process.stdout.write(`wrote ${jobSchemaPath}\n`);
}
