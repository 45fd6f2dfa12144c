import { availableParallelism } from 'node:os';
import { ConfigError } from '../common/errors.js';
import { displayUrl } from '../common/redact.js';
import { type MetricDef, validateMetricDef } from '../monoid/index.js';
import { resolveKafkaOptions } from '../sources/kafka/options.js';
/**
 * Semantic checks and resolution of a structurally valid job file: exact times and durations,
 * window order, maxWindow, pane alignment, the safety lag, URLs and identifiers.
 */
import type { TimeWindow } from '../sources/source.js';
import { parseDurationNs } from './duration.js';
import { kafkaSourceInput } from './kafka-schema.js';
import { IDENTIFIER_PATTERN, JOB_ID_PATTERN, TABLE_PATTERN } from './options.js';
import type { Problem } from './problems.js';
import { show } from './problems.js';
import type { JobFileParsed } from './schema.js';
import { parseRfc3339Ns } from './time.js';
import type {
  GuardrailsConfig,
  JobConfig,
  KafkaSourceConfig,
  SourceConfig,
  TargetConfig,
  VerifyConfig,
} from './types.js';
import { resolveWindows } from './windows.js';

const NS_PER_MS = 1_000_000n;
/** No user info in the example: messages never show any (see displayUrl). */
const PG_URL_EXAMPLE = 'postgres://127.0.0.1:5432/db';

export interface ResolveContext {
  problems: Problem[];
  warnings: string[];
  nowNs: bigint;
}

function duration(value: string | number, path: string, ctx: ResolveContext): bigint {
  const r = parseDurationNs(value);
  if (r.ok) return r.value;
  ctx.problems.push({ path, message: `${r.error} (got ${show(value)})` });
  return 0n;
}

function durationMs(value: string | number, path: string, ctx: ResolveContext): number {
  const ns = duration(value, path, ctx);
  if (ns % NS_PER_MS !== 0n) {
    ctx.problems.push({ path, message: `must be a whole number of milliseconds (got ${show(value)})` });
  }
  return Number(ns / NS_PER_MS);
}

function checkUrl(
  url: string,
  path: string,
  protocols: readonly string[],
  example: string,
  ctx: ResolveContext,
) {
  let ok = false;
  try {
    ok = protocols.includes(new URL(url).protocol);
  } catch {
    ok = false;
  }
  if (!ok) {
    // Never the user info or the query string (passwords): scheme, host, port and path only.
    ctx.problems.push({
      path,
      message: `expected a URL with scheme ${protocols.map((p) => p.slice(0, -1)).join(' or ')}, like ${example} (got ${show(displayUrl(url))})`,
    });
  }
}

function resolveGuardrails(g: JobFileParsed['guardrails'], ctx: ResolveContext): GuardrailsConfig {
  const paneSizeNs = duration(g.paneSize, 'guardrails.paneSize', ctx);
  if (paneSizeNs === 0n)
    ctx.problems.push({ path: 'guardrails.paneSize', message: 'must be greater than 0 (e.g. 250ms)' });
  return {
    maxWindowNs: duration(g.maxWindow, 'guardrails.maxWindow', ctx),
    safetyLagNs: duration(g.safetyLag, 'guardrails.safetyLag', ctx),
    paneSizeNs,
    align: g.align,
    allowSort: g.allowSort,
    routing: g.routing,
    rate: g.rate,
    onPoison: g.onPoison,
    maxDeadLetters: g.maxDeadLetters,
    onDisorder: g.onDisorder,
  };
}

function resolveSource(
  s: JobFileParsed['source'],
  target: JobFileParsed['target'],
  guardrails: GuardrailsConfig,
  ctx: ResolveContext,
): SourceConfig {
  if (s.type === 'kafka') return resolveKafkaSource(s, target, guardrails, ctx);
  checkUrl(s.url, 'source.url', ['postgres:', 'postgresql:'], PG_URL_EXAMPLE, ctx);
  if (!TABLE_PATTERN.test(s.table)) {
    ctx.problems.push({
      path: 'source.table',
      message: `expected a table name or schema.table (got ${show(s.table)})`,
    });
  }
  for (const [name, col] of Object.entries(s.columns)) {
    if (typeof col === 'string' && !IDENTIFIER_PATTERN.test(col)) {
      ctx.problems.push({
        path: `source.columns.${name}`,
        message: `expected a column name (got ${show(col)})`,
      });
    }
  }
  if (Array.isArray(s.partitions) && new Set(s.partitions).size !== s.partitions.length) {
    ctx.problems.push({
      path: 'source.partitions',
      message: `lists a partition twice (got ${show(s.partitions)})`,
    });
  }
  return {
    ...s,
    partitions: Array.isArray(s.partitions) ? [...s.partitions].sort((a, b) => a - b) : 'all',
  };
}

function resolveState(s: JobFileParsed['state'], ctx: ResolveContext): JobFileParsed['state'] {
  if ('url' in s) checkUrl(s.url, 'state.url', ['postgres:', 'postgresql:'], PG_URL_EXAMPLE, ctx);
  return s;
}

function resolveTarget(t: JobFileParsed['target'], ctx: ResolveContext): TargetConfig {
  checkUrl(t.url, 'target.url', ['http:', 'https:'], 'http://127.0.0.1:7070', ctx);
  const timeoutMs = durationMs(t.timeoutMs, 'target.timeoutMs', ctx);
  if (timeoutMs <= 0)
    ctx.problems.push({ path: 'target.timeoutMs', message: 'must be greater than 0 (e.g. 30s)' });
  if (t.tls && t.url.startsWith('http:')) {
    ctx.warnings.push('target.tls is set but target.url is http://; the TLS settings are ignored');
  } else if (t.tls?.rejectUnauthorized === false) {
    ctx.warnings.push(
      "target.tls.rejectUnauthorized is false: the target's certificate is not verified; anyone on the path can read and alter the replay",
    );
  }
  const outageDeadlineMs = durationMs(t.outageDeadlineMs, 'target.outageDeadlineMs', ctx);
  return { ...t, timeoutMs, outageDeadlineMs };
}

export function resolveJob(file: JobFileParsed, sourceName: string, ctx: ResolveContext): JobConfig {
  if (!JOB_ID_PATTERN.test(file.job)) {
    ctx.problems.push({
      path: 'job',
      message: `expected 1-100 characters from A-Z a-z 0-9 . _ - (got ${show(file.job)}); e.g. gap-2025-08-01`,
    });
  }
  const guardrails = resolveGuardrails(file.guardrails, ctx);
  let windows: TimeWindow[] = [];
  if (file.window && file.windows) {
    ctx.problems.push({
      path: 'windows',
      message: 'window and windows are both set; keep exactly one of them',
    });
  } else if (!file.window && !file.windows) {
    ctx.problems.push({
      path: 'window',
      message: 'is required: set window: { start, end } (or windows: [{ start, end }, …])',
    });
  } else {
    const raw = file.window
      ? [{ w: file.window, path: 'window' }]
      : file.windows!.map((w, i) => ({ w, path: `windows[${i}]` }));
    const parsed = raw.map(({ w, path }) => {
      const s = parseRfc3339Ns(w.start);
      const e = parseRfc3339Ns(w.end);
      if (!s.ok) ctx.problems.push({ path: `${path}.start`, message: `${s.error} (got ${show(w.start)})` });
      if (!e.ok) ctx.problems.push({ path: `${path}.end`, message: `${e.error} (got ${show(w.end)})` });
      return s.ok && e.ok ? { startNs: s.value, endNs: e.value, path, text: w } : null;
    });
    if (parsed.every((p) => p !== null) && ctx.problems.length === 0)
      windows = resolveWindows(parsed, guardrails, ctx);
  }
  const flow = {
    ...file.flow,
    commitIntervalMs: durationMs(file.flow.commitIntervalMs, 'flow.commitIntervalMs', ctx),
    targetApplyLagMs: durationMs(file.flow.targetApplyLagMs, 'flow.targetApplyLagMs', ctx),
    lagPollIntervalMs: durationMs(file.flow.lagPollIntervalMs, 'flow.lagPollIntervalMs', ctx),
    replicationLagLimitMs: durationMs(file.flow.replicationLagLimitMs, 'flow.replicationLagLimitMs', ctx),
  };
  if (flow.minBatch > flow.maxBatch) {
    ctx.problems.push({
      path: 'flow.minBatch',
      message: `must be ≤ flow.maxBatch (got ${flow.minBatch} > ${flow.maxBatch})`,
    });
  }
  const source = resolveSource(file.source, file.target, guardrails, ctx);
  let workers = file.workers === 'auto' ? availableParallelism() : file.workers;
  if (source.type === 'kafka') {
    // Every CEPtra partition reads from every topic-partition: the partitions share one scan per
    // window, through memory, so they run together in this process.
    if (typeof file.workers === 'number' && file.workers > 0)
      ctx.warnings.push(
        `workers: ${file.workers} ignored: a Kafka source reads on the main thread (workers 0)`,
      );
    workers = 0;
    const n = source.partitions === 'all' ? file.target.partitions : source.partitions.length;
    if (flow.parallelPartitions < n) {
      ctx.warnings.push(
        `flow.parallelPartitions raised from ${flow.parallelPartitions} to ${n}: a Kafka source reads every partition of the job together`,
      );
      flow.parallelPartitions = n;
    }
  }
  return {
    job: file.job,
    windows,
    source,
    target: resolveTarget(file.target, ctx),
    workers,
    flow,
    state: resolveState(file.state, ctx),
    guardrails,
    verify: resolveVerify(file.verify, ctx),
    warnings: ctx.warnings,
    sourceName,
  };
}

function resolveVerify(v: JobFileParsed['verify'], ctx: ResolveContext): VerifyConfig {
  const paneNs = duration(v.paneSize, 'verify.paneSize', ctx);
  if (paneNs <= 0n)
    ctx.problems.push({ path: 'verify.paneSize', message: 'must be greater than 0 (e.g. 250ms)' });
  const metrics = v.metrics.map((m, i) => {
    const def = Object.fromEntries(
      Object.entries(m).filter(([, x]) => x !== undefined),
    ) as unknown as MetricDef;
    try {
      validateMetricDef(def, `verify.metrics[${i}]`);
    } catch (e) {
      ctx.problems.push({
        path: `verify.metrics[${i}]`,
        message: (e as Error).message.replace(/^verify\.metrics\[\d+\][^:]*: /, ''),
      });
    }
    return def;
  });
  const names = new Set<string>(['ingest_events_total', 'ingest_payload_bytes']);
  metrics.forEach((m, i) => {
    if (names.has(m.name))
      ctx.problems.push({ path: `verify.metrics[${i}].name`, message: `duplicate metric name "${m.name}"` });
    names.add(m.name);
  });
  return { enabled: v.enabled, paneNs: paneNs > 0n ? paneNs : 250_000_000n, metrics };
}

function resolveKafkaSource(
  s: Extract<JobFileParsed['source'], { type: 'kafka' }>,
  target: JobFileParsed['target'],
  guardrails: GuardrailsConfig,
  ctx: ResolveContext,
): KafkaSourceConfig {
  const { maxDisorder, joinTimeout, connectionTimeout, requestTimeout, maxWaitTime, ...rest } = s;
  const config: KafkaSourceConfig = {
    ...rest,
    partitions: Array.isArray(s.partitions) ? [...s.partitions].sort((a, b) => a - b) : 'all',
    maxDisorderNs: duration(maxDisorder, 'source.maxDisorder', ctx),
    joinTimeoutMs: durationMs(joinTimeout, 'source.joinTimeout', ctx),
    connectionTimeoutMs: durationMs(connectionTimeout, 'source.connectionTimeout', ctx),
    requestTimeoutMs: durationMs(requestTimeout, 'source.requestTimeout', ctx),
    maxWaitTimeMs: durationMs(maxWaitTime, 'source.maxWaitTime', ctx),
  };
  if (Array.isArray(s.partitions)) {
    const bad = s.partitions.filter((p) => p >= target.partitions);
    if (bad.length > 0 || new Set(s.partitions).size !== s.partitions.length) {
      ctx.problems.push({
        path: 'source.partitions',
        message: `list CEPtra partitions 0..${target.partitions - 1} once each (got ${show(s.partitions)})`,
      });
    }
  }
  try {
    resolveKafkaOptions(kafkaSourceInput(config, target.partitions, guardrails.onDisorder));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    ctx.problems.push({ path: e.field, message: e.message.slice(e.field.length + 2) });
  }
  return config;
}
