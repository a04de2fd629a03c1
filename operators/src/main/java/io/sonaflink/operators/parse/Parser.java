package io.sonaflink.operators.parse;

import io.sonaflink.operators.events.RawRecord;

import java.io.Serializable;

/**
 * Parses one raw record into an event, never throwing on bad input. Serializable because a Flink
 * function holds it.
 *
 * @param <T> event type
 */
@FunctionalInterface
public interface Parser<T> extends Serializable {

    ParseResult<T> parse(RawRecord raw, ParseLimits limits);
}
