package io.sonaflink.operators.parse;

import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.ControlCodec;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.Response;
import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.events.Trajectory;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * Parses raw records into events: valid ones go to the main output, the others to
 * {@link #DEAD_LETTERS} with their bytes and coordinates unchanged and the reason. Bad input never
 * fails the job; it is counted ({@value #PARSED_COUNTER} and {@value #DEAD_LETTER_COUNTER}).
 *
 * @param <T> event type
 */
public class ParseFunction<T> extends ProcessFunction<RawRecord, T> implements ResultTypeQueryable<T> {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(ParseFunction.class);

    /** Records that could not be parsed. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS = new OutputTag<>("dead-letters", EventCodecs.DEAD_LETTER);

    /** Replies to rejected queries whose id could be read, for the responses output. */
    public static final OutputTag<Response> ERROR_RESPONSES = new OutputTag<>("error-responses", EventCodecs.RESPONSE);

    public static final String PARSED_COUNTER = "parsed";
    public static final String DEAD_LETTER_COUNTER = "deadLetters";

    private final Parser<T> parser;
    private final ParseLimits limits;
    private final TypeInformation<T> producedType;
    private final RejectionReply rejectionReply;

    private transient Counter parsed;
    private transient Counter deadLetters;

    public ParseFunction(Parser<T> parser, ParseLimits limits, TypeInformation<T> producedType) {
        this(parser, limits, producedType, null);
    }

    /** @param rejectionReply what a rejected record's sender hears back, or null for nothing */
    public ParseFunction(Parser<T> parser, ParseLimits limits, TypeInformation<T> producedType,
            RejectionReply rejectionReply) {
        this.parser = Objects.requireNonNull(parser, "parser");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.producedType = Objects.requireNonNull(producedType, "producedType");
        this.rejectionReply = rejectionReply;
    }

    public static ParseFunction<Trajectory> trajectories(ParseLimits limits) {
        return new ParseFunction<>(EventParser::parseTrajectory, limits, EventCodecs.TRAJECTORY);
    }

    public static ParseFunction<TrainingSignal> signals(ParseLimits limits) {
        return new ParseFunction<>(EventParser::parseSignal, limits, EventCodecs.TRAINING_SIGNAL);
    }

    /** Control commands; of the limits only the payload size applies, as commands carry no embedding. */
    public static ParseFunction<Control> controls(ParseLimits limits) {
        return new ParseFunction<>(EventParser::parseControl, limits, ControlCodec.TYPE);
    }

    /**
     * Queries to the inference operator. A rejected query whose id can be read also gets an error
     * response ({@link #ERROR_RESPONSES}), so that a client waiting on the id hears back.
     */
    public static ParseFunction<Query> queries(ParseLimits limits) {
        return new ParseFunction<>(EventParser::parseQuery, limits, EventCodecs.QUERY, EventParser::queryRejection);
    }

    @Override
    public void open(OpenContext openContext) {
        parsed = getRuntimeContext().getMetricGroup().counter(PARSED_COUNTER);
        deadLetters = getRuntimeContext().getMetricGroup().counter(DEAD_LETTER_COUNTER);
    }

    @Override
    public void processElement(RawRecord raw, Context ctx, Collector<T> out) {
        ParseResult<T> result;
        try {
            result = parser.parse(raw, limits);
        } catch (RuntimeException e) {
            // A parser bug. Failing would replay the same record forever after every restart, so the
            // record is kept as a dead letter and the bug is logged with its stack trace.
            LOG.error("Parser failed on {}; sent to dead letters", raw, e);
            result = ParseResult.rejected("parser failed: " + EventParser.oneLine(e.toString()));
        }
        if (result instanceof ParseResult.Parsed<T> valid) {
            parsed.inc();
            out.collect(valid.value());
        } else {
            deadLetters.inc();
            String reason = ((ParseResult.Rejected<T>) result).reason();
            ctx.output(DEAD_LETTERS, raw.reject(reason));
            Response reply = rejectionReply == null ? null : rejectionReply.reply(raw, reason, limits);
            if (reply != null) {
                ctx.output(ERROR_RESPONSES, reply);
            }
        }
    }

    /** The reply to a sender whose record was rejected. */
    @FunctionalInterface
    public interface RejectionReply extends java.io.Serializable {
        /** The reply, or null when there is no one to reply to. */
        Response reply(RawRecord raw, String reason, ParseLimits limits);
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return producedType;
    }
}
