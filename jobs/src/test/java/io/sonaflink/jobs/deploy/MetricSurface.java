package io.sonaflink.jobs.deploy;

import io.sonaflink.operators.background.BackgroundLoopOperator;
import io.sonaflink.operators.events.GateDecisionType;
import io.sonaflink.operators.feedback.FeedbackJoinFunction;
import io.sonaflink.operators.gate.AdapterGateFunction;
import io.sonaflink.operators.inference.InferenceOperator;
import io.sonaflink.operators.parse.ParseFunction;

import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.connector.kafka.source.metrics.KafkaSourceReaderMetrics;
import org.apache.flink.core.plugin.PluginManager;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.runtime.checkpoint.DefaultCheckpointStatsTracker;
import org.apache.flink.runtime.clusterframework.types.ResourceID;
import org.apache.flink.runtime.executiongraph.ExecutionAttemptID;
import org.apache.flink.runtime.metrics.MetricNames;
import org.apache.flink.runtime.metrics.MetricRegistryConfiguration;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.metrics.MetricRegistryImpl;
import org.apache.flink.runtime.metrics.ReporterSetup;
import org.apache.flink.runtime.metrics.ReporterSetupBuilder;
import org.apache.flink.runtime.metrics.filter.DefaultReporterFilters;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.InternalSourceReaderMetricGroup;
import org.apache.flink.runtime.metrics.groups.JobManagerJobMetricGroup;
import org.apache.flink.runtime.metrics.groups.JobManagerMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskManagerJobMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskManagerMetricGroup;
import org.apache.flink.runtime.metrics.groups.TaskMetricGroup;
import org.apache.kafka.common.TopicPartition;

import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Prometheus sees from the cluster: the metrics reporters of a Flink configuration, set up by
 * Flink's own code, receive the metrics this job's operators register (by the names in the operator
 * classes), those of the Kafka source (registered by the connector's own metrics class) and Flink's
 * task and checkpoint metrics (registered by Flink's classes); the reporter's HTTP endpoint is then
 * scraped. The exported names and labels are what the dashboard may use.
 */
final class MetricSurface {

    /** The operator counters of the job, by the constants the operators register them with. */
    static List<String> jobCounters() {
        List<String> names = new ArrayList<>(List.of(
                ParseFunction.PARSED_COUNTER, ParseFunction.DEAD_LETTER_COUNTER,
                FeedbackJoinFunction.JOINED_SIGNALS_COUNTER, FeedbackJoinFunction.LATE_CORRECTIONS_COUNTER,
                FeedbackJoinFunction.UNMATCHED_SIGNALS_COUNTER, FeedbackJoinFunction.DUPLICATE_TRAJECTORIES_COUNTER,
                FeedbackJoinFunction.EVICTED_TRAJECTORIES_COUNTER,
                AdapterGateFunction.METRIC_EVENTS, AdapterGateFunction.METRIC_CORRECTIONS,
                AdapterGateFunction.METRIC_HELD_OUT_EVENTS,
                AdapterGateFunction.METRIC_REJECTED_CORRECTIONS, AdapterGateFunction.METRIC_MICRO_UPDATES,
                BackgroundLoopOperator.SETTLED_COUNTER,
                BackgroundLoopOperator.CYCLES_COUNTER, BackgroundLoopOperator.CARRIED_OVER_COUNTER,
                BackgroundLoopOperator.TASK_BOUNDARIES_COUNTER, BackgroundLoopOperator.UNPLACED_COUNTER,
                BackgroundLoopOperator.PATTERNS_RETIRED_COUNTER,
                InferenceOperator.METRIC_QUERIES, InferenceOperator.METRIC_PATTERN_HITS,
                InferenceOperator.METRIC_ADAPTER_SWAPS, InferenceOperator.METRIC_STALE_UPDATES,
                InferenceOperator.METRIC_DEVICE_BATCHES, InferenceOperator.METRIC_DEVICE_FAILURES));
        for (GateDecisionType type : GateDecisionType.values()) {
            names.add(AdapterGateFunction.decisionCounter(type));
        }
        return names;
    }

    /** The operator gauges of the job, by the constants the operators register them with. */
    static List<String> jobGauges() {
        return List.of(BackgroundLoopOperator.GAUGE_GRADIENT_NORM, BackgroundLoopOperator.GAUGE_BOUNDARY_Z_SCORE,
                BackgroundLoopOperator.GAUGE_EWC_LAMBDA, BackgroundLoopOperator.GAUGE_EWC_PENALTY,
                BackgroundLoopOperator.GAUGE_EWC_TASKS);
    }

    /** The operator histograms of the job (exported as summaries with quantile labels). */
    static List<String> jobHistograms() {
        return List.of(FeedbackJoinFunction.METRIC_SIGNAL_ARRIVAL,
                AdapterGateFunction.METRIC_CORRECTION_TO_UPDATE, AdapterGateFunction.METRIC_CORRECTION_TO_PUBLISHED,
                InferenceOperator.METRIC_QUERY_LATENCY, InferenceOperator.METRIC_SWAP_LATENCY,
                InferenceOperator.METRIC_INSTALL_LATENCY, InferenceOperator.METRIC_BATCH_SIZE);
    }

    /** Exported metric name to the label sets of its samples. */
    private final Map<String, List<Map<String, String>>> samples;

    private MetricSurface(Map<String, List<Map<String, String>>> samples) {
        this.samples = samples;
    }

    Set<String> names() {
        return new TreeSet<>(samples.keySet());
    }

    /** The label names of a metric's samples (empty if it is not exported). */
    Set<String> labels(String metric) {
        Set<String> labels = new LinkedHashSet<>();
        samples.getOrDefault(metric, List.of()).forEach(s -> labels.addAll(s.keySet()));
        return labels;
    }

    /** The values the label takes across a metric's samples. */
    Set<String> labelValues(String metric, String label) {
        Set<String> values = new TreeSet<>();
        samples.getOrDefault(metric, List.of()).forEach(s -> {
            if (s.containsKey(label)) {
                values.add(s.get(label));
            }
        });
        return values;
    }

    /**
     * Starts the reporters {@code clusterConfig} declares (on a free port), registers the job's
     * and Flink's metrics through a real metric registry, and scrapes the Prometheus endpoint.
     */
    static MetricSurface scrape(Configuration clusterConfig) throws Exception {
        Configuration conf = new Configuration(clusterConfig);
        List<ReporterSetup> setups = reporterSetups(conf);
        if (setups.size() != 1) {
            throw new AssertionError("expected one metrics reporter in the cluster config, got " + setups.size());
        }
        MetricRegistryImpl registry = new MetricRegistryImpl(
                MetricRegistryConfiguration.fromConfiguration(conf, Long.MAX_VALUE), setups);
        try {
            registerJobAndFlinkMetrics(registry);
            MetricReporter reporter = registry.getReporters().get(0);
            return new MetricSurface(parse(fetch(port(reporter))));
        } finally {
            registry.closeAsync().get();
        }
    }

    /** The reporters as a Flink process sets them up, its port moved into a range free for tests. */
    private static List<ReporterSetup> reporterSetups(Configuration conf) {
        String reporters = conf.get(MetricOptions.REPORTERS_LIST);
        if (reporters != null) {
            for (String name : reporters.split(",")) {
                String portKey = "metrics.reporter." + name.strip() + ".port";
                if (conf.containsKey(portKey)) {
                    conf.set(ConfigOptions.key(portKey).stringType().noDefaultValue(), "19250-19350");
                }
            }
        }
        PluginManager noPlugins = new PluginManager() {
            @Override
            public <P> java.util.Iterator<P> load(Class<P> service) {
                return Collections.emptyIterator();
            }
        };
        return ReporterSetupBuilder.METRIC_SETUP_BUILDER.fromConfiguration(
                conf, DefaultReporterFilters::metricsFromConfiguration, noPlugins);
    }

    private static void registerJobAndFlinkMetrics(MetricRegistryImpl registry) {
        JobID jobId = new JobID();
        TaskManagerMetricGroup taskManager =
                TaskManagerMetricGroup.createTaskManagerMetricGroup(registry, "taskmanager", ResourceID.generate());
        TaskManagerJobMetricGroup job = taskManager.addJob(jobId, "sona-flink");
        // A task registers its I/O and back-pressure metrics when it is created.
        TaskMetricGroup task = job.addTask(ExecutionAttemptID.randomId(), "instant-loop");

        InternalOperatorMetricGroup operator = task.getOrAddOperator("instant-loop");
        for (String counter : jobCounters()) {
            operator.counter(counter);
        }
        for (String gauge : jobGauges()) {
            operator.gauge(gauge, () -> 0.0);
        }
        for (String histogram : jobHistograms()) {
            operator.histogram(histogram, new DescriptiveStatisticsHistogram(16)).update(1);
        }

        InternalOperatorMetricGroup source = task.getOrAddOperator("trajectories");
        InternalSourceReaderMetricGroup reader = InternalSourceReaderMetricGroup.wrap(source);
        KafkaSourceReaderMetrics kafka = new KafkaSourceReaderMetrics(reader);
        kafka.registerTopicPartition(new TopicPartition("sona.trajectories", 0));
        // what the connector does once a split is assigned (maybeAddRecordsLagMetric)
        reader.setPendingRecordsGauge(() -> 0L);

        JobManagerMetricGroup jobManager = JobManagerMetricGroup.createJobManagerMetricGroup(registry, "jobmanager");
        JobManagerJobMetricGroup jmJob = jobManager.addJob(jobId, "sona-flink");
        new DefaultCheckpointStatsTracker(10, jmJob);
        MetricGroup restarts = jmJob;
        restarts.gauge(MetricNames.NUM_RESTARTS, () -> 0L);
    }

    private static int port(MetricReporter reporter) throws ReflectiveOperationException {
        // PrometheusReporter.getPort() is package-private: the port it found free in the range
        Method getPort = reporter.getClass().getDeclaredMethod("getPort");
        getPort.setAccessible(true);
        return (Integer) getPort.invoke(reporter);
    }

    private static String fetch(int port) throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> response = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new AssertionError("reporter answered " + response.statusCode());
        }
        return response.body();
    }

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})?\\s+\\S+.*$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** The text exposition format: one sample per line, comments start with #. */
    static Map<String, List<Map<String, String>>> parse(String exposition) {
        Map<String, List<Map<String, String>>> samples = new HashMap<>();
        for (String line : exposition.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("not an exposition line: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            samples.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(labels);
        }
        return samples;
    }
}
