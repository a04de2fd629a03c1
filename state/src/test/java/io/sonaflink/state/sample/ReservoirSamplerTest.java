package io.sonaflink.state.sample;

import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.testing.Fixtures;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class ReservoirSamplerTest {

    @Test
    void keepsEverythingUnderCapacityAndNeverMore() {
        ReservoirSampler<Integer> sampler = ReservoirSampler.create(10, 42L);
        for (int i = 0; i < 7; i++) {
            assertThat(sampler.add(i)).isTrue();
        }
        assertThat(sampler.items()).containsExactly(0, 1, 2, 3, 4, 5, 6);
        assertThat(sampler.seen()).isEqualTo(7);

        int kept = 0;
        for (int i = 7; i < 1000; i++) {
            if (sampler.add(i)) {
                kept++;
            }
            assertThat(sampler.size()).isEqualTo(Math.min(10, i + 1));
            assertThat(sampler.seen()).isEqualTo(i + 1);
        }
        assertThat(sampler.capacity()).isEqualTo(10);
        assertThat(new HashSet<>(sampler.items())).hasSize(10).allMatch(v -> v >= 0 && v < 1000);
        // Algorithm R keeps item n with probability 10 / n: sum over n = 11..1000 is 10 (H_1000 - H_10) = 46.
        // Items 8..10 fill the reservoir; all 3 count as kept.
        assertThat(kept).isBetween(3 + 20, 3 + 80);
    }

    /**
     * Every item of the stream must end in the reservoir with the same probability capacity / n.
     * A drop-new buffer keeps only the first items, a FIFO ring only the last ones.
     */
    @Test
    void inclusionIsUniformOverTheStream() {
        int runs = 4000;
        int capacity = 10;
        int streamLength = 50;
        long[] included = new long[streamLength];
        DeterministicRandom seeds = new DeterministicRandom(2024);
        for (int run = 0; run < runs; run++) {
            ReservoirSampler<Integer> sampler = ReservoirSampler.create(capacity, seeds.nextLong());
            for (int i = 0; i < streamLength; i++) {
                sampler.add(i);
            }
            assertThat(sampler.items()).doesNotHaveDuplicates().hasSize(capacity);
            for (int item : sampler.items()) {
                included[item]++;
            }
        }
        double[] uniform = new double[streamLength];
        Arrays.fill(uniform, 1.0 / streamLength);
        // 49 degrees of freedom, 0.999 quantile 85.35
        assertThat(Fixtures.chiSquare(included, uniform)).isLessThan(85.4);
        double p = (double) capacity / streamLength;
        assertThat((double) included[0] / runs).isCloseTo(p, within(0.03));
        assertThat((double) included[streamLength - 1] / runs).isCloseTo(p, within(0.03));
        assertThat((double) included[streamLength / 2] / runs).isCloseTo(p, within(0.03));
    }

    /** Consecutive small seeds, as keyed state might use, must still give independent reservoirs. */
    @Test
    void inclusionIsUniformWithConsecutiveSeeds() {
        int runs = 4000;
        long[] included = new long[50];
        for (int run = 0; run < runs; run++) {
            ReservoirSampler<Integer> sampler = ReservoirSampler.create(10, run);
            for (int i = 0; i < 50; i++) {
                sampler.add(i);
            }
            for (int item : sampler.items()) {
                included[item]++;
            }
        }
        double[] uniform = new double[50];
        Arrays.fill(uniform, 1.0 / 50);
        assertThat(Fixtures.chiSquare(included, uniform)).isLessThan(85.4);
    }

    @Test
    void sameSeedSameInputSameSample() {
        ReservoirSampler<Integer> a = ReservoirSampler.create(16, 99L);
        ReservoirSampler<Integer> b = ReservoirSampler.create(16, 99L);
        ReservoirSampler<Integer> other = ReservoirSampler.create(16, 100L);
        for (int i = 0; i < 5000; i++) {
            assertThat(a.add(i)).isEqualTo(b.add(i));
            other.add(i);
        }
        assertThat(a.items()).containsExactlyElementsOf(b.items());
        assertThat(a).isEqualTo(b);
        assertThat(other.items()).isNotEqualTo(a.items());

        // Restoring from the checkpointed fields continues identically.
        ReservoirSampler<Integer> restored = new ReservoirSampler<>(16, a.seed(), new ArrayList<>(a.items()), a.seen());
        for (int i = 5000; i < 8000; i++) {
            assertThat(restored.add(i)).isEqualTo(a.add(i));
        }
        assertThat(restored).isEqualTo(a);
    }

    @Test
    void drainReturnsTheSampleAndStartsAFreshWindow() {
        ReservoirSampler<Integer> sampler = ReservoirSampler.create(8, 5L);
        for (int i = 0; i < 500; i++) {
            sampler.add(i);
        }
        List<Integer> before = new ArrayList<>(sampler.items());
        long seedBefore = sampler.seed();

        List<Integer> drained = sampler.drain();
        assertThat(drained).containsExactlyElementsOf(before);
        assertThat(sampler.size()).isZero();
        assertThat(sampler.seen()).isZero();
        assertThat(sampler.seed()).isNotEqualTo(seedBefore);
        drained.clear(); // the caller owns the returned list
        assertThat(sampler.size()).isZero();

        // The next window draws other slots: the same input gives another sample.
        for (int i = 0; i < 500; i++) {
            sampler.add(i);
        }
        assertThat(sampler.seen()).isEqualTo(500);
        assertThat(sampler.items()).isNotEqualTo(before);
        // and equals a fresh reservoir with the advanced seed
        ReservoirSampler<Integer> fresh = ReservoirSampler.create(8, sampler.seed());
        for (int i = 0; i < 500; i++) {
            fresh.add(i);
        }
        assertThat(fresh.items()).containsExactlyElementsOf(sampler.items());
    }

    @Test
    void rejectsInconsistentState() {
        assertThatThrownBy(() -> ReservoirSampler.create(0, 1L)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReservoirSampler<>(2, 1L, List.of(1, 2, 3), 3L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ReservoirSampler<>(4, 1L, List.of(1, 2, 3), 2L))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ReservoirSampler.<Integer>create(2, 1L).add(null))
                .isInstanceOf(NullPointerException.class);
    }
}
