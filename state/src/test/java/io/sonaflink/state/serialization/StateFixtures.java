package io.sonaflink.state.serialization;

import io.sonaflink.state.bandit.UcbBandit;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.ewc.ConsolidatedTask;
import io.sonaflink.state.ewc.EwcConfig;
import io.sonaflink.state.ewc.EwcPlusPlus;
import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.lora.BaseLoraConfig;
import io.sonaflink.state.lora.LoraWorkspace;
import io.sonaflink.state.lora.MicroLora;
import io.sonaflink.state.lora.MicroLoraConfig;
import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.math.Blocks;
import io.sonaflink.state.math.DeterministicRandom;
import io.sonaflink.state.sample.ReservoirSampler;
import io.sonaflink.state.sample.TrajectorySample;
import io.sonaflink.state.testing.Fixtures;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Realistic state instances for the serializer tests, built by the learning code itself. */
final class StateFixtures {

    static final int DIM = 8;
    static final BaseLoraConfig BASE_CONFIG = new BaseLoraConfig(2, 4f, 2, 0.01f, 2, 4, 8);
    static final EwcConfig EWC_CONFIG = new EwcConfig(2f, 0.5f, 8f, 6, 2.0f, 3, 6, 2, 0.9f, 0.2f);

    private StateFixtures() {}

    static float[] vector(int dim, long seed) {
        return Fixtures.gaussianVector(dim, 1.0, new DeterministicRandom(seed));
    }

    /** Examples whose target rotates the input's coordinates by {@code shift}: a learnable map. */
    static List<TrainingExample> examples(int count, int shift, long seed) {
        List<TrainingExample> examples = new ArrayList<>(count);
        for (int n = 0; n < count; n++) {
            float[] x = vector(DIM, seed + n);
            float[] y = new float[DIM];
            for (int i = 0; i < DIM; i++) {
                y[i] = x[i] + 0.5f * x[(i + shift) % DIM];
            }
            examples.add(new TrainingExample(x, y, n % 3 == 0 ? 0.5f : 1f));
        }
        return examples;
    }

    /** A BaseLoRA after {@code cycles} training cycles, with no consolidated task. */
    static BaseLora trainedBaseLora(int cycles) {
        BaseLora lora = BaseLora.create(DIM, BASE_CONFIG, EWC_CONFIG, 17L);
        for (int c = 0; c < cycles; c++) {
            lora.train(examples(12, 1, 100L * c), BASE_CONFIG, EWC_CONFIG);
        }
        return lora;
    }

    /**
     * A BaseLoRA that consolidated its first task (anchored at the weights it reached) and then
     * trained on a second task under the EWC++ penalty.
     */
    static BaseLora baseLoraWithConsolidatedTask() {
        BaseLora first = trainedBaseLora(3);
        EwcPlusPlus ewc = first.ewc();
        ConsolidatedTask task = ConsolidatedTask.of(first.adapter(),
                Blocks.copy(java.util.Arrays.copyOf(ewc.taskInputs(), ewc.taskInputCount())),
                ewc.currentTaskStartLoss(), ewc.currentTaskLastLoss());
        EwcPlusPlus withTask = new EwcPlusPlus(DIM, List.of(task), new float[EWC_CONFIG.taskMemory()][DIM], 0, 0L,
                ewc.statisticHistory().clone(), 0, 0, ewc.lambda(), 1L, Float.NaN, Float.NaN);
        BaseLora lora = new BaseLora(
                first.adapter().copy(), first.optimizer().copy(), withTask, first.randomState(), first.cycles());
        lora.train(examples(12, 3, 7_000L), BASE_CONFIG, EWC_CONFIG);
        lora.train(examples(12, 3, 8_000L), BASE_CONFIG, EWC_CONFIG);
        return lora;
    }

    /** A MicroLoRA that has seen {@code events} corrective events, flushing every {@code flushEvery}. */
    static MicroLora observedMicroLora(int rank, int flushEvery, int events) {
        MicroLoraConfig config = new MicroLoraConfig(rank, 2f, 0.01f, flushEvery);
        MicroLora lora = MicroLora.create(DIM, config, 23L + rank);
        LoraWorkspace ws = lora.adapter().newWorkspace();
        for (TrainingExample e : examples(events, 2, 500L)) {
            lora.observe(e.input(), e.target(), e.weight(), config, ws);
        }
        return lora;
    }

    static TrajectorySample sampleWithTarget(long seed, String route) {
        return new TrajectorySample(
                vector(DIM, seed), vector(DIM, seed + 1), 0.5f, 0.8125f, route,
                Map.of("model", "small-" + seed, "cache", "on"),
                Map.of("temperature", 0.7, "top_p", 0.95 - seed * 1e-3));
    }

    static TrajectorySample sampleWithoutTarget(long seed, String route) {
        return TrajectorySample.of(vector(DIM, seed), 0.25f + (seed % 4) * 0.125f, route);
    }

    /** A full reservoir that has replaced items: samples alternate with and without targets. */
    static ReservoirSampler<TrajectorySample> filledReservoir(int capacity, int offered) {
        ReservoirSampler<TrajectorySample> reservoir = ReservoirSampler.create(capacity, 99L);
        for (int i = 0; i < offered; i++) {
            reservoir.add(i % 2 == 0 ? sampleWithTarget(i, "route-" + i % 3) : sampleWithoutTarget(i, ""));
        }
        return reservoir;
    }

    static Pattern pattern(long seed, String route, long sampleCount, long cycle) {
        return new Pattern(
                0L, vector(DIM, seed), sampleCount, 0.6 + seed * 0.01, 0.02 * sampleCount, route,
                Map.of("model", "m" + seed, "tool", "search"),
                Map.of("temperature", 0.2 + seed * 0.1, "max_tokens", 256.0 * sampleCount), cycle, cycle);
    }

    /** A bank of four patterns, one of them refined by a second window's members. */
    static ReasoningBank reasoningBank() {
        Pattern first = pattern(1, "fast", 12, 1).withId(1);
        Pattern window = new Pattern(
                0L, first.centroid().clone(), 8, 0.7, 0.1, "fast", Map.of("model", "m9"), Map.of("temperature", 0.9), 2, 2);
        ReasoningBank bank = new ReasoningBank(DIM, List.of(first.refinedBy(window, 10, 2),
                pattern(2, "accurate", 30, 1).withId(2), pattern(3, "", 5, 1).withId(3)), 4);
        bank.add(pattern(4, "cheap", 3, 2));
        return bank;
    }

    /** A bandit with three routes, one of them registered but never pulled. */
    static UcbBandit playedBandit() {
        UcbBandit bandit = UcbBandit.create();
        double[] rewards = {0.9, 0.4, 0.75, 0.2, 0.85};
        for (int i = 0; i < rewards.length; i++) {
            bandit.update(i % 2 == 0 ? "fast" : "accurate", rewards[i], 8);
        }
        bandit.armIndex("cheap", 8);
        return bandit;
    }
}
