/**
 * Checks that run before anything is sent (by `plan` and by `run`): the access path of every
 * partition's keyset read (EXPLAIN; a sort is refused with the CREATE INDEX to run), and CEPtra
 * routing of the stored partitions (FNV-1a-64(key) mod N).
 */
import { ConfigError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { JobConfig } from '../config/index.js';
import type { PostgresSource, RoutingReport } from '../sources/postgres/index.js';
import { spanOf } from './job-context.js';

export interface PreflightReport {
  accessPaths: Map<number, string>;
  notes: string[];
  warnings: string[];
  routing: RoutingReport;
  routingSampled: boolean;
}

/** Rows checked for routing; bounded so a billion-row table is sampled, not scanned. */
export const ROUTING_SAMPLE_ROWS = 1_000_000;

export async function preflight(
  config: JobConfig,
  source: PostgresSource,
  partitions: number[],
  logger: Logger,
): Promise<PreflightReport> {
  const span = spanOf(config);
  const accessPaths = new Map<number, string>();
  const notes = new Set<string>();
  for (const p of partitions) {
    const ex = await source.explain(p, span); // throws ConfigError with CREATE INDEX on a sort
    accessPaths.set(p, ex.accessPath);
    if (ex.note) notes.add(ex.note);
  }
  const nullTimes = await source.countNullTimes();
  if (nullTimes > 0) {
    notes.add(
      `${nullTimes} rows have a NULL ${config.source.columns.event_time}: they are outside every window and are never replayed`,
    );
  }
  const routing = await source.checkRouting(span, { sampleLimit: ROUTING_SAMPLE_ROWS });
  const routingSampled = routing.checked >= ROUTING_SAMPLE_ROWS;
  const warnings = [...config.warnings];
  if (routing.mismatched > 0) {
    const examples = routing.examples
      .slice(0, 5)
      .map(
        (e) =>
          `event ${e.eventId} key "${e.key}" stored in partition ${e.partition}, CEPtra routes it to ${e.expected}`,
      )
      .join('; ');
    const text = `${routing.mismatched} of ${routing.checked} rows${routingSampled ? ' (sampled)' : ''} are stored in a partition other than CEPtra's routing FNV-1a-64(key) mod ${config.target.partitions}: ${examples}`;
    if (config.guardrails.routing === 'fail') {
      throw new ConfigError(
        'source.columns.partition',
        `${text}. Check target.partitions (CEPtra's partition count) and the partition column; set guardrails.routing: send to replay them as stored anyway.`,
      );
    }
    warnings.push(text);
    logger.warn({ routing }, 'routing mismatches; sending anyway (guardrails.routing: send)');
  }
  return { accessPaths, notes: [...notes], warnings, routing, routingSampled };
}
