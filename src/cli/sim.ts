/**
 * `ceptra-replay sim`: runs the CEPtra emulator until SIGINT/SIGTERM and logs one JSON line with
 * its URL. Numeric flags are validated; a bad value names the flag and exits 2.
 */
import type { Command } from 'commander';
import { ConfigError, ExitCode } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { type Raw, simOptionsFromFlags } from '../sim/flags.js';
import { type SimOptions, startSim } from '../sim/index.js';

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run the CEPtra emulator (ingest, apply lag, watermark, dedup, config, faults)')
    .option('--port <n>', 'listen port (0 = any)', '7070')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--partitions <n>', 'partition count', '16')
    .option('--apply-rate <n>', 'events/s applied per partition', '200000')
    .option('--ring <n>', 'commit→apply ring per partition', '50000')
    .option('--live-rate <n>', 'live-traffic events/s across partitions', '0')
    .option('--replication-lag-ms <n>', 'simulated replication lag')
    .option('--replication-jitter-ms <n>', 'uniform jitter added to the replication lag')
    .option('--pane-ms <n>', 'pane size q', '250')
    .option('--lateness-ms <n>', 'lateness allowance L', '2000')
    .option('--correction-horizon-ms <n>', 'correction horizon C')
    .option('--dedup-capacity <n>', 'dedup entries per partition')
    .option('--max-body-bytes <n>', 'request body limit (413 above)')
    .option('--max-event-bytes <n>', 'payload limit (PERMANENT_PAYLOAD above)', '1048576')
    .option('--no-applied-log', 'do not keep the apply-order log (/sim/applied)')
    .option(
      '--verify-metrics <json>',
      'payload-field metrics folded into /sim/panes, e.g. \'[{"name":"amt","kind":"sum","field":"$.amount"}]\'',
    )
    .option(
      '--no-replay-sequencing',
      'act as a target without replay sequencing: ignore replay_stream/replay_seq (event-id dedup only)',
    )
    .option('--fault-transient <p>', 'probability of an all-TransientBackpressure answer')
    .option(
      '--fault-transient-event <p>',
      'probability that one event is refused TransientBackpressure (scattered)',
    )
    .option('--fault-429 <p>', 'probability of HTTP 429')
    .option('--fault-503 <p>', 'probability of HTTP 503')
    .option('--fault-retry-after-ms <n>', 'Retry-After of injected 429/503')
    .option('--fault-drop <p>', 'probability of a dropped connection')
    .option('--fault-latency-ms <ms|min-max>', 'added latency per ingest request')
    .option('--fault-reject-pattern <regex>', 'reject event ids matching this regex permanently')
    .option('--fault-reject-reason <reason>', 'reason for --fault-reject-pattern', 'PERMANENT_SCHEMA')
    .option(
      '--fault-refusal-keeps-seq',
      'break contract §2: a permanent refusal does not consume its replay_seq (clients must fail, not spin)',
    )
    .option('--fault-drop-apply-pattern <regex>', 'ack and commit matching ids, but never apply or fold them')
    .option('--fault-duplicate-apply-pattern <regex>', 'apply and fold matching ids twice')
    .option('--fault-stall-s <n>', 'stop applying for N seconds from start')
    .option('--fault-count <n>', 'maximum number of injected request faults')
    .option('--fault-seed <n>', 'fault RNG seed')
    .action(async (raw: Raw) => {
      let opts: SimOptions;
      try {
        opts = simOptionsFromFlags(raw);
      } catch (e) {
        if (e instanceof ConfigError) {
          process.stderr.write(`ceptra-replay sim: ${e.message}\n`);
          process.exit(ExitCode.BadInput);
        }
        throw e;
      }
      const logger = createLogger();
      const sim = await startSim({ ...opts, logger });
      process.stdout.write(
        `${JSON.stringify({ msg: 'sim listening', url: sim.url, partitions: opts.partitions })}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await sim.close();
      logger.flush();
    });
}
