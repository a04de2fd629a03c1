package io.sonaflink.jobs;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.runtime.partitioner.BroadcastPartitioner;
import org.apache.flink.streaming.runtime.partitioner.ForwardPartitioner;
import org.apache.flink.streaming.runtime.partitioner.KeyGroupStreamPartitioner;
import org.apache.flink.streaming.runtime.partitioner.StreamPartitioner;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The learner chain's shape is what a trajectory pays for: one keyed exchange into the feedback
 * join, the background loop chained to it, a forward edge (no shuffle) into the gate, and the
 * sizing options applied where they belong.
 */
class SonaPipelineShapeTest {

    @Test
    void trajectoriesAndSignalsAreKeyedOnceForTheWholeLearnerChain() {
        StreamGraph graph = graph(new Configuration());

        assertThat(partitioners(graph, "sona.feedback-join-by-key"))
                .allMatch(p -> p instanceof KeyGroupStreamPartitioner).hasSize(2);
        assertThat(partitioners(graph, "sona.background-loop")).singleElement().isInstanceOf(ForwardPartitioner.class);
        assertThat(partitioners(graph, "sona.adapter-gate")).hasSize(2)
                .anyMatch(p -> p instanceof ForwardPartitioner).anyMatch(p -> p instanceof BroadcastPartitioner);

        JobGraph job = graph.getJobGraph();
        assertThat(vertexOf(job, "feedback-join")).isSameAs(vertexOf(job, "background-loop"));
        assertThat(graph.getExecutionConfig().getMaxParallelism()).isEqualTo(SonaPipeline.DEFAULT_MAX_PARALLELISM);
    }

    @Test
    void parallelismAndSlotSharingCanBeSetPerStage() {
        Configuration conf = new Configuration();
        conf.set(SonaOptions.LEARNER_PARALLELISM, 3);
        conf.set(SonaOptions.PARSE_PARALLELISM, 2);
        conf.set(SonaOptions.INFERENCE_PARALLELISM, 4);
        conf.set(SonaOptions.INFERENCE_SLOT_SHARING_GROUP, "inference");
        StreamGraph graph = graph(conf);

        assertThat(node(graph, "sona.feedback-join-by-key").getParallelism()).isEqualTo(3);
        assertThat(node(graph, "sona.background-loop").getParallelism()).isEqualTo(3);
        assertThat(node(graph, "sona.adapter-gate").getParallelism()).isEqualTo(3);
        assertThat(node(graph, "sona.parse-trajectories").getParallelism()).isEqualTo(2);
        assertThat(node(graph, "sona.inference").getParallelism()).isEqualTo(4);
        assertThat(node(graph, "sona.inference").getSlotSharingGroup()).isEqualTo("inference");
        assertThat(node(graph, "sona.adapter-gate").getSlotSharingGroup()).isEqualTo("default");
    }

    private static StreamGraph graph(Configuration conf) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        env.setParallelism(2);
        SonaJob.build(env, conf);
        return env.getStreamGraph();
    }

    private static StreamNode node(StreamGraph graph, String uid) {
        return graph.getStreamNodes().stream().filter(n -> uid.equals(n.getTransformationUID())).findFirst()
                .orElseThrow(() -> new AssertionError("no operator with uid " + uid));
    }

    private static List<StreamPartitioner<?>> partitioners(StreamGraph graph, String uid) {
        return node(graph, uid).getInEdges().stream().<StreamPartitioner<?>>map(StreamEdge::getPartitioner).toList();
    }

    private static JobVertex vertexOf(JobGraph job, String operatorName) {
        for (JobVertex v : job.getVertices()) {
            if (v.getName().contains(operatorName)) {
                return v;
            }
        }
        throw new AssertionError("no vertex runs " + operatorName);
    }
}
