package io.sonaflink.jobs;

import io.sonaflink.jobs.testing.CollectingSink;
import io.sonaflink.operators.events.EventCodecs;
import io.sonaflink.operators.events.RawRecord;

import org.apache.flink.api.dag.Transformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.transformations.SinkTransformation;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pins every operator uid. A changed uid orphans that operator's state in every user's savepoint,
 * and nothing else would notice: change this list only together with a state migration note.
 */
class SonaPipelineUidsTest {

    private static final List<String> UIDS = List.of(
            "sona.adapter-gate",
            "sona.background-loop",
            "sona.control-none",
            "sona.feedback-join-by-key",
            "sona.inference",
            "sona.parse-control",
            "sona.parse-queries",
            "sona.parse-signals",
            "sona.parse-trajectories",
            "sona.queries-none",
            "sona.serving-adapters",
            "sona.serving-patterns",
            "sona.sink.adapter-updates",
            "sona.sink.dead-letters",
            "sona.sink.gate-decisions",
            "sona.sink.pattern-snapshots",
            "sona.sink.responses",
            "sona.sink.skill-maps",
            "sona.source.control",
            "sona.source.queries",
            "sona.source.signals",
            "sona.source.trajectories");

    @Test
    void everyOperatorHasItsPinnedUid() {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.AUTO_GENERATE_UIDS, false); // a missing uid fails here
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        RawRecord record = new RawRecord("{}".getBytes(StandardCharsets.UTF_8), "test", -1, -1);
        SonaPipeline.build(
                env.fromData(List.of(record), EventCodecs.RAW_RECORD).uid("sona.source.trajectories"),
                env.fromData(List.of(record), EventCodecs.RAW_RECORD).uid("sona.source.signals"),
                EmptyInputs.none(env, "control"),
                EmptyInputs.none(env, "queries"),
                new SonaSinks(new CollectingSink<>("u1"), new CollectingSink<>("u2"), new CollectingSink<>("u3"),
                        new CollectingSink<>("u4"), new CollectingSink<>("u5"), new CollectingSink<>("u6")),
                conf);

        assertThat(uids(env)).containsExactlyElementsOf(UIDS);
    }

    /** The Kafka job has the same operators; its control stream comes from a topic. */
    @Test
    void theKafkaJobHasThePinnedUids() {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        SonaJob.build(env, conf);
        TreeSet<String> expected = new TreeSet<>(UIDS);
        expected.remove("sona.control-none");
        expected.remove("sona.queries-none");
        // a transactional sink's committer takes a uid derived from the sink's
        UIDS.stream().filter(u -> u.startsWith("sona.sink.")).forEach(u -> expected.add("Sink Committer: " + u));
        assertThat(uids(env)).containsExactlyElementsOf(expected);
    }

    /** A configured registry adds its sinks (and their committers), with uids of their own. */
    @Test
    void theRegistrySinkHasAPinnedUid() {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        conf.set(SonaOptions.REGISTRY_URI, "file:///tmp/registry");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        SonaJob.build(env, conf);

        assertThat(uids(env)).contains("sona.sink.adapter-registry", "Sink Committer: sona.sink.adapter-registry",
                "sona.sink.pattern-registry", "Sink Committer: sona.sink.pattern-registry");
    }

    /**
     * Responses are at least once by default (a query is answered in milliseconds, not at the next
     * checkpoint) and exactly once where configured; every other output stays exactly once.
     */
    @Test
    void responsesAreAtLeastOnceByDefaultAndExactlyOnceWhereConfigured() throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        SonaJob.build(env, conf);
        assertThat(guarantee(env, "sona.sink.responses")).isEqualTo(DeliveryGuarantee.AT_LEAST_ONCE);
        assertThat(guarantee(env, "sona.sink.adapter-updates")).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);

        conf.set(SonaOptions.RESPONSES_DELIVERY, DeliveryGuarantee.EXACTLY_ONCE);
        StreamExecutionEnvironment exactlyOnce = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        SonaJob.build(exactlyOnce, conf);
        assertThat(guarantee(exactlyOnce, "sona.sink.responses")).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(uids(exactlyOnce)).isEqualTo(uids(env)); // a savepoint of either restores into the other
    }

    /** The guarantee a Kafka sink was built with (the sink exposes it only to its writer). */
    private static DeliveryGuarantee guarantee(StreamExecutionEnvironment env, String uid) throws Exception {
        for (Transformation<?> t : env.getTransformations()) {
            if (t instanceof SinkTransformation<?, ?> sink && uid.equals(sink.getUid())) {
                Field field = KafkaSink.class.getDeclaredField("deliveryGuarantee");
                field.setAccessible(true);
                return (DeliveryGuarantee) field.get(sink.getSink());
            }
        }
        throw new AssertionError("no sink with uid " + uid);
    }

    private static TreeSet<String> uids(StreamExecutionEnvironment env) {
        TreeSet<String> uids = new TreeSet<>();
        for (StreamNode node : env.getStreamGraph().getStreamNodes()) {
            if (node.getTransformationUID() != null) {
                uids.add(node.getTransformationUID());
            }
        }
        return uids;
    }
}
