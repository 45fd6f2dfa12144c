/**
 * `npm run bench`: every benchmark in turn, each appending its figures to bench/RESULTS.md.
 * Pass `--only e2e,sim` to pick; `--no-record` to print without recording.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCHES = {
  sim: 'sim-ingest.ts',
  pg: 'pg-read.ts',
  monoid: 'monoid.ts',
  encode: 'encode.ts',
  e2e: 'e2e.ts',
  tuning: 'tuning.ts',
} as const;

const { values } = parseArgs({
  options: { only: { type: 'string' }, 'no-record': { type: 'boolean', default: false } },
});
const picked = values.only ? values.only.split(',') : Object.keys(BENCHES);
let failed = 0;
for (const name of picked) {
  const file = BENCHES[name as keyof typeof BENCHES];
  if (!file) {
    process.stderr.write(`unknown bench "${name}" (have: ${Object.keys(BENCHES).join(', ')})\n`);
    process.exit(2);
  }
  process.stdout.write(`\n=== bench ${name} (${file})\n`);
  const args = ['--import', 'tsx', fileURLToPath(new URL(file, import.meta.url))];
  if (values['no-record']) args.push('--no-record');
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
