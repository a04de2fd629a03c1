package io.sonaflink.jobs.deploy;

import io.sonaflink.jobs.deploy.DockerFiles.Mount;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalResourceOptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sonaflink.jobs.deploy.DockerFiles.DOCKER;
import static io.sonaflink.jobs.deploy.DockerFiles.compose;
import static io.sonaflink.jobs.deploy.DockerFiles.environment;
import static io.sonaflink.jobs.deploy.DockerFiles.fieldNames;
import static io.sonaflink.jobs.deploy.DockerFiles.flinkProperties;
import static io.sonaflink.jobs.deploy.DockerFiles.flinkServices;
import static io.sonaflink.jobs.deploy.DockerFiles.list;
import static io.sonaflink.jobs.deploy.DockerFiles.mounts;
import static io.sonaflink.jobs.deploy.DockerFiles.services;
import static org.assertj.core.api.Assertions.assertThat;

/** docker/docker-compose.yml is a complete, consistent Compose file for the job's cluster. */
class ComposeFileTest {

    private static final String KAFKA_IMAGE = "apache/kafka:";
    private static final Set<String> DEPENDS_ON_CONDITIONS =
            Set.of("service_started", "service_healthy", "service_completed_successfully");

    private final OptionKeys keys = new OptionKeys();

    @Test
    void parsesAsACurrentComposeFile() {
        JsonNode compose = compose();
        assertThat(compose.has("version")).as("the version key is obsolete in the Compose spec").isFalse();
        assertThat(fieldNames(compose)).allMatch(k -> Set.of("name", "services", "networks", "volumes",
                "configs", "secrets").contains(k) || k.startsWith("x-"), "top-level keys of the Compose spec");
        assertThat(services()).isNotEmpty();
    }

    @Test
    void everyServiceHasAnImageOrABuildThatExists() {
        services().forEach((name, s) -> {
            assertThat(s.has("image") || s.has("build")).as("%s has neither image nor build", name).isTrue();
            if (s.has("build")) {
                Path context = DOCKER.resolve(s.path("build").path("context").asText());
                String dockerfile = s.path("build").path("dockerfile").asText("Dockerfile");
                assertThat(context.resolve(dockerfile)).as("%s builds from", name).isRegularFile();
            }
        });
    }

    @Test
    void servicesThatShareAnImageTagBuildItTheSameWay() {
        Map<String, JsonNode> buildByImage = new HashMap<>();
        services().forEach((name, s) -> {
            if (s.has("build") && s.has("image")) {
                JsonNode previous = buildByImage.putIfAbsent(s.path("image").asText(), s.path("build"));
                if (previous != null) {
                    assertThat(s.path("build")).as("%s builds %s differently", name, s.path("image").asText())
                            .isEqualTo(previous);
                }
            }
        });
        services().forEach((name, s) -> {
            if (s.path("image").asText().startsWith("sona-flink")) {
                assertThat(buildByImage).as("nothing builds the image of %s", name)
                        .containsKey(s.path("image").asText());
            }
        });
    }

    @Test
    void dependenciesExistAndTheirConditionsCanBeMet() {
        Map<String, JsonNode> services = services();
        services.forEach((name, s) -> {
            JsonNode dependsOn = s.path("depends_on");
            List<String> targets = dependsOn.isObject() ? fieldNames(dependsOn) : list(dependsOn);
            for (String target : targets) {
                assertThat(services).as("%s depends on", name).containsKey(target);
                String condition = dependsOn.path(target).path("condition").asText("service_started");
                assertThat(DEPENDS_ON_CONDITIONS).as("condition of %s on %s", name, target).contains(condition);
                if (condition.equals("service_healthy")) {
                    assertThat(services.get(target).has("healthcheck"))
                            .as("%s waits for %s to be healthy, which has no healthcheck", name, target).isTrue();
                }
                if (condition.equals("service_completed_successfully")) {
                    assertThat(services.get(target).path("restart").asText("no"))
                            .as("%s waits for %s to finish, which restarts", name, target).isEqualTo("no");
                }
                List<String> profiles = list(services.get(target).path("profiles"));
                assertThat(profiles).as("%s depends on %s, which only runs in a profile", name, target)
                        .isSubsetOf(list(s.path("profiles")));
            }
        });
    }

    @Test
    void namedVolumesAndNetworksAreDeclaredAndBindMountsExist() {
        JsonNode compose = compose();
        Set<String> declaredVolumes = new TreeSet<>(fieldNames(compose.path("volumes")));
        Set<String> declaredNetworks = new TreeSet<>(fieldNames(compose.path("networks")));
        Set<String> usedVolumes = new TreeSet<>();
        services().forEach((name, s) -> {
            for (Mount m : mounts(s)) {
                assertThat(m.target()).as("%s mounts %s at", name, m.source()).startsWith("/");
                if (m.named()) {
                    assertThat(declaredVolumes).as("volumes of %s", name).contains(m.source());
                    usedVolumes.add(m.source());
                } else {
                    Path source = DOCKER.resolve(m.source()).normalize();
                    if (source.getFileName().toString().equals("target")) {
                        // a Maven module's build output: the module must exist
                        assertThat(source.getParent().resolve("pom.xml")).as("%s mounts %s", name, source)
                                .isRegularFile();
                    } else {
                        assertThat(Files.exists(source)).as("%s mounts %s, which does not exist", name, source)
                                .isTrue();
                    }
                }
            }
            JsonNode networks = s.path("networks");
            for (String network : networks.isObject() ? fieldNames(networks) : list(networks)) {
                assertThat(declaredNetworks).as("networks of %s", name).contains(network);
            }
        });
        assertThat(usedVolumes).as("declared volumes nobody mounts").isEqualTo(declaredVolumes);
    }

    @Test
    void publishedPortsListenOnTheLoopbackOnly() {
        services().forEach((name, s) -> {
            for (String port : list(s.path("ports"))) {
                assertThat(port).as("port of %s", name).startsWith("127.0.0.1:");
            }
        });
    }

    @Test
    void dollarSignsAreEscapedOrInterpolateWithADefault() {
        // Compose replaces $VAR from the host's environment: a shell variable meant for the
        // container must be written $$VAR, or it silently becomes empty.
        String text = DockerFiles.text(DockerFiles.COMPOSE_FILE);
        Matcher m = Pattern.compile("\\$+(\\{[^}]*\\})?").matcher(text);
        while (m.find()) {
            String match = m.group();
            boolean escaped = match.startsWith("$$") && (match.length() - match.replace("$", "").length()) % 2 == 0;
            boolean withDefault = m.group(1) != null && m.group(1).contains(":-");
            assertThat(escaped || withDefault).as("unescaped %s in docker-compose.yml", match).isTrue();
        }
    }

    @Test
    void kafkaRunsAsOneNodeKraftBrokerAndController() {
        String kafkaService = kafkaService();
        JsonNode kafka = DockerFiles.service(kafkaService);
        Map<String, String> env = environment(kafka);

        assertThat(List.of(env.get("KAFKA_PROCESS_ROLES").split(",")))
                .containsExactlyInAnyOrder("broker", "controller");
        Map<String, String> listeners = listeners(env.get("KAFKA_LISTENERS"));
        Map<String, String> advertised = listeners(env.get("KAFKA_ADVERTISED_LISTENERS"));
        Map<String, String> protocols = new HashMap<>();
        for (String entry : env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP").split(",")) {
            protocols.put(entry.split(":")[0], entry.split(":")[1]);
        }
        assertThat(protocols.keySet()).as("every listener has a protocol").containsAll(listeners.keySet());

        String controller = env.get("KAFKA_CONTROLLER_LISTENER_NAMES");
        assertThat(listeners).containsKey(controller);
        assertThat(advertised).as("controllers are not advertised to clients").doesNotContainKey(controller);
        String voters = env.get("KAFKA_CONTROLLER_QUORUM_VOTERS");
        assertThat(voters).as("one voter: this node, on its controller listener")
                .isEqualTo(env.get("KAFKA_NODE_ID") + "@" + hostOf(kafkaService, kafka) + ":"
                        + port(listeners.get(controller)));

        String interBroker = env.get("KAFKA_INTER_BROKER_LISTENER_NAME");
        assertThat(advertised.get(interBroker)).as("containers reach the broker by its service name")
                .isEqualTo(hostOf(kafkaService, kafka) + ":" + port(listeners.get(interBroker)));
        for (Map.Entry<String, String> a : advertised.entrySet()) {
            assertThat(listeners).as("advertised listener %s listens", a.getKey()).containsKey(a.getKey());
            assertThat(port(a.getValue())).isEqualTo(port(listeners.get(a.getKey())));
        }

        // A single broker: replicated internal topics would never become available, and the job's
        // exactly-once sinks could never start a transaction.
        for (String key : List.of("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
                "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR")) {
            assertThat(env.get(key)).as(key).isEqualTo("1");
        }
        assertThat(Base64.getUrlDecoder().decode(env.get("CLUSTER_ID"))).as("CLUSTER_ID is a base64 UUID").hasSize(16);
    }

    @Test
    void theBrokerAcceptsTheJobsTransactionTimeout() {
        Map<String, String> env = environment(DockerFiles.service(kafkaService()));
        long brokerMaxMs = Long.parseLong(env.getOrDefault("KAFKA_TRANSACTION_MAX_TIMEOUT_MS", "900000"));
        @SuppressWarnings("unchecked")
        ConfigOption<Duration> timeout = (ConfigOption<Duration>) keys.requireSona("sona.kafka.transaction-timeout");
        Duration jobTimeout = DockerFiles.clusterConfig().get(timeout);
        assertThat(jobTimeout.toMillis()).as("a longer timeout makes the broker refuse every transaction")
                .isLessThanOrEqualTo(brokerMaxMs);
    }

    @Test
    void theTopicsServiceCreatesTheJobsTopicsOnTheClusterBroker() {
        JsonNode topicsService = topicsService();
        Map<String, String> env = environment(topicsService);

        Set<String> expected = new TreeSet<>();
        keys.sonaOptions().forEach((key, option) -> {
            if (key.startsWith("sona.kafka.topic.")) {
                expected.add(String.valueOf(option.defaultValue()));
            }
        });
        assertThat(expected).as("SonaOptions declares the sona.kafka.topic.* options").isNotEmpty();
        assertThat(new TreeSet<>(List.of(env.get("TOPICS").strip().split("\\s+")))).isEqualTo(expected);
        assertThat(env.get("PARTITIONS"))
                .isEqualTo(String.valueOf(keys.requireSona("sona.kafka.partitions").defaultValue()));

        Configuration cluster = DockerFiles.clusterConfig();
        @SuppressWarnings("unchecked")
        ConfigOption<String> bootstrap = (ConfigOption<String>) keys.requireSona("sona.kafka.bootstrap-servers");
        String jobBootstrap = cluster.get(bootstrap);
        assertThat(env.get("BOOTSTRAP_SERVERS")).isEqualTo(jobBootstrap);
        Map<String, String> kafkaEnv = environment(DockerFiles.service(kafkaService()));
        assertThat(listeners(kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS")).values())
                .as("the job's bootstrap servers are an advertised listener").contains(jobBootstrap);

        String script = String.join("\n", list(topicsService.path("command")));
        for (String variable : List.of("TOPICS", "PARTITIONS", "BOOTSTRAP_SERVERS")) {
            assertThat(script).as("the script reads %s", variable).contains("$$" + variable);
        }
    }

    @Test
    void everyFlinkContainerFindsTheJobManagerAndSharesTheStateVolume() {
        String jobManager = DockerFiles.jobManagerService();
        flinkServices().forEach((name, s) -> {
            assertThat(environment(s).get("JOB_MANAGER_RPC_ADDRESS"))
                    .as("%s: without it the entrypoint makes the container's own host name the JobManager", name)
                    .isEqualTo(jobManager);
            assertThat(mounts(s)).as("%s mounts the checkpoint volume", name)
                    .contains(new Mount("flink-state", "/flink-state", true));
        });
        assertThat(flinkServices().values()).filteredOn(s -> "taskmanager".equals(DockerFiles.command(s)))
                .as("TaskManagers").hasSizeGreaterThanOrEqualTo(2);
    }

    @Test
    void exactlyOneTaskManagerReservesAnNvidiaGpuAndDeclaresItToFlink() {
        List<String> gpuServices = new ArrayList<>();
        services().forEach((name, s) -> {
            for (JsonNode device : s.path("deploy").path("resources").path("reservations").path("devices")) {
                if (device.path("driver").asText().equals("nvidia")
                        && list(device.path("capabilities")).contains("gpu")) {
                    gpuServices.add(name);
                }
            }
        });
        assertThat(gpuServices).hasSize(1);
        String name = gpuServices.get(0);
        JsonNode gpu = DockerFiles.service(name);
        assertThat(DockerFiles.command(gpu)).isEqualTo("taskmanager");
        assertThat(list(gpu.path("profiles"))).as("without a profile, hosts lacking the NVIDIA runtime cannot start"
                + " anything").isNotEmpty();
        assertThat(gpu.path("build").path("args").path("DJL_NATIVE").asText()).startsWith("cu");

        Configuration conf = DockerFiles.effectiveConfig(name);
        assertThat(conf.get(ExternalResourceOptions.EXTERNAL_RESOURCE_LIST)).contains("gpu");
        assertThat(conf.toMap()).containsEntry(ExternalResourceOptions.getAmountConfigOptionForResource("gpu"), "1")
                .containsEntry(ExternalResourceOptions.getExternalResourceDriverFactoryConfigOptionForResource("gpu"),
                        "org.apache.flink.externalresource.gpu.GPUDriverFactory");

        flinkServices().forEach((other, s) -> {
            if (!other.equals(name)) {
                assertThat(s.path("build").path("args").path("DJL_NATIVE").asText()).as(other).isEqualTo("cpu");
                assertThat(s.has("deploy")).as(other).isFalse();
            }
        });
    }

    @Test
    void flinkPropertiesUseExistingKeys() {
        flinkServices().forEach((name, s) -> flinkProperties(s).forEach((key, value) ->
                assertThat(keys.problem(key)).as("FLINK_PROPERTIES of %s", name).isEmpty()));
    }

    @Test
    void sonaKeysWrittenAnywhereInTheComposeFileAreJobOptions() {
        // as a YAML key, a FLINK_PROPERTIES line or a -Dkey=value argument; topic names are values
        Matcher m = Pattern.compile("(?<![\\w.-])(sona\\.[a-z0-9.-]+)\\s*[:=]")
                .matcher(DockerFiles.text(DockerFiles.COMPOSE_FILE));
        while (m.find()) {
            assertThat(keys.sonaProblem(m.group(1))).as(m.group(1)).isEmpty();
        }
    }

    static String kafkaService() {
        List<String> found = new ArrayList<>();
        services().forEach((name, s) -> {
            if (s.path("image").asText().startsWith(KAFKA_IMAGE) && environment(s).containsKey("KAFKA_PROCESS_ROLES")) {
                found.add(name);
            }
        });
        assertThat(found).as("services running the Kafka broker").hasSize(1);
        return found.get(0);
    }

    static JsonNode topicsService() {
        List<JsonNode> found = new ArrayList<>();
        services().forEach((name, s) -> {
            if (s.path("image").asText().startsWith(KAFKA_IMAGE) && environment(s).containsKey("TOPICS")) {
                found.add(s);
            }
        });
        assertThat(found).as("one-shot services creating topics").hasSize(1);
        return found.get(0);
    }

    private static String hostOf(String serviceName, JsonNode service) {
        return service.path("hostname").asText(serviceName);
    }

    /** NAME://host:port,... to NAME -> host:port. */
    static Map<String, String> listeners(String spec) {
        Map<String, String> listeners = new LinkedHashMap<>();
        for (String listener : spec.split(",")) {
            int sep = listener.indexOf("://");
            listeners.put(listener.substring(0, sep), listener.substring(sep + 3));
        }
        return listeners;
    }

    private static String port(String hostPort) {
        return hostPort.substring(hostPort.lastIndexOf(':') + 1);
    }
}
