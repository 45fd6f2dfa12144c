/**
 * What a Kafka source's scans do, for `/metrics` (labelled by `job` like the rest): records read
 * per topic-partition, the records held for reordering, the topic-partitions paused by the
 * bounds, and scans started (more than one per window means a partition read on its own: a
 * retry, or a late join).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface KafkaSourceMetrics {
  records: Counter<'job' | 'topic' | 'partition'>;
  held: Gauge<'job'>;
  paused: Gauge<'job'>;
  scans: Counter<'job'>;
}

/** The series in `registry`, created once (a registry may serve a run and its verify). */
export function createKafkaSourceMetrics(registry: Registry): KafkaSourceMetrics {
  const registers = [registry];
  const existing = registry.getSingleMetric('replay_kafka_records_total');
  if (existing) {
    return {
      records: existing as KafkaSourceMetrics['records'],
      held: registry.getSingleMetric('replay_kafka_reorder_held_records') as KafkaSourceMetrics['held'],
      paused: registry.getSingleMetric(
        'replay_kafka_paused_topic_partitions',
      ) as KafkaSourceMetrics['paused'],
      scans: registry.getSingleMetric('replay_kafka_scans_total') as KafkaSourceMetrics['scans'],
    };
  }
  return {
    records: new Counter({
      name: 'replay_kafka_records_total',
      help: 'Records read from Kafka (window edges, poison and disorder included)',
      labelNames: ['job', 'topic', 'partition'],
      registers,
    }),
    held: new Gauge({
      name: 'replay_kafka_reorder_held_records',
      help: 'Records held by the merge until no earlier record can still come (all partitions)',
      labelNames: ['job'],
      registers,
    }),
    paused: new Gauge({
      name: 'replay_kafka_paused_topic_partitions',
      help: 'Topic-partitions not read for now: a partition buffer is full, or the merge waits for laggards',
      labelNames: ['job'],
      registers,
    }),
    scans: new Counter({
      name: 'replay_kafka_scans_total',
      help: 'Shared scans of the topics started (one per window, plus one per partition read on its own)',
      labelNames: ['job'],
      registers,
    }),
  };
}
