/** The file store's dead letters: `<state file>.dead-letters.ndjson`, appended and fsynced. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileStateStore } from '../../../src/stores/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cr-dead-letters-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileStateStore dead-letter file', () => {
  it('cuts a torn last line (a crash mid-append) and keeps every complete record', async () => {
    const file = join(dir, 'dl-torn', 'state.json');
    const a = new FileStateStore({ file });
    await a.init();
    await a.putDeadLetters('t', [
      { job: 't', partition: 0, eventId: 'e1', tsNs: 1n, reason: 'R', payload: Buffer.from('x') },
    ]);
    await a.close();
    await writeFile(`${file}.dead-letters.ndjson`, '{"type":"dead_letter","id":2,"jo', { flag: 'a' });
    const b = new FileStateStore({ file });
    await b.init();
    expect(
      await b.putDeadLetters('t', [{ job: 't', partition: 0, eventId: 'e2', tsNs: 2n, reason: 'R' }]),
    ).toBe(1);
    const got = await b.listDeadLetters('t', { limit: 10 });
    expect(got.map((d) => [d.id, d.eventId])).toEqual([
      [1, 'e1'],
      [2, 'e2'],
    ]);
    await b.close();
    const text = await readFile(`${file}.dead-letters.ndjson`, 'utf8');
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).eventId),
    ).toEqual(['e1', 'e2']);
  });

  it('a corrupt line in the middle fails loudly with its line number', async () => {
    const file = join(dir, 'dl-bad', 'state.json');
    const a = new FileStateStore({ file });
    await a.init();
    await a.putDeadLetters('t', [{ job: 't', partition: 0, eventId: 'e1', tsNs: 1n, reason: 'R' }]);
    await a.close();
    await writeFile(`${file}.dead-letters.ndjson`, 'not json\n', { flag: 'a' });
    const b = new FileStateStore({ file });
    await b.init();
    await expect(b.countDeadLetters('t')).rejects.toThrow(/corrupt at line 2/);
  });
});
