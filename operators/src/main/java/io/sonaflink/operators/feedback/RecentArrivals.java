package io.sonaflink.operators.feedback;

import io.sonaflink.operators.events.Trajectory;

import java.util.HashMap;
import java.util.Map;

/**
 * The feedback join's latest arrivals on the heap, by key and arrival number: the trajectory while
 * it waits out its hold, then only its id and arrival time while it is retained for late
 * corrections. The join writes through (its map states stay the only thing a checkpoint needs), so
 * the timer that moves a trajectory on and the one that forgets it read it here instead of from the
 * state backend: on RocksDB that is two lookups and a 1.7 KB deserialisation per trajectory saved.
 *
 * <p>Each of the two stages holds at most {@code capacity} entries. Both are consumed in arrival
 * order, so when a stage is full a newcomer is not held (it is read from state when due) rather
 * than pushing out the oldest, which is the next one due. Flink-free; not thread-safe (one task
 * thread).
 */
final class RecentArrivals {

    /**
     * One arrival.
     *
     * @param trajectory the trajectory with its signals applied while it waits; null once it moved on
     */
    record Arrival(String id, long arrivedAt, Trajectory trajectory) {}

    private record Slot(String key, long number) {}

    private final int capacity;
    private final Map<Slot, Arrival> waiting = new HashMap<>();
    private final Map<Slot, Arrival> retained = new HashMap<>();

    RecentArrivals(int capacity) {
        this.capacity = capacity;
    }

    void arrived(String key, long number, Arrival arrival) {
        Map<Slot, Arrival> stage = arrival.trajectory() == null ? retained : waiting;
        if (stage.size() < capacity) {
            stage.put(new Slot(key, number), arrival);
        }
    }

    /** The arrival, or null when it is not held here (no room when it came, or from before a restore). */
    Arrival get(String key, long number) {
        Slot slot = new Slot(key, number);
        Arrival a = waiting.get(slot);
        return a != null ? a : retained.get(slot);
    }

    /** A waiting trajectory got a signal. */
    void updated(String key, long number, Trajectory joined) {
        waiting.computeIfPresent(new Slot(key, number), (slot, a) -> new Arrival(a.id(), a.arrivedAt(), joined));
    }

    /** The trajectory moved on: only what forgetting it needs stays. */
    void movedOn(String key, long number) {
        Slot slot = new Slot(key, number);
        Arrival a = waiting.remove(slot);
        if (a != null && retained.size() < capacity) {
            retained.put(slot, new Arrival(a.id(), a.arrivedAt(), null));
        }
    }

    void forgotten(String key, long number) {
        Slot slot = new Slot(key, number);
        waiting.remove(slot);
        retained.remove(slot);
    }
}
