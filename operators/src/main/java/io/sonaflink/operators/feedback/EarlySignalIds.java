package io.sonaflink.operators.feedback;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The trajectory ids that early signals wait for, on the heap, for the keys of which it knows every
 * one: a trajectory of such a key whose id is not here has no signals waiting, so the feedback join
 * need not look it up in the state backend (on RocksDB, a point read per trajectory while the key has
 * any early signal, which is most of the time while a backlog is read, since the signals topic is
 * read ahead of the trajectories topic).
 *
 * <p>A key becomes known when its first early signal arrives while none waits; it stays known until
 * none waits again. A key it does not know (after a restore, or dropped to keep at most {@code
 * capacity} ids) is looked up in state as before. Flink-free; not thread-safe (one task thread).
 */
final class EarlySignalIds {

    private final int capacity;
    private final Map<String, Set<String>> byKey = new HashMap<>();
    private int size;

    EarlySignalIds(int capacity) {
        this.capacity = capacity;
    }

    /**
     * Whether signals of {@code key} may wait for trajectory {@code id}, given how many early
     * signal arrivals the key has waiting; false only when that is certain.
     */
    boolean mayWait(String key, long waiting, String id) {
        if (waiting == 0) {
            return false;
        }
        Set<String> ids = byKey.get(key);
        return ids == null || ids.contains(id);
    }

    /**
     * A signal of {@code key} now waits for {@code id}; {@code waitingBefore} early signal arrivals
     * of the key waited before it.
     */
    void added(String key, long waitingBefore, String id) {
        Set<String> ids = byKey.get(key);
        if (ids == null) {
            if (waitingBefore != 0 || capacity == 0) {
                return; // others wait that this index has not seen: the key stays unknown
            }
            ids = new HashSet<>();
            byKey.put(key, ids);
        }
        if (ids.add(id) && ++size > capacity) {
            forget(key);
        }
    }

    /** The signals of {@code key} for {@code id} are gone (applied or expired). */
    void removed(String key, String id) {
        Set<String> ids = byKey.get(key);
        if (ids != null && ids.remove(id)) {
            size--;
        }
    }

    /** No early signal of {@code key} waits any more, or its ids are not all known. */
    void forget(String key) {
        Set<String> ids = byKey.remove(key);
        if (ids != null) {
            size -= ids.size();
        }
    }

    /** Ids held, over all keys. */
    int size() {
        return size;
    }
}
