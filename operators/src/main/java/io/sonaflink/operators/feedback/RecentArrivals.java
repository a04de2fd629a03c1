package io.sonaflink.operators.feedback;

import io.sonaflink.operators.events.Trajectory;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The feedback join's latest arrivals on the heap, by key and arrival number: the trajectory while
 * it waits out its hold, then only its id and arrival time while it is retained for late
 * corrections. The join writes through (its map states stay the only thing a checkpoint needs), so
 * the timer that moves a trajectory on and the one that forgets it read it here instead of from the
 * state backend: on RocksDB that is two lookups and a 1 KB deserialisation per trajectory saved. At
 * most {@code capacity} entries; beyond, the oldest arrival is dropped and read from state when due.
 * Flink-free; not thread-safe (one task thread).
 */
final class RecentArrivals {

    /**
     * One arrival.
     *
     * @param trajectory the trajectory with its signals applied while it waits; null once it moved on
     */
    record Arrival(String id, long arrivedAt, Trajectory trajectory) {}

    private record Slot(String key, long number) {}

    private final Map<Slot, Arrival> entries;

    RecentArrivals(int capacity) {
        this.entries = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Slot, Arrival> eldest) {
                return size() > capacity;
            }
        };
    }

    void arrived(String key, long number, Arrival arrival) {
        entries.put(new Slot(key, number), arrival);
    }

    /** The arrival, or null when it is not held here (dropped for room, or from before a restore). */
    Arrival get(String key, long number) {
        return entries.get(new Slot(key, number));
    }

    /** A waiting trajectory got a signal. */
    void updated(String key, long number, Trajectory joined) {
        entries.computeIfPresent(new Slot(key, number),
                (slot, a) -> a.trajectory() == null ? a : new Arrival(a.id(), a.arrivedAt(), joined));
    }

    /** The trajectory moved on: only what forgetting it needs stays. */
    void movedOn(String key, long number) {
        entries.computeIfPresent(new Slot(key, number), (slot, a) -> new Arrival(a.id(), a.arrivedAt(), null));
    }

    void forgotten(String key, long number) {
        entries.remove(new Slot(key, number));
    }

    int size() {
        return entries.size();
    }
}
