package io.sonaflink.jobs;

import io.sonaflink.state.bandit.RouteAdvisor;
import io.sonaflink.state.cycle.BackgroundConfig;
import io.sonaflink.state.lora.MicroLoraConfig;
import io.sonaflink.state.serving.HeldOutSplit;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.IllegalConfigurationException;
import org.apache.flink.configuration.description.HtmlFormatter;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SonaOptionsTest {

    @Test
    void defaultsBuildTheLearningCoreDefaults() {
        Configuration empty = new Configuration();
        assertThat(SonaOptions.microLora(empty)).isEqualTo(MicroLoraConfig.DEFAULT);
        assertThat(SonaOptions.background(empty)).isEqualTo(BackgroundConfig.DEFAULT);
        assertThat(SonaOptions.routeAdvisor(empty)).isEqualTo(RouteAdvisor.DEFAULT);
        assertThat(SonaOptions.backgroundLoop(empty).intervalMs()).isEqualTo(Duration.ofHours(1).toMillis());
    }

    @Test
    void settingsReachTheConfigRecords() {
        Configuration conf = Configuration.fromMap(Map.of(
                "sona.micro.rank", "1",
                "sona.background.pattern-clusters", "20",
                "sona.ewc.lambda", "4",
                "sona.ewc.gradient-history", "20", // the key of release 0.1, still read
                "sona.gate.held-out-share", "0.2",
                "sona.background.interval", "5 min"));
        assertThat(SonaOptions.microLora(conf).rank()).isEqualTo(1);
        assertThat(SonaOptions.background(conf).patternClusters()).isEqualTo(20);
        assertThat(SonaOptions.background(conf).ewc().initialLambda()).isEqualTo(4f);
        assertThat(SonaOptions.background(conf).ewc().boundaryHistory()).isEqualTo(20);
        assertThat(SonaOptions.adapterGate(conf).split()).isEqualTo(new HeldOutSplit(0.2));
        assertThat(SonaOptions.backgroundLoop(conf).split()).isEqualTo(new HeldOutSplit(0.2));
        // EWC++ can be switched off
        assertThat(SonaOptions.ewc(Configuration.fromMap(Map.of("sona.ewc.lambda", "0"))).enabled()).isFalse();
        assertThat(SonaOptions.backgroundLoop(conf).intervalMs()).isEqualTo(300_000L);
    }

    @Test
    void kafkaClientPropertiesPassThroughWithoutTheirPrefix() {
        Configuration conf = Configuration.fromMap(Map.of(
                "sona.kafka.properties.security.protocol", "SASL_SSL",
                "sona.kafka.properties.sasl.mechanism", "SCRAM-SHA-512",
                "sona.kafka.properties.", "ignored: no client key",
                "sona.kafka.bootstrap-servers", "broker:9093"));

        assertThat(SonaOptions.kafkaClientProperties(conf)).containsOnly(
                Map.entry("security.protocol", "SASL_SSL"), Map.entry("sasl.mechanism", "SCRAM-SHA-512"));
        assertThat(conf.get(SonaOptions.KAFKA_BOOTSTRAP_SERVERS)).isEqualTo("broker:9093");
        assertThat(conf.get(SonaOptions.KAFKA_TRANSACTION_TIMEOUT)).isEqualTo(Duration.ofMinutes(15));
    }

    /**
     * Secrets need not be on the command line (where ps shows them): Kafka's own config providers
     * resolve ${file:...} and ${env:...} in the client properties when the clients start.
     */
    @Test
    void kafkaSecretsCanComeFromAFile(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path secrets = dir.resolve("kafka-secrets.properties");
        java.nio.file.Files.writeString(secrets, "jaas=org.apache.kafka.common.security.scram.ScramLoginModule"
                + " required username=\"sona\" password=\"s3cret\";\n");
        Configuration conf = Configuration.fromMap(Map.of(
                "sona.kafka.properties.config.providers", "file",
                "sona.kafka.properties.config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
                "sona.kafka.properties.sasl.jaas.config", "${file:" + secrets + ":jaas}"));
        java.util.Properties client = SonaOptions.kafkaClientProperties(conf);
        client.setProperty("bootstrap.servers", "127.0.0.1:9092");

        var resolved = new org.apache.kafka.clients.admin.AdminClientConfig(client);

        assertThat(resolved.getPassword("sasl.jaas.config").value()).contains("password=\"s3cret\"");
        assertThat(client.getProperty("sasl.jaas.config")).doesNotContain("s3cret");
    }

    @Test
    void aPeftExportNeedsTheModuleWidthOfTheEmbedding() {
        Configuration conf = new Configuration();
        conf.set(SonaOptions.REGISTRY_URI, "file:///tmp/registry");
        assertThat(SonaOptions.adapterRegistry(conf)).isPresent();
        conf.set(SonaOptions.REGISTRY_PEFT_BASE_MODEL, "org/model");
        assertThatThrownBy(() -> SonaOptions.adapterRegistry(conf))
                .isInstanceOf(IllegalConfigurationException.class).hasMessageContaining("must be set");
        conf.set(SonaOptions.REGISTRY_PEFT_MODULE_WIDTH, 2048);
        assertThatThrownBy(() -> SonaOptions.adapterRegistry(conf)).hasMessageContaining("not the embedding dimension 256");
        conf.set(SonaOptions.REGISTRY_PEFT_MODULE_WIDTH, 256);
        assertThat(SonaOptions.adapterRegistry(conf)).isPresent();
        assertThat(SonaOptions.adapterRegistry(new Configuration())).isEmpty();

        Configuration noExport = new Configuration();
        noExport.set(SonaOptions.REGISTRY_URI, "file:///tmp/registry");
        noExport.set(SonaOptions.VLLM_URL, "http://127.0.0.1:8000");
        assertThatThrownBy(() -> SonaOptions.adapterRegistry(noExport)).hasMessageContaining("needs the PEFT export");
        conf.set(SonaOptions.VLLM_URL, "http://127.0.0.1:8000");
        assertThat(SonaOptions.adapterRegistry(conf)).isPresent();
    }

    @Test
    void everyOptionHasAUniqueSonaKeyAndADescription() {
        Set<String> keys = new HashSet<>();
        for (ConfigOption<?> option : SonaOptions.all()) {
            assertThat(option.key()).startsWith("sona.");
            assertThat(keys.add(option.key())).as("duplicate key %s", option.key()).isTrue();
            assertThat(new HtmlFormatter().format(option.description())).isNotBlank();
            assertThat(option.hasDefaultValue()).as(option.key()).isTrue();
        }
        assertThat(keys).hasSizeGreaterThan(30);
    }
}
