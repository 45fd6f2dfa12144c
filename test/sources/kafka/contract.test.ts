/**
 * The Kafka source passes the shared Source contract: the suite's events are produced to a topic
 * of 3 partitions (spread round robin, so every CEPtra partition merges several), event ids and
 * schema keys in headers, times as record timestamps. One mock cluster per source; the suite reads
 * one partition at a time, so every read is a scan of its own (a 3 s group join in the mock).
 */
import { createKafkaSource } from '../../../src/sources/kafka/index.js';
import { type KafkaCluster, produce, startKafka } from '../../helpers/kafka.js';
import { CONTRACT_PARTITIONS, sourceContract } from '../source-contract.js';
import { unique } from './fixtures.js';

sourceContract('KafkaSource', () => {
  let cluster: KafkaCluster | undefined;
  return {
    async open(data) {
      const topic = unique('contract');
      cluster = await startKafka({ topics: [{ name: topic, partitions: 3 }] });
      const all = [...data.values()]
        .flat()
        .sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : a.eventId < b.eventId ? -1 : 1));
      await produce(
        cluster.brokers,
        topic,
        all.map((e, i) => ({
          partition: i % 3,
          key: e.key,
          value: e.payload,
          timestamp: String(e.tsNs / 1_000_000n),
          headers: { id: e.eventId, sk: e.schemaKey },
        })),
      );
      return createKafkaSource({
        brokers: cluster.brokers,
        topics: [topic],
        ceptraPartitions: CONTRACT_PARTITIONS,
        mapping: {
          eventId: { from: 'header', name: 'id' },
          schemaKey: { from: 'header', name: 'sk' },
        },
        maxWaitTimeMs: 50,
      });
    },
    async cleanup() {
      await cluster?.stop();
    },
  };
});
