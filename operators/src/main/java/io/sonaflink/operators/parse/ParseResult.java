package io.sonaflink.operators.parse;

import java.util.Objects;

/**
 * The outcome of parsing one payload: the event, or the reason it was rejected.
 *
 * @param <T> event type
 */
public sealed interface ParseResult<T> {

    static <T> ParseResult<T> parsed(T value) {
        return new Parsed<>(value);
    }

    static <T> ParseResult<T> rejected(String reason) {
        return new Rejected<>(reason);
    }

    /** A valid event. */
    record Parsed<T>(T value) implements ParseResult<T> {
        public Parsed {
            Objects.requireNonNull(value, "value");
        }
    }

    /** An unusable payload, with a reason that names the offending field. */
    record Rejected<T>(String reason) implements ParseResult<T> {
        public Rejected {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
