export { KafkaClient, kafkaConfig, type Watermarks } from './client.js';
export { classifyKafkaError } from './errors.js';
export { createKafkaSource, KafkaSource, type KafkaSourceDeps } from './kafka-source.js';
export { createMapper, decimalToNs, type KafkaRecordIn, type RecordMapper } from './mapping.js';
export { type KafkaBatch, Merger, type MergerOptions, type PartitionSetup } from './merger.js';
export {
  defaultKafkaMapping,
  defaultKafkaSourceOptions,
  type KafkaEventId,
  type KafkaEventTime,
  type KafkaKey,
  type KafkaMapping,
  type KafkaSaslOptions,
  type KafkaSchemaKey,
  type KafkaSourceInput,
  type KafkaSourceOptions,
  KafkaTimeUnit,
  type KafkaTlsOptions,
  OnDisorder,
  parseJsonPath,
  resolveKafkaOptions,
} from './options.js';
export type { DisorderSample, KafkaPlan, TpPlan } from './plan.js';
export { SEEK_GUARD_RECORDS, type SeekResult, type TimeProbe, verifiedSeek } from './seek.js';
export { decodeToken, encodeToken, type KafkaResumeToken, restartOf } from './token.js';
export { compareKeys, KafkaPoisonReason, type OrderKey, type TopicPartition } from './types.js';
