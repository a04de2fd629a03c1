package io.sonaflink.operators.testing;

import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;

import java.util.stream.Stream;

/**
 * Counts keyed state entries left in an operator under test. Works on every backend, RocksDB
 * included (the harnesses' own entry counter supports only the heap backend).
 */
public final class KeyedStateProbe {

    private KeyedStateProbe() {}

    /** Number of (state, key) pairs holding a value, over the named states. */
    public static long entries(AbstractStreamOperator<?> operator, String... stateNames) {
        KeyedStateBackend<?> backend = operator.getKeyedStateBackend();
        long count = 0;
        for (String name : stateNames) {
            try (Stream<?> keys = backend.getKeys(name, VoidNamespace.INSTANCE)) {
                count += keys.count();
            }
        }
        return count;
    }
}
