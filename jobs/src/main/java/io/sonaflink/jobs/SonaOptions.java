package io.sonaflink.jobs;

import io.sonaflink.connectors.json.OutputJson;
import io.sonaflink.connectors.registry.AdapterRegistrySink;
import io.sonaflink.connectors.registry.PatternRegistrySink;
import io.sonaflink.connectors.registry.PeftExport;
import io.sonaflink.connectors.registry.RegistryServingStore;
import io.sonaflink.connectors.vllm.VllmConfig;
import io.sonaflink.operators.background.BackgroundLoopConfig;
import io.sonaflink.operators.bundle.StateBundle;
import io.sonaflink.operators.feedback.FeedbackJoinConfig;
import io.sonaflink.operators.gate.AdapterGateConfig;
import io.sonaflink.operators.inference.InferenceConfig;
import io.sonaflink.operators.inference.InferenceDevice;
import io.sonaflink.operators.instant.InstantLoopConfig;
import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.bank.ReasoningBankConfig;
import io.sonaflink.state.cluster.KMeansConfig;
import io.sonaflink.state.cycle.BackgroundConfig;
import io.sonaflink.state.ewc.EwcConfig;
import io.sonaflink.state.lora.BaseLoraConfig;
import io.sonaflink.state.lora.MicroLoraConfig;
import io.sonaflink.state.serving.HeldOutSplit;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.core.fs.Path;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * Every setting of the job, declared once as a typed option with its default and description.
 * Learning defaults come from the learning core's {@code DEFAULT} settings (seed 004's table), so
 * the two cannot disagree; the README's configuration table is checked against this class.
 */
public final class SonaOptions {

    private SonaOptions() {}

    /** What every key of the job starts with. */
    public static final String PREFIX = "sona.";

    // ---- events -------------------------------------------------------------------------------

    public static final ConfigOption<Integer> EMBEDDING_DIMENSION = ConfigOptions.key("sona.embedding.dimension")
            .intType().defaultValue(256)
            .withDescription("Embedding dimension (seed 004 hidden_dim); events of another dimension are dead-lettered.");

    public static final ConfigOption<Integer> MAX_PAYLOAD_BYTES = ConfigOptions.key("sona.parse.max-payload-bytes")
            .intType().defaultValue(1 << 20)
            .withDescription("Largest accepted event in bytes; larger ones are dead-lettered.");

    public static final ConfigOption<Boolean> SCHEMA_REGISTRY_FRAMING =
            ConfigOptions.key("sona.kafka.schema-registry-framing")
                    .booleanType().defaultValue(false)
                    .withDescription("Read JSON framed by a Schema Registry serializer (the Confluent wire format:"
                            + " magic byte 0 and a 4-byte schema id before the JSON; the id is not looked up)."
                            + " Plain JSON is read either way; when off, a framed record is dead-lettered as such.");

    public static final ConfigOption<Integer> DEAD_LETTER_MAX_RAW_BYTES =
            ConfigOptions.key("sona.dead-letters.max-raw-bytes")
                    .intType().defaultValue(OutputJson.DEFAULT_DEAD_LETTER_RAW_BYTES)
                    .withDescription("Raw bytes of a rejected record a dead letter keeps; its size and SHA-256 describe"
                            + " the whole payload, so a dead letter of any input stays writable (the dead-letter"
                            + " producer's max.request.size is derived from this).");

    public static final ConfigOption<Long> SEED = ConfigOptions.key("sona.seed")
            .longType().defaultValue(42L)
            .withDescription("Base seed of every random choice; each key and cycle derives its own from it.");

    // ---- feedback join ------------------------------------------------------------------------

    public static final ConfigOption<Duration> FEEDBACK_HOLD = ConfigOptions.key("sona.feedback.hold")
            .durationType().defaultValue(Duration.ofMillis(FeedbackJoinConfig.DEFAULT.holdMs()))
            .withDescription("How long a trajectory waits for its training signals before it moves on.");

    public static final ConfigOption<Duration> FEEDBACK_LATE_RETENTION = ConfigOptions.key("sona.feedback.late-retention")
            .durationType().defaultValue(Duration.ofMillis(FeedbackJoinConfig.DEFAULT.lateRetentionMs()))
            .withDescription("How long after that a late correction still becomes a corrective event, and how much"
                    + " longer a signal that arrives before its trajectory waits for it.");

    public static final ConfigOption<Integer> FEEDBACK_MAX_KEPT_PER_KEY = ConfigOptions.key("sona.feedback.max-kept-per-key")
            .intType().defaultValue(FeedbackJoinConfig.DEFAULT_MAX_KEPT_PER_KEY)
            .withDescription("Trajectories the feedback join keeps per adapter key at most (and signals waiting for"
                    + " a trajectory not seen yet): the oldest beyond it moves on at once, so the join's state is"
                    + " bounded per key whatever the throughput. A correction for a trajectory no longer kept is a"
                    + " dead letter with the reason.");

    public static final ConfigOption<Integer> FEEDBACK_CACHED_ARRIVALS = ConfigOptions.key("sona.feedback.cached-arrivals")
            .intType().defaultValue(FeedbackJoinConfig.DEFAULT_CACHED_ARRIVALS)
            .withDescription("Arrivals per parallel task the feedback join also holds on the heap, written through"
                    + " to its state, so that moving a trajectory on and forgetting it read no state: this many"
                    + " trajectories waiting out the hold (about 1 KB each at 256 dimensions, 2 KB with a target),"
                    + " and as many ids of retained ones. Beyond it, the newest are read from state when due. 0 reads"
                    + " everything from the state backend.");

    // ---- graph --------------------------------------------------------------------------------

    public static final ConfigOption<Integer> STATE_BUNDLE_KEYS = ConfigOptions.key("sona.state.bundle-keys")
            .intType().defaultValue(StateBundle.DEFAULT_MAX_KEYS)
            .withDescription("Keys per parallel task whose per-event state (the gate's record and MicroLoRA, the"
                    + " join's cursor, the window's counters) is kept on the heap between checkpoints and written"
                    + " to the state backend before each barrier, or when more keys are touched.");

    public static final ConfigOption<Integer> PARSE_PARALLELISM = ConfigOptions.key("sona.parallelism.parse")
            .intType().defaultValue(-1)
            .withDescription("Parallelism of the parse operators (-1: the job's default).");

    public static final ConfigOption<Integer> LEARNER_PARALLELISM = ConfigOptions.key("sona.parallelism.learner")
            .intType().defaultValue(-1)
            .withDescription("Parallelism of the learner chain: feedback join, background loop and adapter gate,"
                    + " which run on one keyed partitioning (-1: the job's default).");

    public static final ConfigOption<Integer> INFERENCE_PARALLELISM = ConfigOptions.key("sona.parallelism.inference")
            .intType().defaultValue(-1)
            .withDescription("Parallelism of the inference operator (-1: the job's default).");

    public static final ConfigOption<String> INFERENCE_SLOT_SHARING_GROUP =
            ConfigOptions.key("sona.inference.slot-sharing-group").stringType().defaultValue("default")
                    .withDescription("Slot-sharing group of the inference operator; a group of its own (e.g."
                            + " 'inference') lets it run in the slots of another TaskManager, such as one with a"
                            + " GPU.");

    // ---- instant loop -------------------------------------------------------------------------

    public static final ConfigOption<Integer> MICRO_RANK = ConfigOptions.key("sona.micro.rank")
            .intType().defaultValue(MicroLoraConfig.DEFAULT.rank())
            .withDescription("MicroLoRA rank (1 or 2).");

    public static final ConfigOption<Float> MICRO_ALPHA = ConfigOptions.key("sona.micro.alpha")
            .floatType().defaultValue(MicroLoraConfig.DEFAULT.alpha())
            .withDescription("MicroLoRA alpha; its scale is alpha / rank.");

    public static final ConfigOption<Float> MICRO_LEARNING_RATE = ConfigOptions.key("sona.micro.learning-rate")
            .floatType().defaultValue(MicroLoraConfig.DEFAULT.learningRate())
            .withDescription("MicroLoRA SGD step per corrective event.");

    public static final ConfigOption<Integer> MICRO_FLUSH_EVERY = ConfigOptions.key("sona.micro.flush-every")
            .intType().defaultValue(MicroLoraConfig.DEFAULT.flushEvery())
            .withDescription("Accumulated MicroLoRA gradients are applied every this many corrective events.");

    public static final ConfigOption<Integer> MICRO_PUBLISH_EVERY = ConfigOptions.key("sona.micro.publish-every")
            .intType().defaultValue(InstantLoopConfig.DEFAULT_PUBLISH_EVERY_UPDATES)
            .withDescription("The MicroLoRA becomes a candidate for the gate every this many applied updates.");

    public static final ConfigOption<Duration> MICRO_PUBLISH_INTERVAL = ConfigOptions.key("sona.micro.publish-interval")
            .durationType().defaultValue(Duration.ofMillis(InstantLoopConfig.DEFAULT_PUBLISH_INTERVAL_MS))
            .withDescription("The MicroLoRA also becomes a candidate at least this often while it changes.");

    // ---- background loop ----------------------------------------------------------------------

    public static final ConfigOption<Duration> BACKGROUND_INTERVAL = ConfigOptions.key("sona.background.interval")
            .durationType().defaultValue(Duration.ofHours(1))
            .withDescription("Length of the background loop's processing-time window.");

    public static final ConfigOption<Integer> MAX_TRAJECTORIES = ConfigOptions.key("sona.background.max-trajectories")
            .intType().defaultValue(BackgroundConfig.DEFAULT.maxTrajectories())
            .withDescription("Reservoir size of a window; beyond it the window keeps a uniform sample.");

    public static final ConfigOption<Integer> MIN_TRAJECTORIES = ConfigOptions.key("sona.background.min-trajectories")
            .intType().defaultValue(BackgroundConfig.DEFAULT.minTrajectories())
            .withDescription("A window with fewer trajectories is carried over into the next one.");

    public static final ConfigOption<Integer> PATTERN_CLUSTERS = ConfigOptions.key("sona.background.pattern-clusters")
            .intType().defaultValue(BackgroundConfig.DEFAULT.patternClusters())
            .withDescription("Centres per window: the bank's patterns, then new ones up to this, and a quarter of "
                    + "it more. Set it at or above the number of clusters: pieces of one cluster are joined.");

    public static final ConfigOption<Float> QUALITY_THRESHOLD = ConfigOptions.key("sona.background.quality-threshold")
            .floatType().defaultValue(BackgroundConfig.DEFAULT.qualityThreshold())
            .withDescription("Minimum quality for a trajectory to be clustered.");

    public static final ConfigOption<Integer> KMEANS_MAX_ITERATIONS = ConfigOptions.key("sona.kmeans.max-iterations")
            .intType().defaultValue(KMeansConfig.DEFAULT.maxIterations())
            .withDescription("Lloyd iteration limit.");

    public static final ConfigOption<Float> KMEANS_CONVERGENCE = ConfigOptions.key("sona.kmeans.convergence")
            .floatType().defaultValue(KMeansConfig.DEFAULT.tolerance())
            .withDescription("k-means stops once no centroid moves farther than this.");

    public static final ConfigOption<Integer> BANK_CAPACITY = ConfigOptions.key("sona.bank.capacity")
            .intType().defaultValue(ReasoningBankConfig.DEFAULT.capacity())
            .withDescription("Patterns kept per key; the least confident is evicted beyond it.");

    public static final ConfigOption<Float> PATTERN_CONFIDENCE_THRESHOLD =
            ConfigOptions.key("sona.bank.confidence-threshold")
                    .floatType().defaultValue(ReasoningBankConfig.DEFAULT.confidenceThreshold())
                    .withDescription("Minimum confidence for a new pattern to be stored.");

    public static final ConfigOption<Float> BANK_SEPARATION = ConfigOptions.key("sona.bank.separation")
            .floatType().defaultValue(ReasoningBankConfig.DEFAULT.separation())
            .withDescription("Two clusters are one pattern when the density of their members halfway between "
                    + "their centres, each cluster weighing the same, is at least this share of the density at "
                    + "the sparser centre (no valley).");

    public static final ConfigOption<Integer> BANK_MEMORY_WINDOWS = ConfigOptions.key("sona.bank.memory-windows")
            .intType().defaultValue(ReasoningBankConfig.DEFAULT.memoryWindows())
            .withDescription("A pattern's history weighs at most this many times a window's members when it is "
                    + "refined, so a drifting cluster is followed.");

    public static final ConfigOption<Integer> BANK_RETIRE_AFTER = ConfigOptions.key("sona.bank.retire-after-cycles")
            .intType().defaultValue(ReasoningBankConfig.DEFAULT.retireAfterCycles())
            .withDescription("A new pattern that windows stop refining for this many cycles before it is "
                    + "established is retired (a piece of a cluster, a ghost between two); established patterns "
                    + "stay when their trajectories stop, as an earlier task's do, until capacity evicts the "
                    + "least confident.");

    public static final ConfigOption<Integer> BASE_RANK = ConfigOptions.key("sona.base.rank")
            .intType().defaultValue(BaseLoraConfig.DEFAULT.rank())
            .withDescription("BaseLoRA rank.");

    public static final ConfigOption<Float> BASE_ALPHA = ConfigOptions.key("sona.base.alpha")
            .floatType().defaultValue(BaseLoraConfig.DEFAULT.alpha())
            .withDescription("BaseLoRA alpha; its scale is alpha / rank.");

    public static final ConfigOption<Integer> BASE_LAYERS = ConfigOptions.key("sona.base.layers")
            .intType().defaultValue(BaseLoraConfig.DEFAULT.layers())
            .withDescription("Stacked BaseLoRA layers.");

    public static final ConfigOption<Float> BASE_LEARNING_RATE = ConfigOptions.key("sona.base.learning-rate")
            .floatType().defaultValue(BaseLoraConfig.DEFAULT.learningRate())
            .withDescription("BaseLoRA Adam step size.");

    public static final ConfigOption<Integer> BASE_EPOCHS = ConfigOptions.key("sona.base.epochs")
            .intType().defaultValue(BaseLoraConfig.DEFAULT.epochs())
            .withDescription("Passes over a window's training examples.");

    public static final ConfigOption<Integer> BASE_BATCH_SIZE = ConfigOptions.key("sona.base.batch-size")
            .intType().defaultValue(BaseLoraConfig.DEFAULT.batchSize())
            .withDescription("BaseLoRA mini-batch size.");

    public static final ConfigOption<Integer> BASE_PROBE_SAMPLES = ConfigOptions.key("sona.base.probe-samples")
            .intType().defaultValue(BaseLoraConfig.DEFAULT.probeSamples())
            .withDescription("Examples per cycle that measure the loss and batch gradient before and the loss after training.");

    public static final ConfigOption<Float> EWC_LAMBDA = ConfigOptions.key("sona.ewc.lambda")
            .floatType().defaultValue(EwcConfig.DEFAULT.initialLambda())
            .withDescription("Initial EWC++ penalty strength, in units of loss: at 1 a remembered task's loss "
                    + "increase counts as much as the current task's loss. 0 switches EWC++ off.");

    public static final ConfigOption<Float> EWC_MIN_LAMBDA = ConfigOptions.key("sona.ewc.min-lambda")
            .floatType().defaultValue(EwcConfig.DEFAULT.minLambda())
            .withDescription("Lower bound of the adaptive EWC++ lambda.");

    public static final ConfigOption<Float> EWC_MAX_LAMBDA = ConfigOptions.key("sona.ewc.max-lambda")
            .floatType().defaultValue(EwcConfig.DEFAULT.maxLambda())
            .withDescription("Upper bound of the adaptive EWC++ lambda.");

    public static final ConfigOption<Integer> EWC_TASK_MEMORY = ConfigOptions.key("sona.ewc.task-memory")
            .intType().defaultValue(EwcConfig.DEFAULT.taskMemory())
            .withDescription("Inputs remembered per task (a uniform sample) to measure and penalise forgetting on.");

    public static final ConfigOption<Float> EWC_BOUNDARY_Z_SCORE = ConfigOptions.key("sona.ewc.boundary-z-score")
            .floatType().defaultValue(EwcConfig.DEFAULT.boundaryZScore())
            .withDescription("z-score of the boundary statistic (share of the task's learned gain a new batch "
                    + "undoes) against the task's history that can mark a task boundary.");

    public static final ConfigOption<Integer> EWC_MAX_TASKS = ConfigOptions.key("sona.ewc.max-tasks")
            .intType().defaultValue(EwcConfig.DEFAULT.maxTasks())
            .withDescription("Consolidated tasks remembered.");

    public static final ConfigOption<Integer> EWC_BOUNDARY_HISTORY = ConfigOptions.key("sona.ewc.boundary-history")
            .intType().defaultValue(EwcConfig.DEFAULT.boundaryHistory())
            .withDeprecatedKeys("sona.ewc.gradient-history")
            .withDescription("Cycles of boundary statistics kept for the task-boundary z-score.");

    public static final ConfigOption<Integer> EWC_MIN_HISTORY = ConfigOptions.key("sona.ewc.min-history")
            .intType().defaultValue(EwcConfig.DEFAULT.minHistory())
            .withDescription("Cycles of the current task needed before it can end at a boundary.");

    public static final ConfigOption<Float> EWC_RETENTION_TARGET = ConfigOptions.key("sona.ewc.retention-target")
            .floatType().defaultValue(EwcConfig.DEFAULT.retentionTarget())
            .withDescription("Share of an old task's learned loss reduction to keep; drives lambda.");

    public static final ConfigOption<Float> EWC_BOUNDARY_LOSS_INCREASE =
            ConfigOptions.key("sona.ewc.boundary-loss-increase")
                    .floatType().defaultValue(EwcConfig.DEFAULT.boundaryLossIncrease())
                    .withDescription("A task boundary also needs the new batch to undo at least this share of what "
                    + "the current task had learned.");

    // ---- routing ------------------------------------------------------------------------------

    public static final ConfigOption<Float> HIT_CONFIDENCE = ConfigOptions.key("sona.routing.hit-confidence")
            .floatType().defaultValue(RouteAdvisor.DEFAULT.hitConfidence())
            .withDescription("Pattern confidence above which its route is used (a pattern hit).");

    public static final ConfigOption<Float> HIT_SIMILARITY = ConfigOptions.key("sona.routing.hit-similarity")
            .floatType().defaultValue(RouteAdvisor.DEFAULT.hitSimilarity())
            .withDescription("Minimum cosine similarity for a pattern hit.");

    public static final ConfigOption<Double> EXPLORATION = ConfigOptions.key("sona.routing.exploration")
            .doubleType().defaultValue(RouteAdvisor.DEFAULT.explorationWeight())
            .withDescription("UCB exploration weight c.");

    // ---- adapter gate -------------------------------------------------------------------------

    public static final ConfigOption<Double> GATE_HELD_OUT_SHARE = ConfigOptions.key("sona.gate.held-out-share")
            .doubleType().defaultValue(HeldOutSplit.DEFAULT_SHARE)
            .withDescription("Share of trajectories held out by a hash of their id: no learner trains on them, the "
                    + "gate validates only on them. 0 holds out nothing.");

    public static final ConfigOption<Integer> GATE_HELD_OUT_SIZE = ConfigOptions.key("sona.gate.held-out-size")
            .intType().defaultValue(AdapterGateConfig.DEFAULT_HELD_OUT_SIZE)
            .withDescription("Recent held-out corrected trajectories kept per key to validate candidates on.");

    public static final ConfigOption<Integer> GATE_MIN_HELD_OUT = ConfigOptions.key("sona.gate.min-held-out")
            .intType().defaultValue(AdapterGateConfig.DEFAULT_MIN_HELD_OUT)
            .withDescription("With fewer held-out examples a candidate only has to be no worse than the identity.");

    public static final ConfigOption<Double> GATE_RETENTION = ConfigOptions.key("sona.gate.retention")
            .doubleType().defaultValue(AdapterGateConfig.DEFAULT_RETENTION)
            .withDescription("Minimum quality retention of the served model a candidate makes against the served "
                    + "model, on every held-out set, to be promoted.");

    public static final ConfigOption<Integer> GATE_TASK_HELD_OUT_SIZE =
            ConfigOptions.key("sona.gate.task-held-out-size")
                    .intType().defaultValue(AdapterGateConfig.DEFAULT_TASK_HELD_OUT_SIZE)
                    .withDescription("Held-out trajectories kept from each earlier task, to see forgetting.");

    public static final ConfigOption<Integer> GATE_REMEMBERED_TASKS = ConfigOptions.key("sona.gate.remembered-tasks")
            .intType().defaultValue(AdapterGateConfig.DEFAULT_REMEMBERED_TASKS)
            .withDescription("Earlier tasks whose held-out sets the gate keeps.");

    public static final ConfigOption<Double> GATE_AUTO_ROLLBACK_QUALITY =
            ConfigOptions.key("sona.gate.auto-rollback-quality")
                    .doubleType().defaultValue(AdapterGateConfig.DEFAULT_AUTO_ROLLBACK_QUALITY)
                    .withDescription("Roll back when what is served after a promotion keeps less than this "
                            + "fraction of what the version before gives (held-out quality, and the mean quality of "
                            + "trajectories without a correction); 0 turns automatic rollback off.");

    public static final ConfigOption<Integer> GATE_AUTO_ROLLBACK_WINDOW =
            ConfigOptions.key("sona.gate.auto-rollback-window")
                    .intType().defaultValue(AdapterGateConfig.DEFAULT_AUTO_ROLLBACK_WINDOW)
                    .withDescription("Trajectories without a correction compared before and after a promotion.");

    public static final ConfigOption<Integer> GATE_AUTO_ROLLBACK_HELD_OUT =
            ConfigOptions.key("sona.gate.auto-rollback-held-out")
                    .intType().defaultValue(AdapterGateConfig.DEFAULT_AUTO_ROLLBACK_HELD_OUT)
                    .withDescription("Held-out examples after a promotion on which it is compared with a rollback.");

    public static final ConfigOption<Integer> GATE_HISTORY_SIZE = ConfigOptions.key("sona.gate.history-size")
            .intType().defaultValue(AdapterGateConfig.DEFAULT_HISTORY_SIZE)
            .withDescription("Published versions kept per key and kind for rollback.");

    // ---- kafka --------------------------------------------------------------------------------

    /** Prefix of Kafka client properties passed through to every source, sink and admin client. */
    public static final String KAFKA_PROPERTIES_PREFIX = "sona.kafka.properties.";

    public static final ConfigOption<String> KAFKA_BOOTSTRAP_SERVERS = ConfigOptions.key("sona.kafka.bootstrap-servers")
            .stringType().defaultValue("127.0.0.1:9092")
            .withDescription("Kafka brokers to connect to (host:port, comma-separated).");

    public static final ConfigOption<String> KAFKA_GROUP_ID = ConfigOptions.key("sona.kafka.group-id")
            .stringType().defaultValue("sona-flink")
            .withDescription("Consumer group of the sources; offsets are committed to it on checkpoints.");

    public static final ConfigOption<String> TOPIC_TRAJECTORIES = ConfigOptions.key("sona.kafka.topic.trajectories")
            .stringType().defaultValue("sona.trajectories")
            .withDescription("Input topic of trajectories.");

    public static final ConfigOption<String> TOPIC_SIGNALS = ConfigOptions.key("sona.kafka.topic.signals")
            .stringType().defaultValue("sona.signals")
            .withDescription("Input topic of training signals.");

    public static final ConfigOption<String> TOPIC_CONTROL = ConfigOptions.key("sona.kafka.topic.control")
            .stringType().defaultValue("sona.control")
            .withDescription("Input topic of control commands, broadcast to the adapter gate.");

    public static final ConfigOption<String> TOPIC_QUERIES = ConfigOptions.key("sona.kafka.topic.queries")
            .stringType().defaultValue("sona.queries")
            .withDescription("Input topic of queries to the inference operator.");

    public static final ConfigOption<String> TOPIC_ADAPTER_UPDATES = ConfigOptions.key("sona.kafka.topic.adapter-updates")
            .stringType().defaultValue("sona.adapter-updates")
            .withDescription("Output topic of published adapter versions, keyed by adapter key.");

    public static final ConfigOption<String> TOPIC_PATTERN_SNAPSHOTS =
            ConfigOptions.key("sona.kafka.topic.pattern-snapshots")
                    .stringType().defaultValue("sona.pattern-snapshots")
                    .withDescription("Output topic of each key's ReasoningBank after a background cycle.");

    public static final ConfigOption<String> TOPIC_SKILL_MAPS = ConfigOptions.key("sona.kafka.topic.skill-maps")
            .stringType().defaultValue("sona.skill-maps")
            .withDescription("Output topic of per-domain skill maps.");

    public static final ConfigOption<String> TOPIC_DEAD_LETTERS = ConfigOptions.key("sona.kafka.topic.dead-letters")
            .stringType().defaultValue("sona.dead-letters")
            .withDescription("Output topic of rejected input with its raw bytes, coordinates and reason.");

    public static final ConfigOption<String> TOPIC_GATE_DECISIONS = ConfigOptions.key("sona.kafka.topic.gate-decisions")
            .stringType().defaultValue("sona.gate-decisions")
            .withDescription("Output topic of the adapter gate's decisions (published, rejected, held, rolled back).");

    public static final ConfigOption<String> TOPIC_RESPONSES = ConfigOptions.key("sona.kafka.topic.responses")
            .stringType().defaultValue("sona.responses")
            .withDescription("Output topic of the inference operator's responses, keyed by adapter key.");

    public static final ConfigOption<DeliveryGuarantee> RESPONSES_DELIVERY =
            ConfigOptions.key("sona.kafka.responses-delivery")
                    .enumType(DeliveryGuarantee.class).defaultValue(DeliveryGuarantee.AT_LEAST_ONCE)
                    .withDescription("Guarantee of the responses sink. at-least-once: a response is readable as soon"
                            + " as it is written (milliseconds after its query), and after a restart a query may be"
                            + " answered again (a response carries its query's id: drop repeats). exactly-once: a"
                            + " response is readable when the checkpoint after it completes, so a query waits up to"
                            + " the checkpoint interval, and it is never repeated. Every other output is exactly once.");

    public static final ConfigOption<Duration> RESPONSES_LINGER = ConfigOptions.key("sona.kafka.responses-linger")
            .durationType().defaultValue(Duration.ZERO)
            .withDescription("linger.ms of the responses sink's producer: how long a response waits for others to"
                    + " share its request. 0: sent at once, since a client is waiting for it (requests still"
                    + " batch while earlier ones are in flight); raise it only for very high query rates.");

    public static final ConfigOption<Integer> KAFKA_PARTITIONS = ConfigOptions.key("sona.kafka.partitions")
            .intType().defaultValue(4)
            .withDescription("Partitions of the topics that the local run creates (existing topics are left as they are).");

    public static final ConfigOption<TransactionNamingStrategy> KAFKA_TRANSACTION_NAMING =
            ConfigOptions.key("sona.kafka.transaction-naming")
                    .enumType(TransactionNamingStrategy.class).defaultValue(TransactionNamingStrategy.INCREMENTING)
                    .withDescription("How the exactly-once sinks name their Kafka transactions. INCREMENTING: a new"
                            + " transactional id per checkpoint and subtask, each of which the broker remembers for"
                            + " transactional.id.expiration.ms (7 days by default): 8 640 a day for each sink"
                            + " subtask at 10 s checkpoints. POOLING: ids reused from a small pool, so that this"
                            + " stays bounded; it needs Kafka 3.0+ and, with ACLs, read access to the output topics"
                            + " (aborting lingering transactions lists them). A job that ran with POOLING cannot go back"
                            + " to INCREMENTING; switch from INCREMENTING through a savepoint.");

    public static final ConfigOption<Duration> KAFKA_TRANSACTION_TIMEOUT =
            ConfigOptions.key("sona.kafka.transaction-timeout")
                    .durationType().defaultValue(Duration.ofMinutes(15))
                    .withDescription("transaction.timeout.ms of the exactly-once sinks; must exceed the checkpoint"
                            + " interval and not exceed the broker's transaction.max.timeout.ms.");

    public static final ConfigOption<String> KAFKA_TRANSACTIONAL_ID_PREFIX =
            ConfigOptions.key("sona.kafka.transactional-id-prefix")
                    .stringType().defaultValue("sona-flink")
                    .withDescription("Prefix of the sinks' transactional ids; unique per job on a cluster.");

    public static final ConfigOption<Duration> KAFKA_PREFLIGHT_TIMEOUT = ConfigOptions.key("sona.kafka.preflight-timeout")
            .durationType().defaultValue(Duration.ofSeconds(30))
            .withDescription("Before submitting, the job checks that the brokers answer, accept its credentials and hold"
                    + " every topic it reads and writes, and fails with the cause instead of restarting forever;"
                    + " this long at most (0 s: no check).");

    public static final ConfigOption<Duration> KAFKA_ALIGNMENT_MAX_DRIFT =
            ConfigOptions.key("sona.kafka.alignment.max-drift")
                    .durationType().defaultValue(Duration.ZERO)
                    .withDescription("How far in record time the trajectories and signals sources may read ahead of"
                            + " each other (Flink's watermark alignment over the Kafka record timestamps; e.g. 2 s):"
                            + " a source that runs ahead pauses. Without it, a backlog's small signals are read far"
                            + " ahead of their trajectories and wait in the feedback join, beyond"
                            + " sona.feedback.max-kept-per-key as dead letters. Both topics' timestamps must come from"
                            + " one clock (Kafka's default CreateTime, stamped when sent, or LogAppendTime). Off (0 s)"
                            + " by default: on Flink 2.2 with Kafka connector 5.0.0 a paused split can fail the job"
                            + " when it ends (FLINK-39728), so bounded reading refuses it, and a paused split that"
                            + " turns idle may never resume (FLINK-40093). See the README, \"Reading a backlog\".");

    public static final ConfigOption<Duration> KAFKA_ALIGNMENT_UPDATE_INTERVAL =
            ConfigOptions.key("sona.kafka.alignment.update-interval")
                    .durationType().defaultValue(Duration.ofMillis(100))
                    .withDescription("How often the aligned sources exchange their positions. On Flink 2.2 a"
                            + " backlog is read at most max-drift / update-interval times faster than it was"
                            + " written (20 times at the defaults).");

    public static final ConfigOption<Duration> KAFKA_ALIGNMENT_IDLE_TIMEOUT =
            ConfigOptions.key("sona.kafka.alignment.idle-timeout")
                    .durationType().defaultValue(Duration.ofSeconds(2))
                    .withDescription("A partition of the aligned topics that brings no record for this long no"
                            + " longer holds the other source back.");

    public static final ConfigOption<Boolean> KAFKA_BOUNDED = ConfigOptions.key("sona.kafka.bounded")
            .booleanType().defaultValue(false)
            .withDescription("Stop at the input offsets that are latest when the job starts (replays, backfills).");

    // ---- inference ------------------------------------------------------------------------------

    public static final ConfigOption<Integer> INFERENCE_BATCH_MAX_SIZE = ConfigOptions.key("sona.inference.batch.max-size")
            .intType().defaultValue(256)
            .withDescription("Queries the inference operator gathers, across keys, into one batched product.");

    public static final ConfigOption<Duration> INFERENCE_BATCH_MAX_WAIT = ConfigOptions.key("sona.inference.batch.max-wait")
            .durationType().defaultValue(Duration.ofMillis(5))
            .withDescription("The longest a query waits for its batch to fill.");

    public static final ConfigOption<InferenceDevice> INFERENCE_DEVICE = ConfigOptions.key("sona.inference.device")
            .enumType(InferenceDevice.class).defaultValue(InferenceDevice.AUTO)
            .withDescription("Where batches are computed: AUTO (a GPU through DJL when there is one, else plain Java,"
                    + " which is faster than DJL on a CPU for low-rank adapters), GPU (fails to start without one),"
                    + " CPU (DJL on the CPU), JAVA (no DJL).");

    public static final ConfigOption<Integer> INFERENCE_DEVICE_MIN_BATCH =
            ConfigOptions.key("sona.inference.device.min-batch")
                    .intType().defaultValue(64)
                    .withDescription("Batches smaller than this are computed in plain Java, faster for them than a"
                            + " round trip through DJL.");

    public static final ConfigOption<Duration> QUERY_BUFFER_TIMEOUT = ConfigOptions.key("sona.inference.buffer-timeout")
            .durationType().defaultValue(Duration.ZERO)
            .withDescription("How long the query path (parsed queries, responses) lets a network buffer fill before"
                    + " sending it; 0: at once. The rest of the job uses execution.buffer-timeout.interval.");

    public static final ConfigOption<MemorySize> INFERENCE_CACHE_SIZE = ConfigOptions.key("sona.inference.cache.max-size")
            .memoryType().defaultValue(MemorySize.parse("256mb"))
            .withDescription("Heap per inference task for ready-to-serve stacks and pattern banks and for what its"
                    + " broadcast state names without holding; the least recently used go first, and are read"
                    + " again from the adapter registry when asked for.");

    public static final ConfigOption<MemorySize> INFERENCE_INLINE_SIZE = ConfigOptions.key("sona.inference.inline.max-size")
            .memoryType().defaultValue(MemorySize.parse("4kb"))
            .withDescription("With an adapter registry, adapters and pattern banks up to this size are held in the"
                    + " inference tasks' broadcast state (checkpointed by every task); larger ones only by version"
                    + " and digest, their content read from the registry. Without a registry everything is held.");

    public static final ConfigOption<Duration> INFERENCE_READ_TIMEOUT = ConfigOptions.key("sona.inference.read-timeout")
            .durationType().defaultValue(Duration.ofSeconds(60))
            .withDescription("How long an inference task keeps trying to read a version from the registry (it is"
                    + " there once the checkpoint after it completes) before the queries waiting for it get an"
                    + " error response.");

    // ---- adapter registry -----------------------------------------------------------------------

    public static final ConfigOption<String> REGISTRY_URI = ConfigOptions.key("sona.registry.uri")
            .stringType().defaultValue("")
            .withDescription("Root of the adapter registry on any Flink file system (file://, s3://, hdfs://):"
                    + " one immutable safetensors file per key, kind and version and a manifest per key, committed"
                    + " with each checkpoint. Unset: no registry.");

    public static final ConfigOption<Integer> REGISTRY_HISTORY = ConfigOptions.key("sona.registry.history")
            .intType().defaultValue(64)
            .withDescription("Versions per key and kind a registry manifest lists (their files stay), and pattern"
                    + " banks per key the registry keeps.");

    public static final ConfigOption<String> REGISTRY_PEFT_BASE_MODEL = ConfigOptions.key("sona.registry.peft.base-model")
            .stringType().defaultValue("")
            .withDescription("base_model_name_or_path of the PEFT export of each key's served stack (e.g."
                    + " 'meta-llama/Llama-3.2-1B'). Empty: no PEFT export.");

    public static final ConfigOption<String> REGISTRY_PEFT_TARGET_MODULE =
            ConfigOptions.key("sona.registry.peft.target-module")
                    .stringType().defaultValue("model.layers.{i}.self_attn.o_proj")
                    .withDescription("The base model's module the exported LoRA adapts, {i} standing for the layer"
                            + " index; its input and output width must be the embedding dimension.");

    public static final ConfigOption<List<Integer>> REGISTRY_PEFT_LAYERS = ConfigOptions.key("sona.registry.peft.layers")
            .intType().asList().defaultValues(0)
            .withDescription("The layer indices {i} of the target module that get the adapter.");

    public static final ConfigOption<Integer> REGISTRY_PEFT_MODULE_WIDTH =
            ConfigOptions.key("sona.registry.peft.module-width")
                    .intType().defaultValue(0)
                    .withDescription("Input and output width of the target module (the base model's hidden size);"
                            + " required with a base model (0: not declared), and must equal the embedding"
                            + " dimension.");

    public static final ConfigOption<String> VLLM_URL = ConfigOptions.key("sona.vllm.url")
            .stringType().defaultValue("")
            .withDescription("A vLLM server (e.g. http://vllm:8000, started with --enable-lora and"
                    + " VLLM_ALLOW_RUNTIME_LORA_UPDATING=True) to which each committed PEFT export is pushed as"
                    + " <key>@b<N>-m<M>. Empty: no push.");

    public static final ConfigOption<String> VLLM_REGISTRY_PATH = ConfigOptions.key("sona.vllm.registry-path")
            .stringType().defaultValue("")
            .withDescription("The registry root as a path on the vLLM server (where it mounts it). Empty: the"
                    + " path of sona.registry.uri.");

    public static final ConfigOption<Duration> VLLM_UNLOAD_GRACE = ConfigOptions.key("sona.vllm.unload-grace")
            .durationType().defaultValue(Duration.ofSeconds(60))
            .withDescription("How long a replaced version stays loaded in vLLM, for requests already sent to it.");

    public static final ConfigOption<Duration> VLLM_REQUEST_TIMEOUT = ConfigOptions.key("sona.vllm.request-timeout")
            .durationType().defaultValue(Duration.ofSeconds(10))
            .withDescription("The longest one request to vLLM may take before it is retried.");

    public static final ConfigOption<Integer> VLLM_MAX_ATTEMPTS = ConfigOptions.key("sona.vllm.max-attempts")
            .intType().defaultValue(6)
            .withDescription("Attempts per request (backoff from 0.5 s, doubling) before a version's push is given up.");

    // ---- builders -----------------------------------------------------------------------------

    public static MicroLoraConfig microLora(ReadableConfig c) {
        return new MicroLoraConfig(c.get(MICRO_RANK), c.get(MICRO_ALPHA), c.get(MICRO_LEARNING_RATE),
                c.get(MICRO_FLUSH_EVERY));
    }

    public static BaseLoraConfig baseLora(ReadableConfig c) {
        return new BaseLoraConfig(c.get(BASE_RANK), c.get(BASE_ALPHA), c.get(BASE_LAYERS), c.get(BASE_LEARNING_RATE),
                c.get(BASE_EPOCHS), c.get(BASE_BATCH_SIZE), c.get(BASE_PROBE_SAMPLES));
    }

    public static EwcConfig ewc(ReadableConfig c) {
        return new EwcConfig(c.get(EWC_LAMBDA), c.get(EWC_MIN_LAMBDA), c.get(EWC_MAX_LAMBDA), c.get(EWC_TASK_MEMORY),
                c.get(EWC_BOUNDARY_Z_SCORE), c.get(EWC_MAX_TASKS), c.get(EWC_BOUNDARY_HISTORY), c.get(EWC_MIN_HISTORY),
                c.get(EWC_RETENTION_TARGET), c.get(EWC_BOUNDARY_LOSS_INCREASE));
    }

    public static BackgroundConfig background(ReadableConfig c) {
        return new BackgroundConfig(c.get(QUALITY_THRESHOLD), c.get(PATTERN_CLUSTERS), c.get(MIN_TRAJECTORIES),
                c.get(MAX_TRAJECTORIES), new KMeansConfig(c.get(KMEANS_MAX_ITERATIONS), c.get(KMEANS_CONVERGENCE)),
                new ReasoningBankConfig(c.get(BANK_CAPACITY), c.get(PATTERN_CONFIDENCE_THRESHOLD),
                        c.get(BANK_SEPARATION), c.get(BANK_MEMORY_WINDOWS), c.get(BANK_RETIRE_AFTER)),
                baseLora(c), ewc(c));
    }

    public static InstantLoopConfig instantLoop(ReadableConfig c) {
        return new InstantLoopConfig(c.get(EMBEDDING_DIMENSION), microLora(c),
                c.get(MICRO_PUBLISH_EVERY), c.get(MICRO_PUBLISH_INTERVAL).toMillis(), c.get(SEED));
    }

    public static BackgroundLoopConfig backgroundLoop(ReadableConfig c) {
        return new BackgroundLoopConfig(c.get(EMBEDDING_DIMENSION), c.get(BACKGROUND_INTERVAL).toMillis(),
                background(c), c.get(SEED), heldOutSplit(c));
    }

    public static HeldOutSplit heldOutSplit(ReadableConfig c) {
        return new HeldOutSplit(c.get(GATE_HELD_OUT_SHARE));
    }

    public static FeedbackJoinConfig feedbackJoin(ReadableConfig c) {
        return new FeedbackJoinConfig(c.get(FEEDBACK_HOLD).toMillis(), c.get(FEEDBACK_LATE_RETENTION).toMillis(),
                c.get(FEEDBACK_MAX_KEPT_PER_KEY), c.get(FEEDBACK_CACHED_ARRIVALS));
    }

    public static AdapterGateConfig adapterGate(ReadableConfig c) {
        return new AdapterGateConfig(heldOutSplit(c), c.get(GATE_HELD_OUT_SIZE), c.get(GATE_MIN_HELD_OUT),
                c.get(GATE_RETENTION), c.get(GATE_TASK_HELD_OUT_SIZE), c.get(GATE_REMEMBERED_TASKS),
                c.get(GATE_AUTO_ROLLBACK_QUALITY), c.get(GATE_AUTO_ROLLBACK_WINDOW), c.get(GATE_AUTO_ROLLBACK_HELD_OUT),
                c.get(GATE_HISTORY_SIZE));
    }

    /**
     * The adapter registry sink, when {@link #REGISTRY_URI} is set; with a PEFT export of the served
     * stack when {@link #REGISTRY_PEFT_BASE_MODEL} is set too.
     *
     * @throws IllegalConfigurationException if the export's module width is missing or is not the
     *     embedding dimension (the exported LoRA would not load, or would adapt the wrong module)
     */
    public static Optional<AdapterRegistrySink> adapterRegistry(ReadableConfig c) {
        String uri = c.get(REGISTRY_URI).strip();
        if (uri.isEmpty()) {
            return Optional.empty();
        }
        PeftExport peft = null;
        String baseModel = c.get(REGISTRY_PEFT_BASE_MODEL).strip();
        if (!baseModel.isEmpty()) {
            int width = c.get(REGISTRY_PEFT_MODULE_WIDTH);
            if (width == 0) {
                throw new IllegalConfigurationException(REGISTRY_PEFT_MODULE_WIDTH.key() + " must be set with "
                        + REGISTRY_PEFT_BASE_MODEL.key() + ": the hidden size of " + baseModel);
            }
            if (width != c.get(EMBEDDING_DIMENSION)) {
                throw new IllegalConfigurationException(REGISTRY_PEFT_MODULE_WIDTH.key() + " " + width + " of "
                        + baseModel + " is not the embedding dimension " + c.get(EMBEDDING_DIMENSION)
                        + ": adapters of this job cannot adapt " + c.get(REGISTRY_PEFT_TARGET_MODULE));
            }
            peft = new PeftExport(baseModel, c.get(REGISTRY_PEFT_TARGET_MODULE), c.get(REGISTRY_PEFT_LAYERS));
        }
        VllmConfig vllm = null;
        String vllmUrl = c.get(VLLM_URL).strip();
        if (!vllmUrl.isEmpty()) {
            if (peft == null) {
                throw new IllegalConfigurationException(VLLM_URL.key() + " needs the PEFT export: set "
                        + REGISTRY_PEFT_BASE_MODEL.key() + " to the model vLLM serves");
            }
            String path = c.get(VLLM_REGISTRY_PATH).strip();
            vllm = new VllmConfig(URI.create(vllmUrl), path.isEmpty() ? new Path(uri).toUri().getPath() : path,
                    c.get(VLLM_UNLOAD_GRACE).toMillis(), c.get(VLLM_REQUEST_TIMEOUT).toMillis(),
                    c.get(VLLM_MAX_ATTEMPTS), 500);
        }
        return Optional.of(new AdapterRegistrySink(uri, c.get(REGISTRY_HISTORY), peft, vllm));
    }

    public static InferenceConfig inference(ReadableConfig c) {
        return new InferenceConfig(routeAdvisor(c), c.get(INFERENCE_BATCH_MAX_SIZE),
                c.get(INFERENCE_BATCH_MAX_WAIT).toMillis(), c.get(INFERENCE_DEVICE), c.get(INFERENCE_DEVICE_MIN_BATCH),
                c.get(INFERENCE_CACHE_SIZE).getBytes(), c.get(INFERENCE_INLINE_SIZE).getBytes(),
                c.get(INFERENCE_READ_TIMEOUT).toMillis());
    }

    /** Where inference tasks read what their state names without holding: the registry, when there is one. */
    public static Optional<RegistryServingStore> servingStore(ReadableConfig c) {
        String uri = c.get(REGISTRY_URI).strip();
        return uri.isEmpty() ? Optional.empty() : Optional.of(new RegistryServingStore(uri));
    }

    /** The registry's pattern banks, when there is a registry. */
    public static Optional<PatternRegistrySink> patternRegistry(ReadableConfig c) {
        String uri = c.get(REGISTRY_URI).strip();
        return uri.isEmpty() ? Optional.empty() : Optional.of(new PatternRegistrySink(uri, c.get(REGISTRY_HISTORY)));
    }

    public static RouteAdvisor routeAdvisor(ReadableConfig c) {
        return new RouteAdvisor(c.get(HIT_CONFIDENCE), c.get(HIT_SIMILARITY), c.get(EXPLORATION));
    }

    /**
     * The Kafka client properties given as {@code sona.kafka.properties.<client key>} (security,
     * timeouts, compression), with the prefix removed.
     */
    public static Properties kafkaClientProperties(ReadableConfig c) {
        Properties properties = new Properties();
        c.toMap().forEach((key, value) -> {
            if (key.startsWith(KAFKA_PROPERTIES_PREFIX) && key.length() > KAFKA_PROPERTIES_PREFIX.length()) {
                properties.setProperty(key.substring(KAFKA_PROPERTIES_PREFIX.length()), value);
            }
        });
        return properties;
    }

    /** Every topic the job reads or writes, inputs first. */
    public static List<String> topics(ReadableConfig c) {
        return List.of(c.get(TOPIC_TRAJECTORIES), c.get(TOPIC_SIGNALS), c.get(TOPIC_CONTROL), c.get(TOPIC_QUERIES),
                c.get(TOPIC_ADAPTER_UPDATES), c.get(TOPIC_PATTERN_SNAPSHOTS), c.get(TOPIC_SKILL_MAPS),
                c.get(TOPIC_DEAD_LETTERS), c.get(TOPIC_GATE_DECISIONS), c.get(TOPIC_RESPONSES));
    }

    /** Every option declared in this class, in declaration order. */
    public static List<ConfigOption<?>> all() {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field f : SonaOptions.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == ConfigOption.class) {
                try {
                    options.add((ConfigOption<?>) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return options;
    }
}
