package io.sonaflink.local;

import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.lora.LoraAdapter;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LearningProbeTest {

    private static final String KEY = "acme/assistant/general";

    @Test
    void adaptersTrainedSideBySideAddTheirChanges() {
        LoraAdapter micro = adapter(0.5f, 11L);
        LoraAdapter base = adapter(-0.25f, 12L);
        float[] x = {0.3f, -0.2f, 0.9f, 0.1f};

        float[] served = LearningProbe.serve(x, List.of(micro, base));

        float[] m = micro.apply(x);
        float[] b = base.apply(x);
        for (int j = 0; j < x.length; j++) {
            assertThat(served[j]).isCloseTo(m[j] + b[j] - x[j], within(1e-6f));
        }
        assertThat(LearningProbe.serve(x, List.of())).containsExactly(x);
    }

    @Test
    void lossIsHalfTheSquaredError() {
        assertThat(LearningProbe.loss(new float[] {1f, 2f}, new float[] {0f, 4f})).isEqualTo(2.5);
    }

    @Test
    void measuresLossAgainstBothTasksAndPatternHits() {
        float[] x = {1f, 0f, 0f, 0f};
        float[] first = {1f, 0f, 0f, 0f};      // identity is perfect on the first task
        float[] second = {1f, 2f, 0f, 0f};     // and off by 2 on the second
        Workload.Probe right = new Workload.Probe(x, 0, "route-1", first, second);
        Workload.Probe wrong = new Workload.Probe(x, 0, "route-2", first, second);
        float[] far = {0f, 0f, 0f, 1f};
        Workload.Probe unfamiliar = new Workload.Probe(far, 1, "route-1", far, far);
        LearningProbe probe = new LearningProbe(Map.of(KEY, List.of(right, wrong, unfamiliar)), RouteAdvisor.DEFAULT);
        Pattern confident = new Pattern(1, x.clone(), 1000, 0.9, 0.0, "route-1", Map.of(), Map.of(), 1, 1);
        OutputWatcher.Snapshot outputs = new OutputWatcher.Snapshot(Map.of(), Map.of(),
                Map.of(KEY, new ReasoningBank(4, List.of(confident), 2)), 0, Map.of(), Map.of(), 0, 0, Double.NaN,
                Double.NaN);

        LearningProbe.Measures m = probe.measure(outputs);

        assertThat(m.firstTaskLoss()).isEqualTo(0.0);
        assertThat(m.secondTaskLoss()).isCloseTo(2.0 * 2 / 3, within(1e-9)); // ½·2² for two of three probes
        assertThat(m.identitySecondTaskLoss()).isEqualTo(m.secondTaskLoss());
        assertThat(m.hitRate()).isCloseTo(2.0 / 3, within(1e-9)); // the orthogonal request is no hit
        assertThat(m.routeAccuracy()).isEqualTo(0.5);
    }

    private static LoraAdapter adapter(float b, long seed) {
        LoraAdapter a = LoraAdapter.initialize(4, 1, 1, 1f, seed);
        float[][] w = a.weights();
        for (int r = 0; r < w.length; r++) {
            if (r >= w.length / 2) {
                java.util.Arrays.fill(w[r], b);
            }
        }
        return a;
    }
}
