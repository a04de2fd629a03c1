package io.sonaflink.operators.parse;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.ControlCodec;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.events.Response;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.events.Trajectory;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Queue;

import static io.sonaflink.operators.parse.ParseFixtures.KEY;
import static io.sonaflink.operators.parse.ParseFixtures.LIMITS;
import static io.sonaflink.operators.parse.ParseFixtures.array;
import static io.sonaflink.operators.parse.ParseFixtures.base64;
import static io.sonaflink.operators.parse.ParseFixtures.control;
import static io.sonaflink.operators.parse.ParseFixtures.embedding;
import static io.sonaflink.operators.parse.ParseFixtures.key;
import static io.sonaflink.operators.parse.ParseFixtures.query;
import static io.sonaflink.operators.parse.ParseFixtures.raw;
import static io.sonaflink.operators.parse.ParseFixtures.signal;
import static io.sonaflink.operators.parse.ParseFixtures.target;
import static io.sonaflink.operators.parse.ParseFixtures.trajectory;
import static org.assertj.core.api.Assertions.assertThat;

class ParseFunctionTest {

    @Test
    void validTrajectoriesGoOnAndBadRecordsBecomeDeadLettersWithoutStoppingTheStream() throws Exception {
        RawRecord bad = new RawRecord(new byte[] {'{', '"', 'i', 'd', (byte) 0xC3}, "trajectories", 2, 41);
        try (OneInputStreamOperatorTestHarness<RawRecord, Trajectory> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(ParseFunction.trajectories(LIMITS))) {
            harness.processElement(raw(trajectory("t-1"), 40), 100L);
            harness.processElement(bad, 101L);
            harness.processElement(raw("[]", 42), 102L);
            harness.processElement(raw(trajectory("t-2"), 43), 103L);

            assertThat(harness.extractOutputValues()).extracting(Trajectory::id).containsExactly("t-1", "t-2");
            List<DeadLetter> deadLetters = deadLetters(harness);
            assertThat(deadLetters).hasSize(2);
            DeadLetter first = deadLetters.get(0);
            assertThat(first.raw()).isEqualTo(new byte[] {'{', '"', 'i', 'd', (byte) 0xC3});
            assertThat(first.source()).isEqualTo("trajectories");
            assertThat(first.partition()).isEqualTo(2);
            assertThat(first.offset()).isEqualTo(41);
            assertThat(first.reason()).startsWith("malformed JSON: ");
            assertThat(deadLetters.get(1)).isEqualTo(
                    new DeadLetter("[]".getBytes(), "events", 3, 42, "payload: expected a JSON object, got array"));
        }
    }

    @Test
    void signalsAreParsedTheSameWay() throws Exception {
        ObjectNode correction = signal("s-1", "correction");
        correction.set("target", array(target()));
        try (OneInputStreamOperatorTestHarness<RawRecord, TrainingSignal> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(ParseFunction.signals(LIMITS))) {
            harness.processElement(raw(signal("s-0", "foo"), 7), 0L);
            harness.processElement(raw(correction, 8), 0L);

            assertThat(harness.extractOutputValues()).extracting(TrainingSignal::id).containsExactly("s-1");
            assertThat(deadLetters(harness)).singleElement().satisfies(d -> {
                assertThat(d.offset()).isEqualTo(7);
                assertThat(d.reason()).startsWith("type: unknown value \"foo\"");
            });
        }
    }

    @Test
    void controlCommandsAreParsedTheSameWay() throws Exception {
        ObjectNode pin = control("c-1", "pin");
        pin.set("key", key());
        pin.put("kind", "micro");
        pin.put("version", 3);
        ObjectNode unknownThreshold = control("c-2", "set_thresholds");
        unknownThreshold.putObject("thresholds").put("minQuality", 0.5);
        RawRecord notJson = new RawRecord("pause everything".getBytes(), "control", 0, 12);
        try (OneInputStreamOperatorTestHarness<RawRecord, Control> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(ParseFunction.controls(LIMITS))) {
            harness.processElement(raw(pin, 10), 0L);
            harness.processElement(raw(unknownThreshold, 11), 0L);
            harness.processElement(notJson, 0L);
            harness.processElement(raw(control("c-3", "resume_learning").put("scope", "all"), 13), 0L);

            assertThat(harness.extractOutputValues()).containsExactly(
                    Control.pin("c-1", KEY, AdapterKind.MICRO, 3, 1_700_000_001_000L),
                    Control.resumeLearning("c-3", null, 1_700_000_001_000L));
            List<DeadLetter> deadLetters = deadLetters(harness);
            assertThat(deadLetters).extracting(DeadLetter::offset).containsExactly(11L, 12L);
            assertThat(deadLetters.get(0).reason()).isEqualTo(
                    "thresholds.minQuality: unknown threshold (expected one of retention, autoRollbackQuality)");
            assertThat(deadLetters.get(1).raw()).isEqualTo("pause everything".getBytes());
            assertThat(deadLetters.get(1).source()).isEqualTo("control");
            assertThat(deadLetters.get(1).reason()).startsWith("malformed JSON: ");
        }
        assertThat(ParseFunction.controls(LIMITS).getProducedType()).isSameAs(ControlCodec.TYPE);
    }

    @Test
    void queriesAreParsedTheSameWay() throws Exception {
        ObjectNode base64Query = query("q-2");
        base64Query.put("embedding", base64(embedding()));
        ObjectNode shortEmbedding = query("q-3");
        shortEmbedding.putArray("embedding").add(0.5f);
        InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
        try (MockEnvironment environment = environmentWith(metrics);
                OneInputStreamOperatorTestHarness<RawRecord, Query> harness = new OneInputStreamOperatorTestHarness<>(
                        new ProcessOperator<>(ParseFunction.queries(LIMITS)), environment)) {
            harness.open();
            harness.processElement(raw(query("q-1"), 20), 0L);
            harness.processElement(raw(shortEmbedding, 21), 0L);
            harness.processElement(raw(base64Query, 22), 0L);
            harness.processElement(raw("{\"id\": \"q-4\"", 23), 0L);

            assertThat(harness.extractOutputValues()).containsExactly(
                    new Query("q-1", KEY, embedding(), 1_700_000_002_000L),
                    new Query("q-2", KEY, embedding(), 1_700_000_002_000L));
            List<DeadLetter> deadLetters = deadLetters(harness);
            assertThat(deadLetters).extracting(DeadLetter::offset).containsExactly(21L, 23L);
            assertThat(deadLetters.get(0)).isEqualTo(new DeadLetter(raw(shortEmbedding, 21).bytes(), "events", 3, 21,
                    "embedding: expected 256 values, got 1"));
            assertThat(deadLetters.get(1).reason()).startsWith("malformed JSON: Unexpected end-of-input");
            assertThat(((Counter) metrics.get(ParseFunction.PARSED_COUNTER)).getCount()).isEqualTo(2);
            assertThat(((Counter) metrics.get(ParseFunction.DEAD_LETTER_COUNTER)).getCount()).isEqualTo(2);
            // the client of q-3 hears back; q-4's payload is not JSON, so there is no id to answer
            assertThat(harness.getSideOutput(ParseFunction.ERROR_RESPONSES)).extracting(StreamRecord::getValue)
                    .containsExactly(Response.rejected("q-3", KEY, "embedding: expected 256 values, got 1",
                            1_700_000_002_000L));
        }
        ParseFunction<Query> function = ParseFunction.queries(LIMITS);
        assertThat(function.getProducedType()).isSameAs(EventCodecs.QUERY);
        assertThat(InstantiationUtil.clone(function).getProducedType()).isEqualTo(EventCodecs.QUERY);
    }

    @Test
    void aFailingParserIsContainedAsADeadLetter() throws Exception {
        Parser<Trajectory> broken = (raw, limits) -> {
            throw new IllegalStateException("broken parser");
        };
        try (OneInputStreamOperatorTestHarness<RawRecord, Trajectory> harness = ProcessFunctionTestHarnesses
                .forProcessFunction(new ParseFunction<>(broken, LIMITS, EventCodecs.TRAJECTORY))) {
            harness.processElement(raw(trajectory("t-1"), 0), 0L);

            assertThat(harness.extractOutputValues()).isEmpty();
            assertThat(deadLetters(harness)).singleElement().extracting(DeadLetter::reason)
                    .isEqualTo("parser failed: java.lang.IllegalStateException: broken parser");
        }
    }

    @Test
    void countsParsedRecordsAndDeadLetters() throws Exception {
        InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
        try (MockEnvironment environment = environmentWith(metrics);
                OneInputStreamOperatorTestHarness<RawRecord, Trajectory> harness =
                        new OneInputStreamOperatorTestHarness<>(
                                new ProcessOperator<>(ParseFunction.trajectories(LIMITS)), environment)) {
            harness.open();
            harness.processElement(raw(trajectory("t-1"), 0), 0L);
            harness.processElement(raw("{", 1), 0L);
            harness.processElement(raw("", 2), 0L);

            assertThat(((Counter) metrics.get(ParseFunction.PARSED_COUNTER)).getCount()).isEqualTo(1);
            assertThat(((Counter) metrics.get(ParseFunction.DEAD_LETTER_COUNTER)).getCount()).isEqualTo(2);
        }
    }

    @Test
    void survivesJavaSerializationAndDeclaresItsTypes() throws Exception {
        ParseFunction<Trajectory> function = ParseFunction.trajectories(LIMITS);
        ParseFunction<Trajectory> copy = InstantiationUtil.clone(function);

        assertThat(function.getProducedType()).isSameAs(EventCodecs.TRAJECTORY);
        assertThat(copy.getProducedType()).isEqualTo(EventCodecs.TRAJECTORY);
        assertThat(ParseFunction.DEAD_LETTERS.getTypeInfo()).isSameAs(EventCodecs.DEAD_LETTER);
        try (OneInputStreamOperatorTestHarness<RawRecord, Trajectory> harness =
                ProcessFunctionTestHarnesses.forProcessFunction(copy)) {
            harness.processElement(raw(trajectory("t-1"), 0), 0L);
            assertThat(harness.extractOutputValues()).extracting(Trajectory::id).containsExactly("t-1");
        }
    }

    /** An environment whose operator metric group is {@code metrics}, so that counters can be read. */
    private static MockEnvironment environmentWith(InterceptingOperatorMetricGroup metrics) {
        return new MockEnvironmentBuilder()
                .setMetricGroup(new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
                    @Override
                    public InternalOperatorMetricGroup getOrAddOperator(
                            OperatorID id, String name, Map<String, String> info) {
                        return metrics;
                    }
                })
                .build();
    }

    private static List<DeadLetter> deadLetters(OneInputStreamOperatorTestHarness<RawRecord, ?> harness) {
        Queue<StreamRecord<DeadLetter>> side = harness.getSideOutput(ParseFunction.DEAD_LETTERS);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
    }
}
