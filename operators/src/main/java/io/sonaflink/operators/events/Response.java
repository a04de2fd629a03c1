package io.sonaflink.operators.events;

import java.util.Arrays;
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

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Response)) {
            return false;
        }
        Response that = (Response) o;
        return microVersion == that.microVersion
                && baseVersion == that.baseVersion
                && patternHit == that.patternHit
                && patternId == that.patternId
                && Float.compare(confidence, that.confidence) == 0
                && Float.compare(similarity, that.similarity) == 0
                && timestamp == that.timestamp
                && id.equals(that.id)
                && key.equals(that.key)
                && Arrays.equals(adapted, that.adapted)
                && route.equals(that.route)
                && discreteParams.equals(that.discreteParams)
                && numericParams.equals(that.numericParams);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, key, microVersion, baseVersion, patternId, route, timestamp) * 31
                + Arrays.hashCode(adapted);
    }

    @Override
    public String toString() {
        return "Response{id='" + id + "', key=" + key + ", micro=" + microVersion + ", base=" + baseVersion
                + ", dim=" + adapted.length + ", hit=" + patternHit + ", pattern=" + patternId + ", route='" + route
                + "', confidence=" + confidence + ", similarity=" + similarity + '}';
    }
}
