package io.sonaflink.connectors.kafka;

import io.sonaflink.operators.events.RawRecord;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.DefaultKafkaDatasetIdentifier;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacet;
import org.apache.flink.connector.kafka.lineage.KafkaDatasetFacetProvider;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * Kafka sources and sinks of the job. Sources deliver raw records with their coordinates;
 * sinks write JSON values keyed by adapter key (so one key's updates stay in order on one
 * partition) exactly once, through Kafka transactions committed on checkpoints.
 */
public final class SonaKafka {

    /** Longest a transaction may stay open; brokers cap it at 15 min by default. */
    public static final long DEFAULT_TRANSACTION_TIMEOUT_MS = 900_000L;

    private SonaKafka() {}

    /**
     * A source of raw records from {@code topic}, starting at the group's committed offsets (the
     * earliest for a new group).
     *
     * @param bounded stop at the offsets that are latest when the job starts (replays, tests)
     */
    public static KafkaSource<RawRecord> rawSource(
            String bootstrapServers, String topic, String groupId, Properties clientProperties, boolean bounded) {
        KafkaSourceBuilder<RawRecord> builder = KafkaSource.<RawRecord>builder()
                .setBootstrapServers(bootstrapServers)
                .setTopics(topic)
                .setGroupId(groupId)
                .setProperties(clientProperties)
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new RawRecordDeserializer());
        if (bounded) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    /**
     * An exactly-once sink of JSON values to {@code topic}.
     *
     * @param key the Kafka key of an element (its adapter key), or null for none
     * @param value the element's JSON bytes
     * @param transactionalIdPrefix unique per job and sink: transactions of a restarted job are
     *     recovered and aborted by it
     */
    public static <T> KafkaSink<T> exactlyOnceSink(
            String bootstrapServers, String topic, SerializableFunction<T, String> key,
            SerializableFunction<T, byte[]> value, String transactionalIdPrefix, Properties clientProperties,
            long transactionTimeoutMs) {
        return sink(bootstrapServers, topic, key, value, DeliveryGuarantee.EXACTLY_ONCE, transactionalIdPrefix,
                TransactionNamingStrategy.DEFAULT, clientProperties, transactionTimeoutMs);
    }

    /**
     * A sink of JSON values to {@code topic} with the given guarantee: exactly once (records become
     * visible to read_committed consumers when the checkpoint after them completes) or at least
     * once (visible at once; a restart may repeat records written since the last checkpoint).
     * {@code naming} says how exactly-once transactions are named: a new id per checkpoint, or ids
     * reused from a pool, which keeps the broker's transaction metadata bounded.
     */
    public static <T> KafkaSink<T> sink(
            String bootstrapServers, String topic, SerializableFunction<T, String> key,
            SerializableFunction<T, byte[]> value, DeliveryGuarantee guarantee, String transactionalIdPrefix,
            TransactionNamingStrategy naming, Properties clientProperties, long transactionTimeoutMs) {
        Properties producer = new Properties();
        producer.putAll(clientProperties);
        producer.setProperty("transaction.timeout.ms", Long.toString(transactionTimeoutMs));
        return KafkaSink.<T>builder()
                .setBootstrapServers(bootstrapServers)
                .setKafkaProducerConfig(producer)
                .setRecordSerializer(new TopicRecordSerializer<>(topic, key, value))
                .setDeliveryGuarantee(guarantee)
                .setTransactionalIdPrefix(transactionalIdPrefix)
                .setTransactionNamingStrategy(naming)
                .build();
    }

    /**
     * Records of one topic, keyed and rendered by the given functions. It names its topic to the
     * sink (as Flink's lineage facet): the connector refuses pooled transaction names without it.
     */
    private static final class TopicRecordSerializer<T>
            implements KafkaRecordSerializationSchema<T>, KafkaDatasetFacetProvider {
        private static final long serialVersionUID = 1L;

        private final String topic;
        private final SerializableFunction<T, String> key;
        private final SerializableFunction<T, byte[]> value;

        TopicRecordSerializer(String topic, SerializableFunction<T, String> key, SerializableFunction<T, byte[]> value) {
            this.topic = topic;
            this.key = key;
            this.value = value;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(T element, KafkaSinkContext context, Long timestamp) {
            String k = key.apply(element);
            return new ProducerRecord<>(topic, k == null ? null : k.getBytes(StandardCharsets.UTF_8),
                    value.apply(element));
        }

        @Override
        public Optional<KafkaDatasetFacet> getKafkaDatasetFacet() {
            return Optional.of(new DefaultKafkaDatasetFacet(DefaultKafkaDatasetIdentifier.ofTopics(List.of(topic))));
        }
    }
}
