package io.sonaflink.connectors.kafka;

import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.RawRecord;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Keeps a Kafka record's bytes and coordinates without interpreting them: parsing happens in the
 * job, where a bad record becomes a dead letter instead of failing the source. A null value
 * (tombstone) arrives as empty bytes and is dead-lettered as such.
 */
public final class RawRecordDeserializer implements KafkaRecordDeserializationSchema<RawRecord> {

    private static final long serialVersionUID = 1L;
    private static final byte[] EMPTY = new byte[0];

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawRecord> out) {
        byte[] value = record.value() == null ? EMPTY : record.value();
        out.collect(new RawRecord(value, record.topic(), record.partition(), record.offset()));
    }

    @Override
    public TypeInformation<RawRecord> getProducedType() {
        return EventCodecs.RAW_RECORD;
    }
}
