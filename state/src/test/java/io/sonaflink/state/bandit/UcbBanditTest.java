package io.sonaflink.state.bandit;

import io.sonaflink.state.math.DeterministicRandom;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class UcbBanditTest {

    private static final double C = Math.sqrt(2.0);

    /**
     * UCB1's pseudo-regret grows like log T. A learner stuck with a fixed share of exploration
     * (uniform, epsilon-greedy) grows linearly: R(T) / R(T/4) would be about 4, not about 1.
     */
    @Test
    void regretIsSublinearOnBernoulliArms() {
        double[] means = {0.5, 0.2, 0.7, 0.35, 0.6}; // best arm in the middle, second best 0.1 below
        int best = 2;
        int horizon = 20_000;
        double pooledRegret = 0;
        double pooledRegretAtQuarter = 0;
        for (long seed = 1; seed <= 5; seed++) {
            UcbBandit bandit = UcbBandit.create();
            for (int a = 0; a < means.length; a++) {
                assertThat(bandit.armIndex("arm-" + a, 16)).isEqualTo(a);
            }
            DeterministicRandom random = new DeterministicRandom(seed);
            double regret = 0;
            double regretAtQuarter = 0;
            int bestInLastQuarter = 0;
            for (int t = 1; t <= horizon; t++) {
                int arm = bandit.select(C);
                regret += means[best] - means[arm];
                bandit.update(arm, random.nextDouble() < means[arm] ? 1.0 : 0.0);
                if (t == horizon / 4) {
                    regretAtQuarter = regret;
                }
                if (t > 3 * horizon / 4 && arm == best) {
                    bestInLastQuarter++;
                }
            }
            assertThat(regret / horizon).as("seed %d: R(T)/T", seed).isLessThan(0.05);
            pooledRegret += regret;
            pooledRegretAtQuarter += regretAtQuarter;
            assertThat(bestInLastQuarter).as("seed %d: best arm pulls in the last quarter", seed)
                    .isGreaterThan((int) (0.8 * horizon / 4));
            assertThat(bandit.totalPulls()).isEqualTo(horizon);
            long[] pulls = bandit.pulls();
            long sum = 0;
            for (int a = 0; a < means.length; a++) {
                sum += pulls[a];
                // every arm keeps being explored a little: none starves
                assertThat(pulls[a]).isGreaterThan(10);
                assertThat(bandit.meanReward(a)).isCloseTo(means[a], within(a == best ? 0.02 : 0.15));
            }
            assertThat(sum).isEqualTo(horizon);
        }
        // over five runs (single runs range about 1.5 to 2.0 here, still short of the log regime)
        assertThat(pooledRegret / pooledRegretAtQuarter).as("R(T)/R(T/4)").isLessThan(2.0);
    }

    @Test
    void untriedArmsComeFirstInOrder() {
        UcbBandit bandit = UcbBandit.create();
        assertThat(bandit.select(C)).isEqualTo(-1);
        bandit.armIndex("a", 8);
        bandit.armIndex("b", 8);
        bandit.armIndex("c", 8);

        assertThat(bandit.select(C)).isZero();
        bandit.update(0, 1.0); // a perfect reward does not stop b and c from being tried
        assertThat(bandit.select(C)).isEqualTo(1);
        bandit.update(1, 0.0);
        assertThat(bandit.select(C)).isEqualTo(2);
        bandit.update(2, 0.5);

        // All tried: UCB scores. After one more reward 1 for a, N = 4, pulls (2, 1, 1), means (1, 0, 0.5).
        bandit.update(0, 1.0);
        // c = 1: a 1 + sqrt(ln4/2) = 1.833, b 0 + sqrt(ln4) = 1.177, c 0.5 + 1.177 = 1.677 -> a
        assertThat(bandit.select(1.0)).isZero();
        // c = 2: a 1 + 1.665 = 2.665, b 2.355, c 0.5 + 2.355 = 2.855 -> c
        assertThat(bandit.select(2.0)).isEqualTo(2);
        // c = 0: pure exploitation
        assertThat(bandit.select(0.0)).isZero();

        assertThat(bandit.meanReward(0)).isEqualTo(1.0);
        assertThat(bandit.meanReward(2)).isEqualTo(0.5);
        assertThat(bandit.pulls()).containsExactly(2L, 1L, 1L);
        assertThat(bandit.rewardSums()).containsExactly(2.0, 0.0, 0.5);
    }

    @Test
    void tiesGoToTheLowestIndex() {
        UcbBandit bandit = new UcbBandit(List.of("x", "y", "z"), new long[] {3, 3, 3}, new double[] {1.5, 1.5, 1.5}, 9);
        assertThat(bandit.select(C)).isZero();
    }

    @Test
    void armsAreCappedAtMaxArms() {
        UcbBandit bandit = UcbBandit.create();
        assertThat(bandit.armIndex("a", 2)).isZero();
        assertThat(bandit.armIndex("b", 2)).isEqualTo(1);
        assertThat(bandit.armIndex("c", 2)).isEqualTo(-1);
        assertThat(bandit.armIndex("a", 2)).isZero(); // known routes still resolve when full
        assertThat(bandit.arms()).containsExactly("a", "b");

        bandit.update("c", 1.0, 2); // does not fit: ignored
        assertThat(bandit.totalPulls()).isZero();
        assertThat(bandit.arms()).containsExactly("a", "b");
        assertThat(bandit.pulls()).containsExactly(0L, 0L);

        bandit.update("b", 0.75, 2);
        bandit.update("b", 0.25, 2);
        assertThat(bandit.totalPulls()).isEqualTo(2);
        assertThat(bandit.pulls()).containsExactly(0L, 2L);
        assertThat(bandit.meanReward(1)).isEqualTo(0.5);

        // A larger cap later admits new routes.
        bandit.update("c", 1.0, 3);
        assertThat(bandit.arms()).containsExactly("a", "b", "c");
        assertThat(bandit.pulls()).containsExactly(0L, 2L, 1L);
    }
}
