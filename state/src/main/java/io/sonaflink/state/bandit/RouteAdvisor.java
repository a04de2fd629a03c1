package io.sonaflink.state.bandit;

import java.io.Serializable;

import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.bank.SimilarPattern;

import java.util.Map;

/**
 * Chooses a route for a request (seed 004, {@code pre_query}): the most similar stored pattern's
 * parameters when it is confident enough (a pattern hit), otherwise the UCB bandit's route.
 *
 * <p>Unlike the seed, a hit also needs a minimum cosine similarity: the nearest pattern of an
 * unfamiliar request says nothing about it, however confident it is.
 *
 * @param hitConfidence pattern confidence above which it is used (seed 004: 0.8)
 * @param hitSimilarity minimum cosine similarity for a hit
 * @param explorationWeight UCB exploration weight {@code c}
 */
public record RouteAdvisor(float hitConfidence, float hitSimilarity, double explorationWeight) implements Serializable {

    public static final RouteAdvisor DEFAULT = new RouteAdvisor(0.8f, 0.5f, Math.sqrt(2.0));

    public RouteRecommendation recommend(ReasoningBank bank, UcbBandit bandit, float[] embedding) {
        SimilarPattern best = bank.findBest(embedding);
        if (best != null && best.pattern().confidence() > hitConfidence && best.similarity() >= hitSimilarity) {
            Pattern p = best.pattern();
            return new RouteRecommendation(
                    true, p.id(), p.route(), p.discreteParams(), p.numericParams(), p.confidence(), best.similarity());
        }
        int arm = bandit.select(explorationWeight);
        if (arm < 0) {
            return new RouteRecommendation(false, 0L, "", Map.of(), Map.of(), 0f, 0f);
        }
        return new RouteRecommendation(
                false, 0L, bandit.arm(arm), Map.of(), Map.of(), (float) bandit.meanReward(arm), 0f);
    }
}
