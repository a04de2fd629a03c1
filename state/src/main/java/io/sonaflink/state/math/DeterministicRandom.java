package io.sonaflink.state.math;

/**
 * SplitMix64: a tiny, seedable generator whose whole state is one {@code long}, so it can be kept
 * in Flink state and replayed bit for bit after a failover ({@link java.util.Random} and {@link
 * java.util.SplittableRandom} hide their state).
 */
public final class DeterministicRandom {

    private long state;

    public DeterministicRandom(long seed) {
        this.state = seed;
    }

    /** The generator's state; {@code new DeterministicRandom(r.state())} continues the sequence. */
    public long state() {
        return state;
    }

    public long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return mix(state);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound), bound &gt; 0, without modulo bias. */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        return (int) nextLong(bound);
    }

    /** Uniform in [0, bound), bound &gt; 0, without modulo bias. */
    public long nextLong(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        long limit = Long.MAX_VALUE - (Long.MAX_VALUE % bound);
        long r;
        do {
            r = nextLong() >>> 1;
        } while (r >= limit);
        return r % bound;
    }

    /** Standard normal via Box-Muller (one value per call; simple and deterministic). */
    public double nextGaussian() {
        double u1 = nextDouble();
        double u2 = nextDouble();
        if (u1 < 1e-300) {
            u1 = 1e-300;
        }
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** A well-mixed 64-bit hash of {@code z}; also usable to derive per-key seeds. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** 64-bit FNV-1a of {@code text}'s characters: the same on every JVM and every run. */
    public static long hash(String text) {
        long hash = 0xCBF29CE484222325L;
        for (int i = 0; i < text.length(); i++) {
            hash ^= text.charAt(i);
            hash *= 0x100000001B3L;
        }
        return hash;
    }
}
