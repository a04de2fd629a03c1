package io.sonaflink.operators.events;

import java.util.Arrays;
import java.util.Objects;

/**
 * Feedback about a trajectory, or an imported example.
 *
 * @param id signal id
 * @param trajectoryId the trajectory it is about, or null (imports)
 * @param key adapter key
 * @param type kind of signal
 * @param source who produced it
 * @param weight how much it counts (the source's default unless given)
 * @param target corrected embedding (corrections and imports), or null
 * @param input the input embedding of an import (null otherwise: the trajectory supplies it)
 * @param timestamp event time, epoch milliseconds
 */
public record TrainingSignal(
        String id,
        String trajectoryId,
        AdapterKey key,
        SignalType type,
        SignalSource source,
        float weight,
        float[] target,
        float[] input,
        long timestamp) {

    public TrainingSignal {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(source, "source");
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof TrainingSignal)) {
            return false;
        }
        TrainingSignal that = (TrainingSignal) o;
        return Float.compare(weight, that.weight) == 0
                && timestamp == that.timestamp
                && id.equals(that.id)
                && Objects.equals(trajectoryId, that.trajectoryId)
                && key.equals(that.key)
                && type == that.type
                && source == that.source
                && Arrays.equals(target, that.target)
                && Arrays.equals(input, that.input);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, trajectoryId, key, type, source, weight, timestamp);
    }

    @Override
    public String toString() {
        return "TrainingSignal{id='" + id + "', trajectoryId='" + trajectoryId + "', key=" + key + ", type=" + type
                + ", source=" + source + ", weight=" + weight + '}';
    }
}
