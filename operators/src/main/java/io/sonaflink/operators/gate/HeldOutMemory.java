package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.serving.ServedModel;
import io.sonaflink.state.serving.ServedModelValidator;

import org.apache.flink.api.common.state.MapState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The gate's held-out data of the current key: a ring of the recent held-out trajectories with
 * targets (map state indexed by slot, O(1) per event), and one set per earlier task, split off
 * the ring when a task ends, with the quality the served model had on it then (what later
 * candidates must keep). Validation reads them as {@link ServedModelValidator.HeldOutSet}s.
 */
final class HeldOutMemory {

    private final AdapterGateConfig config;
    private final MapState<Integer, Trajectory> recent;
    private final MapState<Long, List<Trajectory>> tasks;
    private final MapState<Long, Double> taskQualities;

    HeldOutMemory(AdapterGateConfig config, MapState<Integer, Trajectory> recent,
            MapState<Long, List<Trajectory>> tasks, MapState<Long, Double> taskQualities) {
        this.config = config;
        this.recent = recent;
        this.tasks = tasks;
        this.taskQualities = taskQualities;
    }

    /** Adds a held-out trajectory with a target to the recent ring. */
    void add(Trajectory t, GateKeyState st) throws Exception {
        int capacity = config.heldOutSize();
        if (st.heldOutCapacity != capacity) {
            AdapterGateFunction.dropSlotsFrom(recent, capacity, st.heldOutCapacity);
            st.heldOutCapacity = capacity;
        }
        recent.put((int) (st.heldOutWritten % capacity), t);
        st.heldOutWritten++;
    }

    /**
     * A new task began with the window that starts at event time {@code windowStart}: the
     * held-out trajectories from before it belong to the task that ended and become its set, the
     * latest {@code taskHeldOutSize} of them, with {@code served}'s quality on them; the oldest
     * remembered task beyond {@code rememberedTasks} is dropped.
     */
    void endTask(double windowStart, ServedModel served, GateKeyState st) throws Exception {
        List<Map.Entry<Integer, Trajectory>> before = new ArrayList<>();
        for (Map.Entry<Integer, Trajectory> e : recent.entries()) {
            if (e.getValue().timestamp() < windowStart) {
                before.add(Map.entry(e.getKey(), e.getValue()));
            }
        }
        if (before.isEmpty() || config.rememberedTasks() == 0) {
            return;
        }
        before.sort(Comparator.comparingLong((Map.Entry<Integer, Trajectory> e) -> e.getValue().timestamp())
                .thenComparing(e -> e.getValue().id()));
        List<Trajectory> sample = new ArrayList<>();
        for (int i = Math.max(0, before.size() - config.taskHeldOutSize()); i < before.size(); i++) {
            sample.add(before.get(i).getValue());
        }
        for (Map.Entry<Integer, Trajectory> e : before) {
            recent.remove(e.getKey());
        }
        tasks.put(st.tasksRemembered, sample);
        taskQualities.put(st.tasksRemembered, ServedModelValidator.quality(served, examples(sample)));
        tasks.remove(st.tasksRemembered - config.rememberedTasks());
        taskQualities.remove(st.tasksRemembered - config.rememberedTasks());
        st.tasksRemembered++;
    }

    /** The recent held-out set first, then one per remembered task, oldest first. */
    List<ServedModelValidator.HeldOutSet> sets() throws Exception {
        List<ServedModelValidator.HeldOutSet> sets = new ArrayList<>();
        List<TrainingExample> examples = new ArrayList<>(config.heldOutSize());
        for (Map.Entry<Integer, Trajectory> e : recent.entries()) {
            if (e.getKey() < config.heldOutSize()) {
                examples.add(example(e.getValue()));
            }
        }
        sets.add(ServedModelValidator.HeldOutSet.recent(examples));
        Map<Long, List<Trajectory>> byTask = new TreeMap<>();
        for (Map.Entry<Long, List<Trajectory>> e : tasks.entries()) {
            byTask.put(e.getKey(), e.getValue());
        }
        for (Map.Entry<Long, List<Trajectory>> e : byTask.entrySet()) {
            Double quality = taskQualities.get(e.getKey());
            sets.add(new ServedModelValidator.HeldOutSet("task" + (e.getKey() + 1), examples(e.getValue()),
                    quality == null ? Double.NaN : quality));
        }
        return sets;
    }

    private static List<TrainingExample> examples(List<Trajectory> trajectories) {
        List<TrainingExample> examples = new ArrayList<>(trajectories.size());
        for (Trajectory t : trajectories) {
            examples.add(example(t));
        }
        return examples;
    }

    private static TrainingExample example(Trajectory t) {
        return new TrainingExample(t.embedding(), t.target(), t.weight());
    }
}
