package io.sonaflink.operators.inference;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A task's bounded heap of ready-to-serve content, least recently used first out, bounded by the
 * bytes its values declare. The value just put is never the one evicted, so a value larger than
 * the whole bound is still served once. Flink-free; one task thread.
 */
final class ServingCache {

    private final long maxBytes;
    private final LinkedHashMap<String, Sized> values = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;
    private long evictions;

    ServingCache(long maxBytes) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("the cache needs a positive bound: " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /** The value under {@code slot}, now the most recently used; null if absent. */
    @SuppressWarnings("unchecked")
    <T> T get(String slot) {
        Sized s = values.get(slot);
        return s == null ? null : (T) s.value;
    }

    /** Puts {@code value}, of {@code size} bytes, under {@code slot}; evicts the least recently used beyond the bound. */
    void put(String slot, Object value, long size) {
        Sized previous = values.put(slot, new Sized(value, size));
        bytes += size - (previous == null ? 0 : previous.size);
        Iterator<Map.Entry<String, Sized>> oldest = values.entrySet().iterator();
        while (bytes > maxBytes && values.size() > 1) {
            Map.Entry<String, Sized> e = oldest.next();
            if (e.getKey().equals(slot)) {
                continue;
            }
            bytes -= e.getValue().size;
            oldest.remove();
            evictions++;
        }
    }

    void remove(String slot) {
        Sized s = values.remove(slot);
        if (s != null) {
            bytes -= s.size;
        }
    }

    long bytes() {
        return bytes;
    }

    int size() {
        return values.size();
    }

    long evictions() {
        return evictions;
    }

    private record Sized(Object value, long size) {}
}
