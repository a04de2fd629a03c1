package io.sonaflink.operators.parse;

import java.io.Serializable;

/**
 * What the parser accepts: the embedding dimension every vector must have, the largest payload it
 * will read at all, and whether a payload may come framed by a Schema Registry serializer.
 *
 * @param dimension number of values in an embedding (and in a target or input)
 * @param maxPayloadBytes payloads longer than this are rejected before any parsing
 * @param schemaRegistryFraming read JSON after a Confluent wire-format frame (magic byte 0 and a
 *     4-byte schema id), as a Schema Registry JSON serializer writes it; plain JSON is read either way
 */
public record ParseLimits(int dimension, int maxPayloadBytes, boolean schemaRegistryFraming) implements Serializable {

    public static final int DEFAULT_DIMENSION = 256;
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1 << 20;

    public static final ParseLimits DEFAULT = new ParseLimits(DEFAULT_DIMENSION, DEFAULT_MAX_PAYLOAD_BYTES);

    /** Limits for plain JSON payloads. */
    public ParseLimits(int dimension, int maxPayloadBytes) {
        this(dimension, maxPayloadBytes, false);
    }

    public ParseLimits {
        if (dimension < 1) {
            throw new IllegalArgumentException("dimension must be positive, got " + dimension);
        }
        if (maxPayloadBytes < 1) {
            throw new IllegalArgumentException("maxPayloadBytes must be positive, got " + maxPayloadBytes);
        }
        // Even the compact base64 form needs more than four bytes a value: a limit below that
        // would reject every event, which is a configuration mistake worth failing on at startup.
        if ((long) dimension * Float.BYTES > maxPayloadBytes) {
            throw new IllegalArgumentException("a " + dimension + "-dimensional embedding (" + (long) dimension
                    * Float.BYTES + " bytes as float32) cannot fit in a " + maxPayloadBytes + "-byte payload");
        }
    }

    /** The given dimension with the default payload limit. */
    public static ParseLimits ofDimension(int dimension) {
        return new ParseLimits(dimension, DEFAULT_MAX_PAYLOAD_BYTES);
    }
}
