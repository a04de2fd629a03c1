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

    /** The probe serves as the inference operator does: a micro only on the base it was learned on. */
    @Test
    void servesTheStackAndAMicroOnlyOnItsBase() {
        LoraAdapter micro = adapter(0.5f, 11L);
        LoraAdapter base = adapter(-0.25f, 12L);
        float[] x = {0.3f, -0.2f, 0.9f, 0.1f};
        Map<String, Map<String, LoraAdapter>> adapters = Map.of(KEY, Map.of("micro", micro, "base", base));
        Map<String, Map<String, Long>> versions = Map.of(KEY, Map.of("micro", 4L, "base", 2L));

        float[] onItsBase = snapshot(adapters, versions, 2L).served(KEY).apply(x);
        float[] onAnother = snapshot(adapters, versions, 1L).served(KEY).apply(x);

        float[] m = micro.apply(x);
        float[] b = base.apply(x);
        for (int j = 0; j < x.length; j++) {
            assertThat(onItsBase[j]).isCloseTo(m[j] + b[j] - x[j], within(1e-6f));
            assertThat(onAnother[j]).isCloseTo(b[j], within(1e-6f));
        }
    }

    @Test
    void lossIsHalfTheSquaredError() {
        assertThat(LearningProbe.loss(new float[] {1f, 2f}, new float[] {0f, 4f})).isEqualTo(2.5);
    }

    @Test
    void measuresLossOnEachTasksProbesAndPatternHits() {
        float[] x = {1f, 0f, 0f, 0f};
        float[] first = {1f, 0f, 0f, 0f};      // identity is perfect on the first task's probe
        float[] second = {1f, 2f, 0f, 0f};     // and off by 2 on the second's
        Workload.Probe right = new Workload.Probe(x, 0, "route-1", 0, first);
        Workload.Probe wrong = new Workload.Probe(x, 0, "route-2", 1, second);
        float[] far = {0f, 0f, 0f, 1f};
        Workload.Probe unfamiliar = new Workload.Probe(far, 1, "route-1", 1, far);
        LearningProbe probe = new LearningProbe(Map.of(KEY, List.of(right, wrong, unfamiliar)), RouteAdvisor.DEFAULT);
        Pattern confident = new Pattern(1, x.clone(), 1000, 0.9, 0.0, "route-1", Map.of(), Map.of(), 1, 1);
        OutputWatcher.Snapshot outputs = new OutputWatcher.Snapshot(Map.of(), Map.of(), Map.of(), 0,
                Map.of(KEY, new ReasoningBank(4, List.of(confident), 2)), 0, Map.of(), Map.of(), 0, 0, Double.NaN,
                Double.NaN, OutputWatcher.ResponseLatency.of(List.of()),
                OutputWatcher.ResponseLatency.of(List.of()));

        LearningProbe.Measures m = probe.measure(outputs);

        assertThat(m.firstTask().served()).isEqualTo(0.0);
        assertThat(m.secondTask().served()).isCloseTo(2.0 / 2, within(1e-9)); // ½·2² for one of two probes
        assertThat(m.secondTask().identity()).isEqualTo(m.secondTask().served());
        assertThat(m.secondTask().base()).isEqualTo(m.secondTask().served());
        assertThat(m.hitRate()).isCloseTo(2.0 / 3, within(1e-9)); // the orthogonal request is no hit
        assertThat(m.routeAccuracy()).isEqualTo(0.5);
    }

    private static OutputWatcher.Snapshot snapshot(Map<String, Map<String, LoraAdapter>> adapters,
            Map<String, Map<String, Long>> versions, long microBase) {
        return new OutputWatcher.Snapshot(adapters, versions, Map.of(KEY, microBase), 0, Map.of(), 0, Map.of(),
                Map.of(), 0, 0, Double.NaN, Double.NaN, OutputWatcher.ResponseLatency.of(List.of()),
                OutputWatcher.ResponseLatency.of(List.of()));
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
