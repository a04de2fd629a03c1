package io.sonaflink.operators.testing;

import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
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

    /** Number of entries of {@code key}'s map state {@code descriptor}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static long mapSize(AbstractStreamOperator<?> operator, Object key, MapStateDescriptor<?, ?> descriptor)
            throws Exception {
        KeyedStateBackend backend = operator.getKeyedStateBackend();
        backend.setCurrentKey(key);
        MapState<?, ?> state = (MapState<?, ?>) backend.getPartitionedState(
                VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, descriptor);
        long n = 0;
        for (Object ignored : state.keys()) {
            n++;
        }
        return n;
    }
}
