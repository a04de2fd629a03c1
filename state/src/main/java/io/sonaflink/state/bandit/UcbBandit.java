package io.sonaflink.state.bandit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * UCB1 over routes (Auer et al., 2002): each untried route is tried once, then the route with the
 * highest {@code mean reward + c * sqrt(ln N / n_route)} is chosen. Rewards are qualities in
 * [0, 1]. Routes are added as they are first seen, up to {@code maxArms}.
 */
public final class UcbBandit {

    private final List<String> arms;
    private long[] pulls;
    private double[] rewardSums;
    private long totalPulls;

    public UcbBandit(List<String> arms, long[] pulls, double[] rewardSums, long totalPulls) {
        if (arms.size() != pulls.length || arms.size() != rewardSums.length) {
            throw new IllegalArgumentException("arms, pulls and rewards differ in size");
        }
        this.arms = new ArrayList<>(arms);
        this.pulls = pulls;
        this.rewardSums = rewardSums;
        this.totalPulls = totalPulls;
    }

    public static UcbBandit create() {
        return new UcbBandit(List.of(), new long[0], new double[0], 0L);
    }

    /** Index of {@code route}, registering it if new and there is room; -1 when full. */
    public int armIndex(String route, int maxArms) {
        int i = arms.indexOf(route);
        if (i >= 0 || arms.size() >= maxArms) {
            return i;
        }
        arms.add(route);
        pulls = Arrays.copyOf(pulls, arms.size());
        rewardSums = Arrays.copyOf(rewardSums, arms.size());
        return arms.size() - 1;
    }

    /** Records the reward observed after taking {@code arm}. */
    public void update(int arm, double reward) {
        pulls[arm]++;
        rewardSums[arm] += reward;
        totalPulls++;
    }

    /** Records {@code reward} for {@code route}; ignored when the route does not fit. */
    public void update(String route, double reward, int maxArms) {
        int arm = armIndex(route, maxArms);
        if (arm >= 0) {
            update(arm, reward);
        }
    }

    /** The UCB choice, or -1 when no route is known. Deterministic: the lowest index wins ties. */
    public int select(double explorationWeight) {
        if (arms.isEmpty()) {
            return -1;
        }
        double logTotal = Math.log(Math.max(1L, totalPulls));
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int a = 0; a < arms.size(); a++) {
            if (pulls[a] == 0) {
                return a;
            }
            double score = rewardSums[a] / pulls[a] + explorationWeight * Math.sqrt(logTotal / pulls[a]);
            if (score > bestScore) {
                bestScore = score;
                best = a;
            }
        }
        return best;
    }

    public String arm(int index) {
        return arms.get(index);
    }

    public double meanReward(int arm) {
        return pulls[arm] == 0 ? 0.0 : rewardSums[arm] / pulls[arm];
    }

    public List<String> arms() {
        return List.copyOf(arms);
    }

    public long[] pulls() {
        return pulls.clone();
    }

    public double[] rewardSums() {
        return rewardSums.clone();
    }

    public long totalPulls() {
        return totalPulls;
    }

    public UcbBandit copy() {
        return new UcbBandit(arms, pulls.clone(), rewardSums.clone(), totalPulls);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof UcbBandit)) {
            return false;
        }
        UcbBandit that = (UcbBandit) o;
        return totalPulls == that.totalPulls
                && arms.equals(that.arms)
                && Arrays.equals(pulls, that.pulls)
                && Arrays.equals(rewardSums, that.rewardSums);
    }

    @Override
    public int hashCode() {
        return Objects.hash(arms, totalPulls);
    }
}
