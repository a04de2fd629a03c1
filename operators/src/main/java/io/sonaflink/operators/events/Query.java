package io.sonaflink.operators.events;

import java.util.Arrays;
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

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Query)) {
            return false;
        }
        Query that = (Query) o;
        return timestamp == that.timestamp
                && id.equals(that.id)
                && key.equals(that.key)
                && Arrays.equals(embedding, that.embedding);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, key, timestamp) * 31 + Arrays.hashCode(embedding);
    }

    @Override
    public String toString() {
        return "Query{id='" + id + "', key=" + key + ", dim=" + embedding.length + ", timestamp=" + timestamp + '}';
    }
}
