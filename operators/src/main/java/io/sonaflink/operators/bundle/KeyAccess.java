package io.sonaflink.operators.bundle;

import org.apache.flink.streaming.api.operators.AbstractStreamOperator;

/**
 * How an operator lets its function see and change the current key, which a {@link StateBundle}
 * needs to write each held key back to the keyed state backend.
 */
public interface KeyAccess {

    String currentKey();

    void setCurrentKey(String key);

    /** The current key of {@code operator}, a keyed operator whose keys are strings. */
    static KeyAccess of(AbstractStreamOperator<?> operator) {
        return new KeyAccess() {
            @Override
            public String currentKey() {
                return (String) operator.getCurrentKey();
            }

            @Override
            public void setCurrentKey(String key) {
                operator.setCurrentKey(key);
            }
        };
    }
}
