package io.sonaflink.jobs.deploy;

import io.sonaflink.jobs.deploy.DockerFiles.Mount;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.metrics.prometheus.PrometheusReporterFactory;
import org.apache.flink.metrics.reporter.MetricReporterFactory;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sonaflink.jobs.deploy.DockerFiles.clusterConfig;
import static io.sonaflink.jobs.deploy.DockerFiles.flinkServices;
import static io.sonaflink.jobs.deploy.DockerFiles.mounts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/** docker/flink/conf/config.yaml: the cluster's Flink configuration, as Flink itself reads it. */
class ClusterConfigTest {

    private final OptionKeys keys = new OptionKeys();

    @Test
    void flinkReadsTheFileAndFindsSettingsInIt() {
        assertThat(clusterConfig().keySet()).hasSizeGreaterThan(10);
    }

    @Test
    void stateIsRocksDbWithExactlyOnceCheckpointsRetainedOnCancellation() {
        Configuration conf = clusterConfig();
        assertThat(conf.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
        assertThat(conf.get(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE))
                .isEqualTo(CheckpointingMode.EXACTLY_ONCE);
        assertThat(conf.get(CheckpointingOptions.CHECKPOINTING_INTERVAL)).isNotNull().isGreaterThan(Duration.ZERO);
        assertThat(conf.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)).isTrue();
        assertThat(conf.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION))
                .isEqualTo(ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        assertThat(conf.get(PipelineOptions.AUTO_GENERATE_UIDS)).isFalse();
        assertThat(conf.get(PipelineOptions.GENERIC_TYPES)).isFalse();
    }

    /**
     * Failures that heal are retried with growing delays, and one that does not fails the job with
     * its cause after 10 attempts in a row instead of restarting forever: in the cluster's file and
     * in conf/config.yaml, which the local runs and the standalone smoke test read.
     */
    @Test
    void restartsAreBoundedInBothConfigurations() {
        for (Configuration conf : List.of(clusterConfig(),
                org.apache.flink.configuration.GlobalConfiguration.loadConfiguration("../conf"))) {
            assertThat(conf.get(org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY))
                    .isEqualTo("exponential-delay");
            assertThat(conf.get(org.apache.flink.configuration.RestartStrategyOptions
                    .RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS)).isEqualTo(10);
        }
    }

    /** The feedback join's point reads need Bloom filters and partitioned indexes, on a cluster as locally. */
    @Test
    void rocksDbReadsThroughBloomFiltersAndPartitionedIndexesInBothConfigurations() {
        for (Configuration conf : List.of(clusterConfig(),
                org.apache.flink.configuration.GlobalConfiguration.loadConfiguration("../conf"))) {
            assertThat(conf.get(org.apache.flink.state.rocksdb.RocksDBConfigurableOptions.USE_BLOOM_FILTER)).isTrue();
            assertThat(conf.get(org.apache.flink.state.rocksdb.RocksDBOptions.USE_PARTITIONED_INDEX_FILTERS)).isTrue();
        }
    }

    @Test
    void checkpointsAndSavepointsGoToTheVolumeEveryFlinkContainerMounts() {
        Configuration conf = clusterConfig();
        for (ConfigOption<String> dir : List.of(CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                CheckpointingOptions.SAVEPOINT_DIRECTORY)) {
            URI uri = URI.create(conf.get(dir));
            assertThat(uri.getScheme()).as(dir.key()).isEqualTo("file");
            flinkServices().forEach((name, s) -> assertThat(mounts(s))
                    .as("%s must see %s", name, uri.getPath())
                    .anyMatch(m -> m.named() && uri.getPath().startsWith(m.target() + "/")));
        }
    }

    @Test
    void thePrometheusReporterIsConfiguredWithItsFactory() {
        Configuration conf = clusterConfig();
        String reporters = conf.get(MetricOptions.REPORTERS_LIST);
        assertThat(reporters).isNotBlank();
        List<String> factories = new ArrayList<>();
        for (String name : reporters.split(",")) {
            factories.add(conf.toMap().get("metrics.reporter." + name.strip() + ".factory.class"));
        }
        assertThat(factories).containsExactly(PrometheusReporterFactory.class.getName());
        assertThat(MetricReporterFactory.class).isAssignableFrom(PrometheusReporterFactory.class);
    }

    @Test
    void everyKeyIsAFlinkOptionOrAJobOption() {
        List<String> problems = new ArrayList<>();
        clusterConfig().keySet().forEach(key -> keys.problem(key).ifPresent(problems::add));
        assertThat(problems).isEmpty();
    }

    @Test
    void everyValueParsesAsItsOptionsType() {
        // Flink and the job read typed values (durations, memory sizes, enums, numbers); a value that
        // does not parse fails the cluster at start or the job at submission.
        for (String service : flinkServices().keySet()) {
            Configuration conf = DockerFiles.effectiveConfig(service);
            for (Map.Entry<String, String> e : conf.toMap().entrySet()) {
                ConfigOption<?> option = e.getKey().startsWith("sona.")
                        ? keys.sonaOption(e.getKey()).orElse(null)
                        : keys.flinkOption(e.getKey()).orElse(null);
                if (option != null) {
                    assertThatCode(() -> conf.get(option)).as("%s in %s: %s", e.getKey(), service, e.getValue())
                            .doesNotThrowAnyException();
                }
            }
        }
    }

    @Test
    void theJobReachesTheComposeKafkaBroker() {
        @SuppressWarnings("unchecked")
        ConfigOption<String> bootstrap = (ConfigOption<String>) keys.requireSona("sona.kafka.bootstrap-servers");
        String servers = clusterConfig().get(bootstrap);
        Map<String, String> kafka = DockerFiles.environment(DockerFiles.service(ComposeFileTest.kafkaService()));
        String interBroker = kafka.get("KAFKA_INTER_BROKER_LISTENER_NAME");
        Map<String, String> advertised = ComposeFileTest.listeners(kafka.get("KAFKA_ADVERTISED_LISTENERS"));
        assertThat(servers).isEqualTo(advertised.get(interBroker));
    }

    @Test
    void theJobManagerAddressIsTheJobManagerService() {
        String jobManager = DockerFiles.jobManagerService();
        for (String service : flinkServices().keySet()) {
            Configuration conf = DockerFiles.effectiveConfig(service);
            assertThat(conf.toMap().get("jobmanager.rpc.address")).as(service).isEqualTo(jobManager);
        }
        // the CLI in the jobmanager container (flink run) connects to the REST endpoint here
        assertThat(clusterConfig().toMap().get("rest.address")).isEqualTo(jobManager);
        assertThat(mounts(DockerFiles.service(jobManager))).extracting(Mount::target).contains("/opt/sona/jobs");
    }
}
