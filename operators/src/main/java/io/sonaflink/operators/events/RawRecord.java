package io.sonaflink.operators.events;

import java.util.Arrays;
import java.util.Objects;

/**
 * Bytes as a source delivered them, with their coordinates, before parsing: what the parser
 * turns into an event or a {@link DeadLetter}.
 *
 * @param bytes payload
 * @param source topic or file name
 * @param partition Kafka partition, or -1
 * @param offset Kafka offset or line number, or -1
 */
public record RawRecord(byte[] bytes, String source, int partition, long offset) {

    public RawRecord {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(source, "source");
    }

    public DeadLetter reject(String reason) {
        return new DeadLetter(bytes, source, partition, offset, reason);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof RawRecord)) {
            return false;
        }
        RawRecord that = (RawRecord) o;
        return partition == that.partition && offset == that.offset && Arrays.equals(bytes, that.bytes)
                && source.equals(that.source);
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, partition, offset) * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "RawRecord{source='" + source + "', partition=" + partition + ", offset=" + offset + ", bytes="
                + bytes.length + '}';
    }
}
