import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generate, hash64Path } from '../../scripts/gen-hash64.js';

describe('src/monoid/hash64.ts', () => {
  it('is what scripts/gen-hash64.ts generates (run npm run gen:hash64)', async () => {
    // Compared as bytes: generate() formats with the project's biome config, like the committed file.
    const committed = await readFile(hash64Path, 'utf8');
    expect(committed).toBe(await generate());
  });
});
