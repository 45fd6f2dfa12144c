#!/usr/bin/env node
/**
 * ceptra-replay: replay historic events from PostgreSQL into CEPtra, in order, throttled,
 * resumable and verified. Commands register themselves; this file only assembles them.
 */
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../common/errors.js';
import { registerDeadLettersCommand } from './dead-letters.js';
import { registerDemoCommand } from './demo.js';
import { registerPlanCommand } from './plan.js';
import { registerRunCommand } from './run.js';
import { registerSimCommand } from './sim.js';
import { registerVerifyCommand } from './verify.js';

const program = new Command()
  .name('ceptra-replay')
  .description('Streaming replay of historic events into CEPtra (ordered, throttled, resumable, verified)')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerPlanCommand(program);
registerRunCommand(program);
registerVerifyCommand(program);
registerDeadLettersCommand(program);
registerDemoCommand(program);
registerSimCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help / --version end with exit code 0; usage errors are bad input.
    process.exit(err.exitCode === 0 ? 0 : ExitCode.BadInput);
  }
  throw err;
}
