package io.sonaflink.operators.events;

import java.util.Objects;

/**
 * A request to the inference operator: adapt this embedding with the key's current adapters and
 * recommend a route.
 *
 * @param id query id, echoed in the response
 * @param key adapter key
 * @param embedding request embedding
 * @param timestamp epoch milliseconds
 */
public record Query(String id, AdapterKey key, float[] embedding, long timestamp) {

    public Query {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(embedding, "embedding");
    }
}
