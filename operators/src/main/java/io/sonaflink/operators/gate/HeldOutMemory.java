package io.sonaflink.operators.gate;

import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.state.lora.TrainingExample;
import io.sonaflink.state.serving.HeldOutLosses;
import io.sonaflink.state.serving.ServedModel;
import io.sonaflink.state.serving.ServedModelValidator;

import org.apache.flink.api.common.state.MapState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The gate's held-out data of the current key: a ring of the recent held-out trajectories with
 * targets (map state indexed by slot, O(1) per event), and one set per earlier task, split off
 * the ring when a task ends, with the quality the served model had on it then (what later
 * candidates must keep). Validation reads them as {@link ServedModelValidator.HeldOutSet}s.
 *
 * <p>Every candidate is judged on all of them, so the sets of the most recently judged keys are
 * also kept on the heap, deserialised, and kept up to date as trajectories are added (write
 * through: the map state stays the only thing a checkpoint needs). On RocksDB, reading a key's 256
 * held-out trajectories for every candidate cost more than everything else the instant loop does.
 */
final class HeldOutMemory {

    /** Keys whose held-out sets are kept on the heap at most (each up to held-out size examples). */
    static final int CACHED_KEYS = 128;

    private final AdapterGateConfig config;
    private final MapState<Integer, Trajectory> recent;
    private final MapState<Long, List<Trajectory>> tasks;
    private final MapState<Long, Double> taskQualities;
    private final Map<String, Cached> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
            return size() > CACHED_KEYS;
        }
    };

    /**
     * A key's sets as validation reads them: the recent ring by slot, the earlier tasks' sets, and
     * the losses earlier validations computed on them.
     */
    private static final class Cached {
        final TrainingExample[] recent;
        final List<ServedModelValidator.HeldOutSet> tasks;
        final HeldOutLosses losses = new HeldOutLosses();

        Cached(TrainingExample[] recent, List<ServedModelValidator.HeldOutSet> tasks) {
            this.recent = recent;
            this.tasks = tasks;
        }
    }

    HeldOutMemory(AdapterGateConfig config, MapState<Integer, Trajectory> recent,
            MapState<Long, List<Trajectory>> tasks, MapState<Long, Double> taskQualities) {
        this.config = config;
        this.recent = recent;
        this.tasks = tasks;
        this.taskQualities = taskQualities;
    }

    /** Adds a held-out trajectory with a target to {@code key}'s recent ring. */
    void add(String key, Trajectory t, GateKeyState st) throws Exception {
        int capacity = config.heldOutSize();
        if (st.heldOutCapacity != capacity) {
            AdapterGateFunction.dropSlotsFrom(recent, capacity, st.heldOutCapacity);
            st.heldOutCapacity = capacity;
            cache.remove(key);
        }
        int slot = (int) (st.heldOutWritten % capacity);
        recent.put(slot, t);
        st.heldOutWritten++;
        Cached cached = cache.get(key);
        if (cached != null) {
            cached.recent[slot] = example(t);
        }
    }

    /**
     * A new task began with the window that starts at event time {@code windowStart}: the
     * held-out trajectories from before it belong to the task that ended and become its set, the
     * latest {@code taskHeldOutSize} of them, with {@code served}'s quality on them; the oldest
     * remembered task beyond {@code rememberedTasks} is dropped.
     */
    void endTask(String key, double windowStart, ServedModel served, GateKeyState st) throws Exception {
        cache.remove(key);
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

    /**
     * {@code key}'s recent held-out set first (in slot order, whatever the backend lists), then one
     * per remembered task, oldest first.
     */
    List<ServedModelValidator.HeldOutSet> sets(String key) throws Exception {
        Cached cached = cached(key);
        List<TrainingExample> examples = new ArrayList<>(cached.recent.length);
        for (TrainingExample e : cached.recent) {
            if (e != null) {
                examples.add(e);
            }
        }
        List<ServedModelValidator.HeldOutSet> sets = new ArrayList<>(1 + cached.tasks.size());
        sets.add(ServedModelValidator.HeldOutSet.recent(examples));
        sets.addAll(cached.tasks);
        return sets;
    }

    /** What validations of {@code key}'s candidates on {@link #sets} remember between them. */
    HeldOutLosses losses(String key) throws Exception {
        return cached(key).losses;
    }

    private Cached cached(String key) throws Exception {
        Cached cached = cache.get(key);
        if (cached == null) {
            cached = load();
            cache.put(key, cached);
        }
        return cached;
    }

    private Cached load() throws Exception {
        TrainingExample[] ring = new TrainingExample[config.heldOutSize()];
        for (Map.Entry<Integer, Trajectory> e : recent.entries()) {
            if (e.getKey() < ring.length) {
                ring[e.getKey()] = example(e.getValue());
            }
        }
        Map<Long, List<Trajectory>> byTask = new TreeMap<>();
        for (Map.Entry<Long, List<Trajectory>> e : tasks.entries()) {
            byTask.put(e.getKey(), e.getValue());
        }
        List<ServedModelValidator.HeldOutSet> taskSets = new ArrayList<>(byTask.size());
        for (Map.Entry<Long, List<Trajectory>> e : byTask.entrySet()) {
            Double quality = taskQualities.get(e.getKey());
            taskSets.add(new ServedModelValidator.HeldOutSet("task" + (e.getKey() + 1), examples(e.getValue()),
                    quality == null ? Double.NaN : quality));
        }
        return new Cached(ring, taskSets);
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
