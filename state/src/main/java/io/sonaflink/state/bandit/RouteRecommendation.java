package io.sonaflink.state.bandit;

import java.util.Map;

/**
 * The route and parameters to use for a request.
 *
 * @param patternHit true when a confident, similar pattern supplied the answer
 * @param patternId that pattern's id, or 0
 * @param route recommended route (empty when nothing is known yet)
 * @param discreteParams recommended discrete parameters
 * @param numericParams recommended continuous parameters
 * @param confidence the pattern's confidence on a hit, else the chosen route's mean reward
 * @param similarity cosine similarity of the pattern on a hit, else 0
 */
public record RouteRecommendation(
        boolean patternHit,
        long patternId,
        String route,
        Map<String, String> discreteParams,
        Map<String, Double> numericParams,
        float confidence,
        float similarity) {}
