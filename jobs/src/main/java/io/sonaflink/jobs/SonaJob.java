package io.sonaflink.jobs;

import io.sonaflink.connectors.json.OutputJson;
import io.sonaflink.connectors.kafka.KafkaPreflight;
import io.sonaflink.connectors.kafka.SonaKafka;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.events.Response;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ParameterTool;
import org.apache.flink.util.function.SerializableFunction;

import java.util.Map;
import java.util.Properties;

/**
 * The production job: reads trajectories, signals, control commands and queries from Kafka and writes
 * every output to Kafka exactly once. This is the main class of the job jar; on a cluster:
 *
 * <pre>
 * flink run -c io.sonaflink.jobs.SonaJob sona-flink-jobs.jar [--sona.kafka.bootstrap-servers host:9092] ...
 * </pre>
 *
 * <p>Settings come from the cluster's {@code config.yaml}, overridden by {@code --key value}
 * arguments. Every {@code sona.kafka.properties.*} setting is passed to each Kafka client.
 */
public final class SonaJob {

    public static final String JOB_NAME = "sona-flink";

    /** Watermark alignment group of the trajectories and signals sources. */
    static final String FEEDBACK_ALIGNMENT_GROUP = "sona-feedback-inputs";

    private SonaJob() {}

    public static void main(String[] args) throws Exception {
        if (java.util.List.of(args).contains("--help") || java.util.List.of(args).contains("-h")) {
            System.out.print(help());
            return;
        }
        Map<String, String> given = ParameterTool.fromArgs(args).toMap();
        given.keySet().forEach(CommandLineSettings::requireKnown); // a misspelt key would be ignored
        Configuration arguments = Configuration.fromMap(given);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(arguments);
        Configuration conf = Configuration.fromMap(env.getConfiguration().toMap());
        conf.addAll(arguments);
        preflight(conf);
        build(env, conf);
        env.execute(JOB_NAME);
    }

    /** Usage and every job option with its default, as {@code --help} prints them. */
    static String help() {
        StringBuilder s = new StringBuilder("Usage: flink run -c " + SonaJob.class.getName()
                + " sona-flink-job.jar [--<key> <value>]...\n"
                + "Runs the job against Kafka; settings come from the cluster's configuration, overridden by"
                + " --<key> <value>. Job options:\n");
        for (org.apache.flink.configuration.ConfigOption<?> option : SonaOptions.all()) {
            s.append("  --").append(option.key()).append(" (default: ")
                    .append(option.hasDefaultValue() ? option.defaultValue() : "none").append(")\n");
        }
        return s.append("Any Flink setting is accepted the same way (e.g. --parallelism.default 4).\n").toString();
    }

    /**
     * Fails with the cause when Kafka cannot serve the job (no broker, refused credentials or
     * access, missing topics): no restart would heal that.
     */
    static void preflight(ReadableConfig conf) {
        java.time.Duration timeout = conf.get(SonaOptions.KAFKA_PREFLIGHT_TIMEOUT);
        if (!timeout.isZero()) {
            KafkaPreflight.check(conf.get(SonaOptions.KAFKA_BOOTSTRAP_SERVERS), SonaOptions.kafkaClientProperties(conf),
                    SonaOptions.topics(conf), timeout);
        }
    }

    /** Adds the whole job, from the input topics to the output topics, to {@code env}. */
    public static void build(StreamExecutionEnvironment env, ReadableConfig conf) {
        Properties client = SonaOptions.kafkaClientProperties(conf);
        String bootstrap = conf.get(SonaOptions.KAFKA_BOOTSTRAP_SERVERS);
        String group = conf.get(SonaOptions.KAFKA_GROUP_ID);
        boolean bounded = conf.get(SonaOptions.KAFKA_BOUNDED);

        DataStream<RawRecord> trajectories = env.fromSource(
                        SonaKafka.rawSource(bootstrap, conf.get(SonaOptions.TOPIC_TRAJECTORIES), group, client, bounded),
                        feedbackInputs(conf), "kafka-trajectories")
                .uid(SonaPipeline.UID_PREFIX + "source.trajectories");
        DataStream<RawRecord> signals = env.fromSource(
                        SonaKafka.rawSource(bootstrap, conf.get(SonaOptions.TOPIC_SIGNALS), group, client, bounded),
                        feedbackInputs(conf), "kafka-signals")
                .uid(SonaPipeline.UID_PREFIX + "source.signals");

        DataStream<RawRecord> control = env.fromSource(
                        SonaKafka.rawSource(bootstrap, conf.get(SonaOptions.TOPIC_CONTROL), group, client, bounded),
                        WatermarkStrategy.noWatermarks(), "kafka-control")
                .uid(SonaPipeline.UID_PREFIX + "source.control");

        DataStream<RawRecord> queries = env.fromSource(
                        SonaKafka.rawSource(bootstrap, conf.get(SonaOptions.TOPIC_QUERIES), group, client, bounded),
                        WatermarkStrategy.noWatermarks(), "kafka-queries")
                .uid(SonaPipeline.UID_PREFIX + "source.queries");

        Sinks sinks = new Sinks(conf, bootstrap, client);
        SonaPipeline.build(trajectories, signals, control, queries,
                new SonaSinks(
                        sinks.sink(SonaOptions.TOPIC_ADAPTER_UPDATES, "adapter-updates", u -> key(u.key()),
                                OutputJson::adapterUpdate),
                        sinks.sink(SonaOptions.TOPIC_PATTERN_SNAPSHOTS, "pattern-snapshots", s -> key(s.key()),
                                OutputJson::patternSnapshot),
                        sinks.sink(SonaOptions.TOPIC_SKILL_MAPS, "skill-maps", m -> key(m.key()), OutputJson::skillMap),
                        sinks.deadLetters(conf.get(SonaOptions.DEAD_LETTER_MAX_RAW_BYTES)),
                        sinks.sink(SonaOptions.TOPIC_GATE_DECISIONS, "gate-decisions", d -> key(d.key()),
                                OutputJson::gateDecision),
                        sinks.responses()),
                conf);
    }

    /**
     * The trajectories and signals sources read in step, by their Kafka record timestamps: the
     * feedback join pairs them and keeps what waits for its partner in bounded state, so a source
     * that ran ahead (a backlog's signals are small and read fast) would push its records out of
     * the join as dead letters. Nothing downstream uses event time; the watermarks only pace the
     * two sources.
     */
    static WatermarkStrategy<RawRecord> feedbackInputs(ReadableConfig conf) {
        java.time.Duration drift = conf.get(SonaOptions.KAFKA_ALIGNMENT_MAX_DRIFT);
        if (drift.isZero()) {
            return WatermarkStrategy.noWatermarks();
        }
        if (conf.get(SonaOptions.KAFKA_BOUNDED)) {
            // a split paused for alignment as it reaches its stopping offset fails the job (FLINK-39728)
            throw new IllegalConfigurationException(SonaOptions.KAFKA_ALIGNMENT_MAX_DRIFT.key() + " = " + drift
                    + " with " + SonaOptions.KAFKA_BOUNDED.key() + " = true: the Kafka connector can fail a bounded"
                    + " read whose split is paused for alignment when it ends (FLINK-39728); align unbounded reads"
                    + " only, or set " + SonaOptions.KAFKA_ALIGNMENT_MAX_DRIFT.key() + " to 0");
        }
        return WatermarkStrategy.<RawRecord>forMonotonousTimestamps()
                .withIdleness(conf.get(SonaOptions.KAFKA_ALIGNMENT_IDLE_TIMEOUT))
                .withWatermarkAlignment(FEEDBACK_ALIGNMENT_GROUP, drift,
                        conf.get(SonaOptions.KAFKA_ALIGNMENT_UPDATE_INTERVAL));
    }

    /** The responses sink's producer settings: the job's client settings, with the responses' own linger. */
    static Properties responsesProducer(Properties client, ReadableConfig conf) {
        Properties producer = new Properties();
        producer.putAll(client);
        producer.setProperty("linger.ms", Long.toString(conf.get(SonaOptions.RESPONSES_LINGER).toMillis()));
        return producer;
    }

    /** Kafka keys are adapter keys, so one key's outputs stay in order on one partition. */
    private static String key(AdapterKey key) {
        return key == null ? null : key.asString();
    }

    /** Exactly-once sinks sharing the job's Kafka settings; each has its own transactional ids. */
    private record Sinks(ReadableConfig conf, String bootstrap, Properties client) {

        /**
         * Dead letters of bounded size, and a producer that accepts the largest of them: no input,
         * however large, can make its dead letter unwritable and stall the job.
         */
        KafkaSink<DeadLetter> deadLetters(int maxRawBytes) {
            Properties producer = new Properties();
            producer.putAll(client);
            int needed = OutputJson.maxDeadLetterBytes(maxRawBytes);
            if (needed > Integer.parseInt(producer.getProperty("max.request.size", "1048576"))) {
                producer.setProperty("max.request.size", Integer.toString(needed));
            }
            return new Sinks(conf, bootstrap, producer).sink(SonaOptions.TOPIC_DEAD_LETTERS, "dead-letters",
                    d -> null, d -> OutputJson.deadLetter(d, maxRawBytes));
        }

        /** Responses with their own guarantee, sent without lingering: a client waits for each. */
        KafkaSink<Response> responses() {
            return new Sinks(conf, bootstrap, responsesProducer(client, conf)).sink(SonaOptions.TOPIC_RESPONSES, "responses",
                    r -> key(r.key()), OutputJson::response, conf.get(SonaOptions.RESPONSES_DELIVERY));
        }

        <T> KafkaSink<T> sink(
                ConfigOption<String> topic, String name,
                SerializableFunction<T, String> key, SerializableFunction<T, byte[]> value) {
            return sink(topic, name, key, value, DeliveryGuarantee.EXACTLY_ONCE);
        }

        <T> KafkaSink<T> sink(
                ConfigOption<String> topic, String name,
                SerializableFunction<T, String> key, SerializableFunction<T, byte[]> value,
                DeliveryGuarantee guarantee) {
            return SonaKafka.sink(bootstrap, conf.get(topic), key, value, guarantee,
                    conf.get(SonaOptions.KAFKA_TRANSACTIONAL_ID_PREFIX) + "-" + name,
                    conf.get(SonaOptions.KAFKA_TRANSACTION_NAMING), client,
                    conf.get(SonaOptions.KAFKA_TRANSACTION_TIMEOUT).toMillis());
        }
    }
}
