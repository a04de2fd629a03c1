package io.sonaflink.operators.bundle;

import org.apache.flink.api.common.state.ValueState;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Flink's mini-batch technique for per-key values: the values an operator reads and writes for
 * every event are kept on the heap for the keys touched since the last flush, and written to the
 * keyed state backend in one go, before every checkpoint barrier ({@code
 * prepareSnapshotPreBarrier}), when more than {@code maxKeys} keys are held (the oldest is
 * written), and before anything reads the backend directly (commands iterating keys). An event
 * then costs heap accesses instead of a RocksDB read and write of each value.
 *
 * <p>Exactly-once holds because a checkpoint never sees the backend without the bundle: the flush
 * precedes the barrier, and a failure loses the bundle together with everything after the last
 * checkpoint, which the sources replay. A flush also forgets the bundled objects: the heap backend
 * snapshots asynchronously the very objects it was given, so they must not be changed after it.
 */
public final class StateBundle {

    /** Keys held on the heap at most unless configured: a few MB for the values bundled today. */
    public static final int DEFAULT_MAX_KEYS = 4096;

    private final Supplier<String> currentKey;
    private final Consumer<String> keySetter;
    private final int maxKeys;
    private final List<Value<?>> values = new ArrayList<>();
    private final LinkedHashSet<String> keys = new LinkedHashSet<>();
    private boolean flushing;

    /**
     * @param currentKey the operator's current key
     * @param keySetter makes a key current in the keyed state backend (the operator's {@code setCurrentKey})
     * @param maxKeys keys held on the heap at most
     */
    public StateBundle(Supplier<String> currentKey, Consumer<String> keySetter, int maxKeys) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be positive, got " + maxKeys);
        }
        this.currentKey = currentKey;
        this.keySetter = keySetter;
        this.maxKeys = maxKeys;
    }

    /** A value state read and written through this bundle. */
    public <V> Value<V> bundle(ValueState<V> state) {
        Value<V> value = new Value<>(state);
        values.add(value);
        return value;
    }

    /** Keys held on the heap now. */
    public int size() {
        return keys.size();
    }

    /** Writes every held value to the backend and forgets them; the current key is restored after. */
    public void flush() throws Exception {
        if (keys.isEmpty()) {
            return;
        }
        String restore = currentKey.get();
        flushing = true;
        try {
            for (String key : keys) {
                write(key);
            }
            keys.clear();
        } finally {
            flushing = false;
            if (restore != null) {
                keySetter.accept(restore);
            }
        }
    }

    private void touched(String key) throws IOException {
        if (flushing || !keys.add(key) || keys.size() <= maxKeys) {
            return;
        }
        Iterator<String> oldest = keys.iterator();
        String evicted = oldest.next();
        oldest.remove();
        flushing = true;
        try {
            write(evicted);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot write the bundled state of key " + evicted, e);
        } finally {
            flushing = false;
            keySetter.accept(key);
        }
    }

    private void write(String key) throws Exception {
        keySetter.accept(key);
        for (Value<?> v : values) {
            v.writeBack(key);
        }
    }

    /** One bundled value state, used as the {@link ValueState} it wraps. */
    public final class Value<V> implements ValueState<V> {
        private final ValueState<V> state;
        private final Map<String, Slot<V>> held = new HashMap<>();

        private Value(ValueState<V> state) {
            this.state = state;
        }

        @Override
        public V value() throws IOException {
            String key = currentKey.get();
            Slot<V> slot = held.get(key);
            if (slot == null) {
                slot = new Slot<>(state.value(), false);
                held.put(key, slot);
                touched(key);
            }
            return slot.value;
        }

        @Override
        public void update(V value) throws IOException {
            String key = currentKey.get();
            Slot<V> slot = held.get(key);
            if (slot == null) {
                held.put(key, new Slot<>(value, true));
                touched(key);
            } else {
                slot.value = value;
                slot.dirty = true;
            }
        }

        @Override
        public void clear() {
            try {
                update(null);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void writeBack(String key) throws Exception {
            Slot<V> slot = held.remove(key);
            if (slot == null || !slot.dirty) {
                return;
            }
            if (slot.value == null) {
                state.clear();
            } else {
                state.update(slot.value);
            }
        }
    }

    private static final class Slot<V> {
        V value;
        boolean dirty;

        Slot(V value, boolean dirty) {
            this.value = value;
            this.dirty = dirty;
        }
    }
}
