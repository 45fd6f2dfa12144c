/**
 * Checks that run before anything is sent (by `plan` and by `run`): the access path of every
 * partition's keyset read (EXPLAIN; a sort is refused with the CREATE INDEX to run), and CEPtra
 * routing of the stored partitions (FNV-1a-64(key) mod N). Poison rows (NULL id/key/payload/
 * schema key, empty id, undecodable or oversize payload) are screened out of the routing check
 * and reported instead: `run` dead-letters them, so they must not fail the job (issue 9).
 */
import { ConfigError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { JobConfig } from '../config/index.js';
import type { PostgresSourceConfig } from '../config/types.js';
import type { PlanPoison } from '../engine/planner.js';
import { KafkaSource } from '../sources/kafka/index.js';
import type { RoutingReport } from '../sources/postgres/index.js';
import { kafkaPreflight } from './kafka-preflight.js';
import type { ReplaySource } from './open.js';
import { spanOf } from './spec.js';

export interface PreflightReport {
  accessPaths: Map<number, string>;
  notes: string[];
  warnings: string[];
  routing: RoutingReport;
  routingSampled: boolean;
  /** Poison rows among the rows the routing check read. */
  poison: PlanPoison;
}

/** Rows checked for routing; bounded so a billion-row table is sampled, not scanned. */
export const ROUTING_SAMPLE_ROWS = 1_000_000;
/**
 * What `run` checks before sending: a misrouted table (wrong partition count or column) shows in
 * its first rows, and `plan` has checked up to ROUTING_SAMPLE_ROWS. The full sample cost `run`
 * ~1.8 s of CPU per million rows (hashing every key) before the first event went out.
 */
export const RUN_ROUTING_SAMPLE_ROWS = 100_000;

export async function preflight(
  config: JobConfig,
  source: ReplaySource,
  partitions: number[],
  logger: Logger,
  routingSampleRows = ROUTING_SAMPLE_ROWS,
): Promise<PreflightReport> {
  if (source instanceof KafkaSource) return kafkaPreflight(config, source, partitions);
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
      `${nullTimes} rows have a NULL ${(config.source as PostgresSourceConfig).columns.event_time}: they are outside every window and are never replayed`,
    );
  }
  const routing = await source.checkRouting(span, { sampleLimit: routingSampleRows });
  const routingSampled = routing.scanned >= routingSampleRows;
  const warnings = [...config.warnings];
  const poison = planPoison(routing, routingSampled);
  if (poison.total > 0) {
    notes.add(poisonNote(poison, config));
    logger.warn({ poison }, 'poison rows in the window: they go to dead letters, not to the target');
    const policy = poisonPolicyWarning(poison, config);
    if (policy) warnings.push(policy);
  }
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
  return { accessPaths, notes: [...notes], warnings, routing, routingSampled, poison };
}

const POISON_EXAMPLES = 5;

function planPoison(r: RoutingReport, sampled: boolean): PlanPoison {
  return {
    checked: r.scanned,
    sampled,
    total: Object.values(r.poison).reduce((a, b) => a + b, 0),
    byReason: { ...r.poison },
    examples: r.poisonExamples.slice(0, POISON_EXAMPLES).map((e) => ({ ...e })),
  };
}

const shownId = (id: string | null): string => (id === null ? 'NULL id' : `event ${id === '' ? '""' : id}`);

function poisonNote(p: PlanPoison, config: JobConfig): string {
  const reasons = Object.entries(p.byReason)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  const examples = p.examples
    .map((e) => `${e.reason} (${shownId(e.eventId)}, partition ${e.partition})`)
    .join('; ');
  const fate =
    config.guardrails.onPoison === 'fail'
      ? 'run stores the first as a dead letter, then fails (guardrails.onPoison: fail)'
      : 'run stores them as dead letters (ceptra-replay dead-letters list) and sends the rest';
  return `poison: ${p.total} of ${p.checked} rows${p.sampled ? ' (sampled)' : ''} cannot be sent (${reasons}), e.g. ${examples}; not routing-checked, ${fate}`;
}

/** When the policy would stop `run` on these rows: said now, so the dry run shows it. */
function poisonPolicyWarning(p: PlanPoison, config: JobConfig): string | null {
  const g = config.guardrails;
  if (g.onPoison === 'fail') {
    return `${p.total} poison rows found and guardrails.onPoison is "fail": run will stop at the first one; fix the rows or set guardrails.onPoison: dead-letter`;
  }
  if (p.total > g.maxDeadLetters) {
    return `${p.total} poison rows found${p.sampled ? ' in a sample' : ''}, more than guardrails.maxDeadLetters (${g.maxDeadLetters}): run fails once the job holds more dead letters than that; fix the rows or raise guardrails.maxDeadLetters`;
  }
  return null;
}
