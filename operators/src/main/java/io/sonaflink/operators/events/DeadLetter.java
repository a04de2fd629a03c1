package io.sonaflink.operators.events;

import java.util.Arrays;
import java.util.Objects;

/**
 * An input that could not be used, kept whole: its raw bytes, where it came from and why it was
 * rejected.
 *
 * @param raw the bytes as received
 * @param source topic or file name ("" when unknown)
 * @param partition Kafka partition, or -1
 * @param offset Kafka offset or line number, or -1
 * @param reason a precise, human-readable reason
 */
public record DeadLetter(byte[] raw, String source, int partition, long offset, String reason) {

    public DeadLetter {
        Objects.requireNonNull(raw, "raw");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof DeadLetter)) {
            return false;
        }
        DeadLetter that = (DeadLetter) o;
        return partition == that.partition
                && offset == that.offset
                && Arrays.equals(raw, that.raw)
                && source.equals(that.source)
                && reason.equals(that.reason);
    }

    @Override
    public int hashCode() {
        return Objects.hash(source, partition, offset, reason) * 31 + Arrays.hashCode(raw);
    }

    @Override
    public String toString() {
        return "DeadLetter{source='" + source + "', partition=" + partition + ", offset=" + offset + ", reason='"
                + reason + "', bytes=" + raw.length + '}';
    }
}
