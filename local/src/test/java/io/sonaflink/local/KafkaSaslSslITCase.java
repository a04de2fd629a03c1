package io.sonaflink.local;

import io.sonaflink.connectors.kafka.KafkaPreflight;
import io.sonaflink.jobs.SonaJob;
import io.sonaflink.jobs.SonaOptions;
import io.sonaflink.jobs.workload.Workload;
import io.sonaflink.jobs.workload.WorkloadGenerator;
import io.sonaflink.jobs.workload.WorkloadSpec;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The job against a broker that only lets authenticated clients in: SASL/PLAIN over TLS, with a
 * certificate for 127.0.0.1 made here by the JDK's keytool. Wrong credentials fail the pre-flight
 * check with that cause (not a restart loop); the right ones carry the whole job, sources and
 * exactly-once sinks, with the client settings passed as {@code sona.kafka.properties.*}.
 */
class KafkaSaslSslITCase {

    private static final String STORE_PASSWORD = "store-secret";
    private static final String USER = "sona";
    private static final String PASSWORD = "sona-secret";

    @TempDir
    static Path dir;

    private static KafkaBrokerProcess broker;
    private static String saslBootstrap;
    private static Path truststore;

    @BeforeAll
    static void brokerWithSaslSsl() throws Exception {
        Path keystore = dir.resolve("broker.p12");
        truststore = dir.resolve("clients.p12");
        Path certificate = dir.resolve("broker.crt");
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=IP:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-alias", "broker", "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD,
                "-rfc", "-file", certificate.toString());
        keytool("-importcert", "-noprompt", "-alias", "broker", "-file", certificate.toString(), "-storetype",
                "PKCS12", "-keystore", truststore.toString(), "-storepass", STORE_PASSWORD);

        int port = KafkaBrokerProcess.freePort(0);
        broker = KafkaBrokerProcess.start(dir.resolve("kafka"), 0, new KafkaBrokerProcess.Listener("SASL_SSL", port,
                Map.of("sasl.enabled.mechanisms", "PLAIN",
                        "listener.name.sasl_ssl.plain.sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required user_" + USER + "=\""
                                + PASSWORD + "\";",
                        "ssl.keystore.type", "PKCS12",
                        "ssl.keystore.location", keystore.toString(),
                        "ssl.keystore.password", STORE_PASSWORD,
                        "ssl.key.password", STORE_PASSWORD)));
        saslBootstrap = "127.0.0.1:" + port;
        Properties plaintext = new Properties();
        plaintext.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        try (Admin admin = Admin.create(plaintext)) {
            SonaLocal.createMissingTopics(admin, SonaOptions.topics(new Configuration()), 1);
        }
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /** The job's Kafka client settings for the SASL_SSL listener, as {@code sona.kafka.properties.*}. */
    private static Map<String, String> clientSettings(String password) {
        String p = SonaOptions.KAFKA_PROPERTIES_PREFIX;
        return Map.of(p + "security.protocol", "SASL_SSL",
                p + "sasl.mechanism", "PLAIN",
                p + "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + USER + "\" password=\"" + password + "\";",
                p + "ssl.truststore.type", "PKCS12",
                p + "ssl.truststore.location", truststore.toString(),
                p + "ssl.truststore.password", STORE_PASSWORD);
    }

    private static Configuration conf(String password) {
        Configuration conf = Configuration.fromMap(clientSettings(password));
        conf.set(SonaOptions.KAFKA_BOOTSTRAP_SERVERS, saslBootstrap);
        return conf;
    }

    @Test
    void wrongCredentialsFailThePreflightWithTheCause() {
        Configuration conf = conf("not-the-password");
        assertThatThrownBy(() -> KafkaPreflight.check(saslBootstrap, SonaOptions.kafkaClientProperties(conf),
                SonaOptions.topics(conf), Duration.ofSeconds(20)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("refused the job's credentials");
        Configuration right = conf(PASSWORD);
        KafkaPreflight.check(saslBootstrap, SonaOptions.kafkaClientProperties(right), SonaOptions.topics(right),
                Duration.ofSeconds(20));
    }

    @Test
    void theJobLearnsAndPublishesOverSaslSsl() throws Exception {
        Configuration conf = conf(PASSWORD);
        conf.set(SonaOptions.EMBEDDING_DIMENSION, 16);
        conf.set(SonaOptions.FEEDBACK_HOLD, Duration.ofSeconds(1));
        conf.set(SonaOptions.MICRO_LEARNING_RATE, 0.05f);
        conf.set(SonaOptions.MICRO_PUBLISH_EVERY, 10);
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(1));
        Properties client = SonaOptions.kafkaClientProperties(conf);
        client.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, saslBootstrap);
        Workload workload = WorkloadGenerator.generate(new WorkloadSpec(1, 300, 16, 2, 2, 0.5, 0.0, 1.0, 3L));
        new WorkloadReplay(workload, client, conf.get(SonaOptions.TOPIC_TRAJECTORIES),
                conf.get(SonaOptions.TOPIC_SIGNALS), null, false, 0).run();

        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(conf);
        SonaJob.build(env, conf); // runs the pre-flight check over SASL_SSL too
        JobClient job = env.executeAsync("sona-flink over SASL_SSL");
        List<Long> versions = new ArrayList<>();
        try {
            boolean published = Polling.until(() -> {
                versions.clear();
                ClusterSmokeClient.readCommitted(client, conf.get(SonaOptions.TOPIC_ADAPTER_UPDATES),
                        u -> versions.add(u.get("version").asLong()));
                return versions.size() >= 2;
            }, Duration.ofMinutes(2), Duration.ofSeconds(1));
            assertThat(published).as("adapter versions committed over SASL_SSL: %s", versions).isTrue();
        } finally {
            job.cancel().get(1, TimeUnit.MINUTES);
        }
        assertThat(versions.get(0)).isEqualTo(1);
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("keytool %s: %s", args[0], out).isTrue();
    }
}
