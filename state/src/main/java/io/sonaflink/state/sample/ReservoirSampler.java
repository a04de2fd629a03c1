package io.sonaflink.state.sample;

import io.sonaflink.state.math.DeterministicRandom;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A uniform sample of at most {@code capacity} items from a stream of unknown length (Vitter's
 * Algorithm R): every item seen so far is kept with the same probability {@code capacity / seen}.
 * Unlike the seed's bounded queue it never silently prefers the oldest items when a window sees
 * more than fits.
 *
 * <p>The replacement slot of the {@code n}-th item is a hash of {@code (seed, n)}, so the sample
 * depends only on the items and their order: a replay after failover keeps the same items.
 */
public final class ReservoirSampler<T> {

    private final int capacity;
    private long seed;
    private final List<T> items;
    private long seen;

    public ReservoirSampler(int capacity, long seed, List<T> items, long seen) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        if (items.size() > capacity || seen < items.size()) {
            throw new IllegalArgumentException("inconsistent reservoir: " + items.size() + " items, " + seen + " seen");
        }
        this.capacity = capacity;
        this.seed = seed;
        this.items = new ArrayList<>(items);
        this.seen = seen;
    }

    public static <T> ReservoirSampler<T> create(int capacity, long seed) {
        return new ReservoirSampler<>(capacity, seed, List.of(), 0L);
    }

    /** Offers one item; returns true when it was kept. */
    public boolean add(T item) {
        Objects.requireNonNull(item, "item");
        seen++;
        if (items.size() < capacity) {
            items.add(item);
            return true;
        }
        int slot = replacementSlot(seed, seen, capacity);
        if (slot >= 0) {
            items.set(slot, item);
            return true;
        }
        return false;
    }

    /**
     * Where the {@code seen}-th item (counting from 1) of a full reservoir goes: a slot in
     * {@code [0, capacity)} with probability {@code capacity / seen}, else -1 (not kept). Stores
     * that keep the slots themselves (a keyed map state) use this to stay O(1) per item.
     */
    public static int replacementSlot(long seed, long seen, int capacity) {
        long slot = new DeterministicRandom(DeterministicRandom.mix(seed ^ seen)).nextLong(seen);
        return slot < capacity ? (int) slot : -1;
    }

    /**
     * Returns the sample and starts a new one: the seen count restarts and the seed advances, so
     * successive windows draw independent slots.
     */
    public List<T> drain() {
        List<T> out = new ArrayList<>(items);
        items.clear();
        seen = 0;
        seed = DeterministicRandom.mix(seed + 1);
        return out;
    }

    public List<T> items() {
        return java.util.Collections.unmodifiableList(items);
    }

    public int size() {
        return items.size();
    }

    public int capacity() {
        return capacity;
    }

    /** The current window's seed. */
    public long seed() {
        return seed;
    }

    /** Items offered since the last drain, kept or not. */
    public long seen() {
        return seen;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ReservoirSampler)) {
            return false;
        }
        ReservoirSampler<?> that = (ReservoirSampler<?>) o;
        return capacity == that.capacity && seed == that.seed && seen == that.seen && items.equals(that.items);
    }

    @Override
    public int hashCode() {
        return Objects.hash(capacity, seed, seen, items);
    }
}
