/**
 * Node flags for running one of this project's entry files in a new thread or process: the
 * current process's own flags, plus the TypeScript loader when the file is `.ts` and this process
 * was not started with it (vitest workers, for instance). Built output (`.js`) needs nothing.
 */
export function execArgvFor(entryFile: string): string[] {
  const hasTsx = process.execArgv.some((a) => a.includes('tsx'));
  return entryFile.endsWith('.ts') && !hasTsx
    ? [...process.execArgv, '--import', 'tsx']
    : [...process.execArgv];
}
