package io.sonaflink.operators.events;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An operator's command to the adapter gate, broadcast to every parallel gate task.
 *
 * @param id command id, echoed in the decisions it causes
 * @param command what to do
 * @param key the adapter key it applies to, or null for every key
 * @param kind the adapter kind it applies to, or null for both
 * @param version for {@link ControlCommand#ROLLBACK}: the version to return to (0: the version
 *     before the current champion); for {@link ControlCommand#PIN}: the version to pin (0: the
 *     current champion); for {@link ControlCommand#PROMOTE}: the held challenger's learner version
 *     it must be (0: whichever is held); 0 otherwise. Versions are numbered per key and kind, so a
 *     non-zero version needs a kind.
 * @param toggles governor toggles ({@link ControlCommand#SET_GOVERNOR}), else empty
 * @param thresholds thresholds by name ({@link ControlCommand#SET_THRESHOLDS}), else empty
 * @param timestamp epoch milliseconds; rollbacks it causes carry it as their creation time
 * @param ahead for {@link ControlCommand#PIN} of a key: pin it even though the gate has not seen
 *     it yet (it holds from the key's first event on); without it such a pin is refused
 */
public record Control(
        String id,
        ControlCommand command,
        AdapterKey key,
        AdapterKind kind,
        long version,
        Map<String, Boolean> toggles,
        Map<String, Double> thresholds,
        long timestamp,
        boolean ahead) {

    /** Minimum retention {@code q(candidate) / q(champion)} for a promotion. */
    public static final String THRESHOLD_RETENTION = "retention";
    /** Fraction of the pre-promotion mean quality below which a promotion is rolled back. */
    public static final String THRESHOLD_AUTO_ROLLBACK_QUALITY = "autoRollbackQuality";

    public Control {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(command, "command");
        if (version < 0) {
            throw new IllegalArgumentException("version must not be negative: " + version);
        }
        toggles = Collections.unmodifiableMap(new TreeMap<>(toggles == null ? Map.of() : toggles));
        thresholds = Collections.unmodifiableMap(new TreeMap<>(thresholds == null ? Map.of() : thresholds));
    }

    /** A command that is not a pin ahead of a key's first event. */
    public Control(String id, ControlCommand command, AdapterKey key, AdapterKind kind, long version,
            Map<String, Boolean> toggles, Map<String, Double> thresholds, long timestamp) {
        this(id, command, key, kind, version, toggles, thresholds, timestamp, false);
    }

    public static Control promote(String id, AdapterKey key, AdapterKind kind, long version, long timestamp) {
        return new Control(id, ControlCommand.PROMOTE, key, kind, version, null, null, timestamp);
    }

    public static Control rollback(String id, AdapterKey key, AdapterKind kind, long version, long timestamp) {
        return new Control(id, ControlCommand.ROLLBACK, key, kind, version, null, null, timestamp);
    }

    public static Control pin(String id, AdapterKey key, AdapterKind kind, long version, long timestamp) {
        return new Control(id, ControlCommand.PIN, key, kind, version, null, null, timestamp);
    }

    public static Control unpin(String id, AdapterKey key, long timestamp) {
        return new Control(id, ControlCommand.UNPIN, key, null, 0, null, null, timestamp);
    }

    public static Control pauseLearning(String id, AdapterKey key, long timestamp) {
        return new Control(id, ControlCommand.PAUSE_LEARNING, key, null, 0, null, null, timestamp);
    }

    public static Control resumeLearning(String id, AdapterKey key, long timestamp) {
        return new Control(id, ControlCommand.RESUME_LEARNING, key, null, 0, null, null, timestamp);
    }

    public static Control setGovernor(String id, AdapterKey key, Map<String, Boolean> toggles, long timestamp) {
        return new Control(id, ControlCommand.SET_GOVERNOR, key, null, 0, toggles, null, timestamp);
    }

    public static Control setThresholds(String id, AdapterKey key, Map<String, Double> thresholds, long timestamp) {
        return new Control(id, ControlCommand.SET_THRESHOLDS, key, null, 0, null, thresholds, timestamp);
    }

    /** Whether this command applies to {@code k}. */
    public boolean appliesTo(AdapterKey k) {
        return key == null || key.equals(k);
    }
}
