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
 * @param error why the query could not be answered, or null for an answer; an error response
 *     carries only the query's id, its key when readable (else null) and its timestamp (0 when
 *     unreadable), so a client waiting on the id hears back
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
        long timestamp,
        String error) {

    public Response {
        Objects.requireNonNull(id, "id");
        if (error == null) {
            Objects.requireNonNull(key, "key");
        }
        Objects.requireNonNull(adapted, "adapted");
        Objects.requireNonNull(route, "route");
        discreteParams = new TreeMap<>(discreteParams);
        numericParams = new TreeMap<>(numericParams);
    }

    /** An answer. */
    public Response(String id, AdapterKey key, long microVersion, long baseVersion, float[] adapted,
            boolean patternHit, long patternId, String route, Map<String, String> discreteParams,
            Map<String, Double> numericParams, float confidence, float similarity, long timestamp) {
        this(id, key, microVersion, baseVersion, adapted, patternHit, patternId, route, discreteParams, numericParams,
                confidence, similarity, timestamp, null);
    }

    /** The reply to a query that could not be answered: its id, its key if known, and why. */
    public static Response rejected(String id, AdapterKey key, String error, long timestamp) {
        return new Response(id, key, 0, 0, new float[0], false, 0, "", Map.of(), Map.of(), Float.NaN, Float.NaN,
                timestamp, Objects.requireNonNull(error, "error"));
    }

    public boolean isError() {
        return error != null;
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
                && Objects.equals(key, that.key)
                && Objects.equals(error, that.error)
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
                + "', confidence=" + confidence + ", similarity=" + similarity
                + (error == null ? "" : ", error='" + error + '\'') + '}';
    }
}
