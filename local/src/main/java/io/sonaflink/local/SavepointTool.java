package io.sonaflink.local;

import io.sonaflink.jobs.CommandLines;
import io.sonaflink.jobs.SonaPipeline;
import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.gate.AdapterGateFunction;
import io.sonaflink.operators.gate.GateKeyState;
import io.sonaflink.state.bank.Pattern;
import io.sonaflink.state.bank.ReasoningBank;
import io.sonaflink.state.ewc.ConsolidatedTask;
import io.sonaflink.state.ewc.EwcPlusPlus;
import io.sonaflink.state.lora.BaseLora;
import io.sonaflink.state.lora.LoraAdapter;
import io.sonaflink.state.lora.LoraWorkspace;
import io.sonaflink.state.lora.MicroLora;
import io.sonaflink.state.sample.TrajectorySample;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * An operator's view of a savepoint (or retained checkpoint) of the job, read with Flink's State
 * Processor API: per adapter key, the gate's record (published versions, counters), the versions
 * kept for rollback with their norms, the MicroLoRA and BaseLoRA as they are now, the EWC++ memory
 * and the ReasoningBank. Nothing is written.
 */
@Command(name = "sona-savepoint", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Prints each adapter key's state in a savepoint of the job: published versions, the "
                + "versions kept for rollback, MicroLoRA and BaseLoRA norms, EWC++ memory, pattern bank and counters.")
public final class SavepointTool implements Callable<Integer> {

    static final String GATE_UID = SonaPipeline.UID_PREFIX + "adapter-gate";
    static final String BACKGROUND_UID = SonaPipeline.UID_PREFIX + "background-loop";

    @Parameters(paramLabel = "SAVEPOINT", description = "The savepoint's directory or URI (file://, s3://, hdfs://).")
    String savepoint;

    @Option(names = "--key", paramLabel = "TENANT/PERSONA/DOMAIN", description = "Only this adapter key.")
    String key;

    @Option(names = "--json", description = "One JSON object per key, one per line, instead of text.")
    boolean json;

    @Option(names = "--patterns", description = "Patterns listed per key, most trajectories first "
            + "(default: ${DEFAULT-VALUE}).")
    int patterns = 5;

    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) {
        CommandLines.runAndExit(new SavepointTool(), args);
    }

    @Override
    public Integer call() throws Exception {
        Map<String, ObjectNode> keys = read(savepoint, key, patterns);
        if (keys.isEmpty()) {
            System.err.println(key == null ? "sona-savepoint: the savepoint holds no adapter key"
                    : "sona-savepoint: no key " + key + " in the savepoint");
            return 1;
        }
        for (ObjectNode k : keys.values()) {
            System.out.print(json ? JSON.writeValueAsString(k) + System.lineSeparator() : text(k));
        }
        return 0;
    }

    /** Each key's state as JSON, {@code key -> {key, gate, background}}; only {@code onlyKey} when given. */
    static Map<String, ObjectNode> read(String savepoint, String onlyKey, int patterns) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        env.setParallelism(1);
        SavepointReader reader = SavepointReader.read(env, savepoint, new EmbeddedRocksDBStateBackend());
        Map<String, ObjectNode> keys = new TreeMap<>();
        collect(reader, GATE_UID, new GateReader(onlyKey), "gate", keys);
        collect(reader, BACKGROUND_UID, new BackgroundReader(onlyKey, patterns), "background", keys);
        return keys;
    }

    private static void collect(SavepointReader reader, String uid, KeyedStateReaderFunction<String, String> function,
            String field, Map<String, ObjectNode> keys) throws Exception {
        try (CloseableIterator<String> rows = reader.readKeyedState(OperatorIdentifier.forUid(uid), function,
                Types.STRING, Types.STRING).executeAndCollect()) {
            while (rows.hasNext()) {
                JsonNode row = JSON.readTree(rows.next());
                if (!row.has(field)) {
                    continue; // another key than the one asked for
                }
                String k = row.get("key").asText();
                keys.computeIfAbsent(k, x -> JSON.createObjectNode().put("key", x)).set(field, row.get(field));
            }
        }
    }

    /** The gate's record, MicroLoRA and rollback history of each key. */
    private static final class GateReader extends KeyedStateReaderFunction<String, String> {
        private final String onlyKey;
        private transient ValueState<GateKeyState> record;
        private transient ValueState<MicroLora> micro;
        private transient Map<AdapterKind, MapState<Long, AdapterUpdate>> history;

        GateReader(String onlyKey) {
            this.onlyKey = onlyKey;
        }

        @Override
        public void open(OpenContext context) {
            record = getRuntimeContext().getState(AdapterGateFunction.keyStateDescriptor());
            micro = getRuntimeContext().getState(AdapterGateFunction.microLoraStateDescriptor());
            history = new EnumMap<>(AdapterKind.class);
            for (AdapterKind kind : AdapterKind.values()) {
                history.put(kind, getRuntimeContext().getMapState(AdapterGateFunction.historyStateDescriptor(kind)));
            }
        }

        @Override
        public void readKey(String key, Context context, Collector<String> out) throws Exception {
            if (onlyKey != null && !onlyKey.equals(key)) {
                out.collect(skipped(key)); // a key that emits nothing can lose the next key's row
                return;
            }
            ObjectNode gate = JSON.createObjectNode();
            GateKeyState r = record.value();
            if (r != null) {
                gate.put("trajectories", r.trajectories());
                gate.put("meanQuality", finite(r.meanQuality()));
                gate.put("pinned", r.pinned());
                gate.put("heldOutKept", r.heldOutWritten());
                gate.put("earlierTasks", r.tasksRemembered());
            }
            for (AdapterKind kind : AdapterKind.values()) {
                ObjectNode k = gate.putObject(kind.name().toLowerCase(Locale.ROOT));
                if (r != null) {
                    k.put("published", r.published(kind));
                    k.put("watched", r.watched(kind));
                }
                List<AdapterUpdate> kept = new ArrayList<>();
                for (AdapterUpdate u : history.get(kind).values()) {
                    kept.add(u);
                }
                kept.sort(Comparator.comparingLong(AdapterUpdate::version));
                ArrayNode versions = k.putArray("kept");
                for (AdapterUpdate u : kept) {
                    double[] norms = norms(u.weights(), u.rank(), u.layers());
                    versions.addObject().put("version", u.version()).put("parent", u.parentVersion())
                            .put("rank", u.rank()).put("normA", norms[0]).put("normB", norms[1])
                            .put("createdAt", u.createdAt());
                }
            }
            MicroLora m = micro.value();
            if (m != null) {
                ObjectNode now = adapter(m.adapter());
                now.put("correctionsSeen", m.eventsSeen()).put("flushes", m.flushes())
                        .put("pendingCorrections", m.pendingEvents());
                gate.set("microLora", now);
            }
            out.collect(JSON.writeValueAsString(JSON.createObjectNode().put("key", key).set("gate", gate)));
        }
    }

    /** The background loop's BaseLoRA, EWC++ memory, pattern bank and open window of each key. */
    private static final class BackgroundReader extends KeyedStateReaderFunction<String, String> {
        private final String onlyKey;
        private final int patterns;
        private transient ValueState<ReasoningBank> bank;
        private transient ValueState<BaseLora> base;
        private transient ValueState<Long> cycles;
        private transient MapState<Integer, TrajectorySample> reservoir;

        BackgroundReader(String onlyKey, int patterns) {
            this.onlyKey = onlyKey;
            this.patterns = patterns;
        }

        @Override
        public void open(OpenContext context) {
            bank = getRuntimeContext().getState(BackgroundLoopOperator.bankStateDescriptor());
            base = getRuntimeContext().getState(BackgroundLoopOperator.baseLoraStateDescriptor());
            cycles = getRuntimeContext().getState(BackgroundLoopOperator.cyclesStateDescriptor());
            reservoir = getRuntimeContext().getMapState(BackgroundLoopOperator.reservoirStateDescriptor());
        }

        @Override
        public void readKey(String key, Context context, Collector<String> out) throws Exception {
            if (onlyKey != null && !onlyKey.equals(key)) {
                out.collect(skipped(key));
                return;
            }
            ObjectNode background = JSON.createObjectNode();
            background.put("cycles", cycles.value() == null ? 0 : cycles.value());
            int open = 0;
            for (Integer ignored : reservoir.keys()) {
                open++;
            }
            background.put("windowTrajectories", open);
            BaseLora b = base.value();
            if (b != null) {
                ObjectNode now = adapter(b.adapter());
                now.put("trainingCycles", b.cycles());
                background.set("baseLora", now);
                background.set("ewc", ewc(b.ewc(), b.adapter()));
            }
            ReasoningBank r = bank.value();
            if (r != null) {
                ObjectNode n = background.putObject("bank");
                n.put("patterns", r.size()).put("dim", r.dim());
                ArrayNode top = n.putArray("mostUsed");
                r.patterns().stream().sorted(Comparator.comparingLong(Pattern::sampleCount).reversed()).limit(patterns)
                        .forEach(p -> top.addObject().put("id", p.id()).put("trajectories", p.sampleCount())
                                .put("qualityMean", finite(p.qualityMean())).put("confidence", finite(p.confidence()))
                                .put("route", p.route()).put("updatedCycle", p.updatedCycle()));
            }
            out.collect(JSON.writeValueAsString(JSON.createObjectNode().put("key", key).set("background", background)));
        }
    }

    private static String skipped(String key) throws Exception {
        return JSON.writeValueAsString(JSON.createObjectNode().put("key", key));
    }

    private static ObjectNode ewc(EwcPlusPlus ewc, LoraAdapter adapter) {
        ObjectNode n = JSON.createObjectNode();
        n.put("lambda", ewc.lambda()).put("boundariesDetected", ewc.boundariesDetected())
                .put("taskInputsSeen", ewc.taskInputsSeen());
        ArrayNode tasks = n.putArray("tasks");
        LoraWorkspace ws = adapter.newWorkspace();
        for (ConsolidatedTask t : ewc.tasks()) {
            tasks.addObject().put("inputs", t.size()).put("startLoss", t.startLoss()).put("endLoss", t.endLoss())
                    .put("learnedGain", t.learnedGain())
                    .put("lossIncreaseNow", t.estimatedLossIncrease(adapter, ws));
        }
        return n;
    }

    private static ObjectNode adapter(LoraAdapter a) {
        double[] norms = norms(a.weights(), a.rank(), a.layers());
        return JSON.createObjectNode().put("rank", a.rank()).put("layers", a.layers()).put("alpha", a.alpha())
                .put("normA", norms[0]).put("normB", norms[1]);
    }

    /** Frobenius norms of all A and all B blocks, in the adapter's layout (per layer A's rows, then B's columns). */
    static double[] norms(float[][] weights, int rank, int layers) {
        double a = 0;
        double b = 0;
        for (int layer = 0; layer < layers; layer++) {
            for (int k = 0; k < 2 * rank; k++) {
                double s = 0;
                for (float v : weights[layer * 2 * rank + k]) {
                    s += (double) v * v;
                }
                if (k < rank) {
                    a += s;
                } else {
                    b += s;
                }
            }
        }
        return new double[] {Math.sqrt(a), Math.sqrt(b)};
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** The text form of one key's JSON. */
    static String text(JsonNode k) {
        StringBuilder s = new StringBuilder(k.get("key").asText()).append(System.lineSeparator());
        JsonNode gate = k.path("gate");
        if (!gate.isMissingNode()) {
            s.append(String.format(Locale.ROOT, "  gate: %d trajectories, mean quality %s, %s, %d held-out kept, "
                            + "%d earlier task(s)%n", gate.path("trajectories").asLong(), number(gate.path("meanQuality")),
                    gate.path("pinned").asBoolean() ? "pinned" : "not pinned", gate.path("heldOutKept").asLong(),
                    gate.path("earlierTasks").asLong()));
            for (AdapterKind kind : AdapterKind.values()) {
                JsonNode n = gate.path(kind.name().toLowerCase(Locale.ROOT));
                JsonNode kept = n.path("kept");
                String rollback = "none";
                if (!kept.isEmpty()) {
                    JsonNode first = kept.get(0);
                    JsonNode last = kept.get(kept.size() - 1);
                    rollback = String.format(Locale.ROOT, "v%d..v%d (%d), the newest with |A| %.4f, |B| %.4f",
                            first.path("version").asLong(), last.path("version").asLong(), kept.size(),
                            last.path("normA").asDouble(), last.path("normB").asDouble());
                }
                s.append(String.format(Locale.ROOT, "  %s: published v%d, watching v%d; kept for rollback: %s%n",
                        kind.name().toLowerCase(Locale.ROOT), n.path("published").asLong(), n.path("watched").asLong(),
                        rollback));
            }
            JsonNode micro = gate.path("microLora");
            if (!micro.isMissingNode()) {
                s.append(String.format(Locale.ROOT, "  MicroLoRA now: rank %d, |A| %.4f, |B| %.4f, %d corrections "
                                + "seen, %d flushes, %d pending%n", micro.path("rank").asInt(), micro.path("normA").asDouble(),
                        micro.path("normB").asDouble(), micro.path("correctionsSeen").asLong(),
                        micro.path("flushes").asLong(), micro.path("pendingCorrections").asLong()));
            }
        }
        JsonNode bg = k.path("background");
        if (!bg.isMissingNode()) {
            s.append(String.format(Locale.ROOT, "  background: %d cycles, %d trajectories in the open window%n",
                    bg.path("cycles").asLong(), bg.path("windowTrajectories").asLong()));
            JsonNode base = bg.path("baseLora");
            if (!base.isMissingNode()) {
                s.append(String.format(Locale.ROOT, "  BaseLoRA now: rank %d, |A| %.4f, |B| %.4f, %d training cycles%n",
                        base.path("rank").asInt(), base.path("normA").asDouble(), base.path("normB").asDouble(),
                        base.path("trainingCycles").asLong()));
                JsonNode ewc = bg.path("ewc");
                s.append(String.format(Locale.ROOT, "  EWC++: lambda %s, %d boundaries detected, %d task(s) remembered%n",
                        number(ewc.path("lambda")), ewc.path("boundariesDetected").asLong(), ewc.path("tasks").size()));
                int i = 1;
                for (JsonNode t : ewc.path("tasks")) {
                    s.append(String.format(Locale.ROOT, "    task %d: %d inputs, loss %s -> %s, learned gain %s, "
                                    + "loss increase now %s%n", i++, t.path("inputs").asInt(), number(t.path("startLoss")),
                            number(t.path("endLoss")), number(t.path("learnedGain")), number(t.path("lossIncreaseNow"))));
                }
            }
            JsonNode bank = bg.path("bank");
            if (!bank.isMissingNode()) {
                s.append(String.format(Locale.ROOT, "  bank: %d patterns%n", bank.path("patterns").asInt()));
                for (JsonNode p : bank.path("mostUsed")) {
                    s.append(String.format(Locale.ROOT, "    #%d: %d trajectories, quality %s, confidence %s, route %s, "
                                    + "updated in cycle %d%n", p.path("id").asLong(), p.path("trajectories").asLong(),
                            number(p.path("qualityMean")), number(p.path("confidence")), p.path("route").asText(),
                            p.path("updatedCycle").asLong()));
                }
            }
        }
        return s.toString();
    }

    private static String number(JsonNode n) {
        return n.isNumber() ? String.format(Locale.ROOT, "%.4g", n.asDouble()) : "-";
    }
}
