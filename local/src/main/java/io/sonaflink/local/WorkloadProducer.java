package io.sonaflink.local;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.util.Properties;

/** The producer that writes a workload into the input topics: the local run's replay and the benchmark's. */
final class WorkloadProducer {

    private WorkloadProducer() {}

    /**
     * @param lingerMs how long a batch waits for more records: long for a backlog, short or none
     *     when latency is measured from the moment a record is produced
     */
    static KafkaProducer<byte[], byte[]> open(Properties client, int lingerMs) {
        Properties p = new Properties();
        p.putAll(client);
        p.setProperty(ProducerConfig.ACKS_CONFIG, "all");
        p.setProperty(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.setProperty(ProducerConfig.LINGER_MS_CONFIG, String.valueOf(lingerMs));
        // With one request in flight (below) a round trip carries at most a batch per partition:
        // at the default 16 KB that is a few 256-d trajectories, and full speed was bound by the
        // round trips, not by the job or the broker.
        p.setProperty(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(512 * 1024));
        p.setProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        // One request in flight: a first batch refused while a new topic's leader settles is
        // retried before the next is sent; with several in flight the idempotent producer can loop
        // on out-of-order sequences until its delivery timeout (seen in tests and in the benchmark,
        // which then lost the batches).
        p.setProperty(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
