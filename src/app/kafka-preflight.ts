/**
 * Pre-flight of a Kafka job (for `plan` and `run`): per window, where each topic-partition's read
 * starts (the verified offset for window.start − maxDisorder) and ends (the high watermark read
 * now), the records in between, the CEPtra partitions they feed, and the disorder a sample of the
 * first records shows. Routing cannot be wrong (the source routes by FNV-1a-64(key) mod N
 * itself), so there is no routing check; records that cannot be mapped are counted as poison
 * in the sample and dead-lettered by `run`.
 */
import type { JobConfig } from '../config/index.js';
import type { KafkaSource } from '../sources/kafka/index.js';
import type { PreflightReport } from './preflight.js';

const seconds = (ns: bigint) => `${Number(ns) / 1e9} s`;

export async function kafkaPreflight(
  config: JobConfig,
  source: KafkaSource,
  partitions: number[],
): Promise<PreflightReport> {
  const notes: string[] = [];
  const warnings = [...config.warnings];
  const feeds =
    partitions.length === config.target.partitions
      ? 'every partition'
      : `partitions ${partitions.join(', ')}`;
  let poison = 0;
  let sampled = 0;
  for (const [i, w] of config.windows.entries()) {
    const plan = await source.planInfo(w);
    const label = config.windows.length > 1 ? `window ${i + 1}: ` : '';
    for (const tp of plan.topicPartitions) {
      const s = tp.sample;
      poison += s.poison;
      sampled += s.records;
      notes.push(
        `${label}kafka ${tp.topic}/${tp.partition}: offsets ${tp.startOffset}..${tp.endOffset} (${tp.records} records, ${tp.seekVerified ? 'seek verified' : `seek found by ${tp.seekProbes} probes`}) → ${feeds}; sample of ${s.records}: max step back ${seconds(s.maxBackwardNs)}, ${s.outOfOrder} beyond maxDisorder, ${s.poison} unmappable`,
      );
      if (s.outOfOrder > 0) {
        warnings.push(
          `${tp.topic}/${tp.partition}: ${s.outOfOrder} of ${s.records} sampled records are more than source.maxDisorder (${seconds(plan.maxDisorderNs)}) behind the newest before them: they will be ${config.guardrails.onDisorder === 'send' ? 'sent out of order (guardrails.onDisorder: send)' : 'dead-lettered as OUT_OF_ORDER_SOURCE'}; raise source.maxDisorder to reorder them`,
        );
      }
    }
    notes.push(
      `${label}kafka: reading from ${plan.topicPartitions.length} topic-partitions, ${plan.records} records between the start offsets (event time ≥ window start − ${seconds(plan.maxDisorderNs)}) and the high watermarks now`,
    );
  }
  return {
    accessPaths: new Map(
      partitions.map((p) => [p, 'kafka: shared scan of every topic-partition, merged by key']),
    ),
    notes,
    warnings,
    routing: {
      scanned: sampled,
      checked: sampled - poison,
      mismatched: 0,
      examples: [],
      poison: {},
      poisonExamples: [],
    },
    routingSampled: true,
    poison: {
      checked: sampled,
      sampled: true,
      total: poison,
      byReason: poison > 0 ? { UNMAPPABLE: poison } : {},
      examples: [],
    },
  };
}
