package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.Control;

import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ReadOnlyBroadcastState;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How the gate's control settings are laid out in its broadcast states: each setting has a global
 * entry under its name and per-key overrides under {@code name@tenant/persona/domain}. A key's
 * override wins over the global entry; setting a value globally clears every override of that
 * setting, so "resume all" resumes all.
 */
final class GateControls {

    static final String PAUSED = "paused";
    static final String PINNED = "pinned";
    static final String GOVERNOR_PREFIX = "governor:";

    private GateControls() {}

    static String scoped(String name, String key) {
        return name + '@' + key;
    }

    /** The value of boolean setting {@code name} for {@code key}; false when never set. */
    static boolean flag(ReadOnlyBroadcastState<String, Boolean> flags, String name, String key) throws Exception {
        Boolean own = flags.get(scoped(name, key));
        if (own != null) {
            return own;
        }
        Boolean global = flags.get(name);
        return global != null && global;
    }

    /** The value of numeric setting {@code name} for {@code key}, or {@code fallback} when never set. */
    static double threshold(ReadOnlyBroadcastState<String, Double> thresholds, String name, String key,
            double fallback) throws Exception {
        Double own = thresholds.get(scoped(name, key));
        if (own != null) {
            return own;
        }
        Double global = thresholds.get(name);
        return global != null ? global : fallback;
    }

    /** Sets {@code name} for {@code key}, or for every key (clearing their overrides) when it is null. */
    static <V> void set(BroadcastState<String, V> state, String name, AdapterKey key, V value) throws Exception {
        if (key != null) {
            state.put(scoped(name, key.asString()), value);
            return;
        }
        String prefix = name + '@';
        List<String> overrides = new ArrayList<>();
        for (Map.Entry<String, V> e : state.entries()) {
            if (e.getKey().startsWith(prefix)) {
                overrides.add(e.getKey());
            }
        }
        for (String o : overrides) {
            state.remove(o);
        }
        state.put(name, value);
    }

    static String scope(AdapterKey key) {
        return key == null ? "every key" : key.asString();
    }

    /** Why {@code c} cannot be applied, or null when it can. */
    static String invalidReason(Control c) {
        switch (c.command()) {
            case ROLLBACK, PROMOTE:
                if (c.version() > 0 && c.kind() == null) {
                    return c.command() + " of a specific version needs a kind: versions are numbered per key and kind";
                }
                return null;
            case PIN:
                if (c.version() > 0 && (c.kind() == null || c.key() == null)) {
                    return "PIN of a specific version needs a key and a kind";
                }
                return null;
            case SET_GOVERNOR:
                return c.toggles().isEmpty() ? "SET_GOVERNOR without toggles" : null;
            case SET_THRESHOLDS:
                if (c.thresholds().isEmpty()) {
                    return "SET_THRESHOLDS without thresholds";
                }
                for (Map.Entry<String, Double> e : c.thresholds().entrySet()) {
                    try {
                        if (Control.THRESHOLD_RETENTION.equals(e.getKey())) {
                            AdapterGateConfig.checkRetention(e.getValue());
                        } else if (Control.THRESHOLD_AUTO_ROLLBACK_QUALITY.equals(e.getKey())) {
                            AdapterGateConfig.checkAutoRollbackQuality(e.getValue());
                        } else {
                            return "unknown threshold '" + e.getKey() + "' (known: " + Control.THRESHOLD_RETENTION
                                    + ", " + Control.THRESHOLD_AUTO_ROLLBACK_QUALITY + ")";
                        }
                    } catch (IllegalArgumentException invalid) {
                        return invalid.getMessage();
                    }
                }
                return null;
            default:
                return null;
        }
    }
}
