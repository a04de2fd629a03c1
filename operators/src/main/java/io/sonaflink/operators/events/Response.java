package io.sonaflink.operators.events;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The inference operator's answer to a {@link Query}.
 *
 * @param id the query's id
 * @param key adapter key
 * @param microVersion MicroLoRA version applied, 0 for none
 * @param baseVersion BaseLoRA version applied, 0 for none
 * @param adapted {@code x + Δ_base(x) + Δ_micro(x)}
 * @param patternHit whether a stored pattern answered (confidence and similarity over the
 *     thresholds); otherwise the route is the key's best route over all its patterns
 * @param patternId the answering pattern, 0 on a miss
 * @param route recommended route ("" while the key has no patterns)
 * @param discreteParams recommended discrete parameters (the pattern's, on a hit)
 * @param numericParams recommended continuous parameters (the pattern's, on a hit)
 * @param confidence the pattern's confidence on a hit, else the route's mean quality
 * @param similarity cosine similarity of the pattern on a hit, else 0
 * @param timestamp the query's timestamp
 */
public record Response(
        String id,
        AdapterKey key,
        long microVersion,
        long baseVersion,
        float[] adapted,
        boolean patternHit,
        long patternId,
        String route,
        Map<String, String> discreteParams,
        Map<String, Double> numericParams,
        float confidence,
        float similarity,
        long timestamp) {

    public Response {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(adapted, "adapted");
        Objects.requireNonNull(route, "route");
        discreteParams = new TreeMap<>(discreteParams);
        numericParams = new TreeMap<>(numericParams);
    }
}
