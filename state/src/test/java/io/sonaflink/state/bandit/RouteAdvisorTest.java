package io.sonaflink.state.bandit;

import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class RouteAdvisorTest {

    private static final RouteAdvisor ADVISOR = RouteAdvisor.DEFAULT; // 0.8 confidence, 0.5 similarity, c = sqrt 2

    /** n = 100, no quality spread: confidence 100/101 = 0.990. */
    private static final Pattern CONFIDENT = new Pattern(
            1L, new float[] {1f, 0f, 0f, 0f}, 100, 0.9, 0.0, "fast", Map.of("model", "small"),
            Map.of("temperature", 0.3), 1L, 1L);

    /** n = 4, no spread: confidence exactly 0.8, not above the hit threshold. */
    private static final Pattern BORDERLINE = new Pattern(
            2L, new float[] {0f, 1f, 0f, 0f}, 4, 0.9, 0.0, "slow", Map.of(), Map.of(), 1L, 1L);

    @Test
    void aConfidentSimilarPatternIsAHit() {
        ReasoningBank bank = new ReasoningBank(4, List.of(CONFIDENT, BORDERLINE), 3L);
        UcbBandit bandit = banditWithArms();

        // cosine 0.6 to CONFIDENT (>= 0.5), 0 to BORDERLINE
        RouteRecommendation hit = ADVISOR.recommend(bank, bandit, new float[] {3f, 0f, 0f, 4f});
        assertThat(hit.patternHit()).isTrue();
        assertThat(hit.patternId()).isEqualTo(1L);
        assertThat(hit.route()).isEqualTo("fast");
        assertThat(hit.discreteParams()).containsExactlyEntriesOf(Map.of("model", "small"));
        assertThat(hit.numericParams()).containsExactlyEntriesOf(Map.of("temperature", 0.3));
        assertThat(hit.confidence()).isCloseTo(100f / 101f, within(1e-6f));
        assertThat(hit.similarity()).isCloseTo(0.6f, within(1e-6f));
        assertThat(bandit.totalPulls()).isEqualTo(4); // recommending does not touch the bandit
    }

    @Test
    void otherwiseTheBanditChooses() {
        ReasoningBank bank = new ReasoningBank(4, List.of(CONFIDENT, BORDERLINE), 3L);
        UcbBandit bandit = banditWithArms();
        int expectedArm = bandit.select(Math.sqrt(2.0));
        assertThat(bandit.arm(expectedArm)).isEqualTo("route-b"); // see banditWithArms

        // similar enough but too little confidence (exactly 0.8 is not above 0.8)
        assertThat(BORDERLINE.confidence()).isEqualTo(0.8f);
        RouteRecommendation unsure = ADVISOR.recommend(bank, bandit, new float[] {0f, 1f, 0f, 0f});
        assertThat(unsure.patternHit()).isFalse();
        assertThat(unsure.patternId()).isZero();
        assertThat(unsure.route()).isEqualTo("route-b");
        assertThat(unsure.discreteParams()).isEmpty();
        assertThat(unsure.numericParams()).isEmpty();
        assertThat(unsure.confidence()).isCloseTo((float) bandit.meanReward(expectedArm), within(1e-7f));
        assertThat(unsure.similarity()).isZero();

        // confident but not similar enough: cosine 0.4 to CONFIDENT
        RouteRecommendation far = ADVISOR.recommend(bank, bandit, new float[] {2f, 0f, (float) Math.sqrt(21), 0f});
        assertThat(far.patternHit()).isFalse();
        assertThat(far.route()).isEqualTo("route-b");

        // a stricter advisor refuses what the default accepts
        RouteAdvisor strict = new RouteAdvisor(0.8f, 0.7f, Math.sqrt(2.0));
        assertThat(strict.recommend(bank, bandit, new float[] {3f, 0f, 0f, 4f}).patternHit()).isFalse();
        // and a greedy one (no exploration) picks another arm
        RouteAdvisor greedy = new RouteAdvisor(0.8f, 0.5f, 0.0);
        assertThat(greedy.recommend(bank, bandit, new float[] {0f, 0f, 1f, 0f}).route()).isEqualTo("route-a");
    }

    @Test
    void nothingKnownGivesAnEmptyRoute() {
        RouteRecommendation none =
                ADVISOR.recommend(ReasoningBank.create(4), UcbBandit.create(), new float[] {1f, 0f, 0f, 0f});
        assertThat(none.patternHit()).isFalse();
        assertThat(none.patternId()).isZero();
        assertThat(none.route()).isEmpty();
        assertThat(none.discreteParams()).isEmpty();
        assertThat(none.numericParams()).isEmpty();

        // an empty bank defers to the bandit
        UcbBandit bandit = UcbBandit.create();
        bandit.armIndex("only", 4);
        RouteRecommendation first = ADVISOR.recommend(ReasoningBank.create(4), bandit, new float[] {1f, 0f, 0f, 0f});
        assertThat(first.patternHit()).isFalse();
        assertThat(first.route()).isEqualTo("only");
    }

    /**
     * Three tried arms, N = 4: route-a mean 0.9 over 2 pulls, route-b 0.6 over 1, route-c 0.1 over 1.
     * UCB with c = sqrt 2: a 0.9 + sqrt(2 ln 4 / 2) = 2.077, b 0.6 + sqrt(2 ln 4) = 2.265,
     * c 0.1 + 1.665 = 1.765, so b. Greedy (c = 0) picks a.
     */
    private static UcbBandit banditWithArms() {
        return new UcbBandit(
                List.of("route-a", "route-b", "route-c"), new long[] {2, 1, 1}, new double[] {1.8, 0.6, 0.1}, 4);
    }
}
