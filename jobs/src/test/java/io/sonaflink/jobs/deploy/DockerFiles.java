package io.sonaflink.jobs.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of {@code docker/}, parsed the way their consumers read them: YAML and JSON as data,
 * the Flink configuration through Flink's own loader, and FLINK_PROPERTIES the way the official
 * image's entrypoint applies it.
 */
final class DockerFiles {

    static final Path DOCKER = Path.of("..", "docker");
    static final Path COMPOSE_FILE = DOCKER.resolve("docker-compose.yml");
    static final Path FLINK_CONF_DIR = DOCKER.resolve("flink").resolve("conf");
    static final Path PROMETHEUS_FILE = DOCKER.resolve("prometheus").resolve("prometheus.yml");
    static final Path GRAFANA = DOCKER.resolve("grafana");
    static final Path DASHBOARD_FILE = GRAFANA.resolve("dashboards").resolve("sona-flink.json");
    static final Path DOCKERFILE = DOCKER.resolve("flink").resolve("Dockerfile");
    static final Path CLUSTER_LIB_POM = DOCKER.resolve("flink").resolve("pom.xml");
    static final Path README = DOCKER.resolve("README.md");

    /** The image built from docker/flink, which every Flink service runs. */
    static final String FLINK_BUILD_CONTEXT = "./flink";

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    private DockerFiles() {}

    static JsonNode yaml(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + file, e);
        }
    }

    static JsonNode json(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse " + file, e);
        }
    }

    static String text(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode compose() {
        return yaml(COMPOSE_FILE);
    }

    static Map<String, JsonNode> services() {
        Map<String, JsonNode> services = new LinkedHashMap<>();
        compose().path("services").fields().forEachRemaining(e -> services.put(e.getKey(), e.getValue()));
        return services;
    }

    static JsonNode service(String name) {
        JsonNode service = compose().path("services").path(name);
        if (service.isMissingNode()) {
            throw new AssertionError("docker-compose.yml has no service " + name);
        }
        return service;
    }

    /** Services that run the cluster image built from docker/flink (JobManager and TaskManagers). */
    static Map<String, JsonNode> flinkServices() {
        Map<String, JsonNode> flink = new LinkedHashMap<>();
        services().forEach((name, s) -> {
            if (FLINK_BUILD_CONTEXT.equals(s.path("build").path("context").asText())) {
                flink.put(name, s);
            }
        });
        return flink;
    }

    /** The name of the service that runs the JobManager. */
    static String jobManagerService() {
        List<String> found = new ArrayList<>();
        flinkServices().forEach((name, s) -> {
            if ("jobmanager".equals(command(s))) {
                found.add(name);
            }
        });
        if (found.size() != 1) {
            throw new AssertionError("expected one service with command jobmanager, found " + found);
        }
        return found.get(0);
    }

    static String command(JsonNode service) {
        JsonNode command = service.path("command");
        return command.isArray() ? command.path(0).asText() : command.asText();
    }

    /** A service's environment, in either of compose's two forms (map or list of KEY=VALUE). */
    static Map<String, String> environment(JsonNode service) {
        Map<String, String> env = new LinkedHashMap<>();
        JsonNode node = service.path("environment");
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        } else if (node.isArray()) {
            for (JsonNode entry : node) {
                String s = entry.asText();
                int eq = s.indexOf('=');
                env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
            }
        }
        return env;
    }

    /** The entries of a list-valued field, or the single value of a scalar one. */
    static List<String> list(JsonNode node) {
        List<String> values = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(n -> values.add(n.asText()));
        } else if (!node.isMissingNode() && !node.isNull()) {
            values.add(node.asText());
        }
        return values;
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    /** docker/flink/conf/config.yaml, read by Flink's own loader. */
    static Configuration clusterConfig() {
        return GlobalConfiguration.loadConfiguration(FLINK_CONF_DIR.toString());
    }

    /**
     * The lines of a service's FLINK_PROPERTIES as the image's entrypoint applies them: one
     * {@code key: value} per line, the key up to the first colon, both trimmed.
     */
    static Map<String, String> flinkProperties(JsonNode service) {
        Map<String, String> properties = new LinkedHashMap<>();
        String text = environment(service).getOrDefault("FLINK_PROPERTIES", "");
        for (String line : text.split("\n")) {
            String prop = line.strip();
            if (prop.isEmpty()) {
                continue;
            }
            int colon = prop.indexOf(':');
            if (colon < 0) {
                throw new AssertionError("FLINK_PROPERTIES line without a colon: " + prop);
            }
            properties.put(prop.substring(0, colon).strip(), prop.substring(colon + 1).strip());
        }
        return properties;
    }

    /**
     * The configuration a Flink container starts with: config.yaml, then what the entrypoint sets
     * (the JobManager address from JOB_MANAGER_RPC_ADDRESS, or the container's own host name without
     * it), then FLINK_PROPERTIES.
     */
    static Configuration effectiveConfig(String serviceName) {
        JsonNode service = service(serviceName);
        Map<String, String> merged = new LinkedHashMap<>(clusterConfig().toMap());
        Map<String, String> env = environment(service);
        merged.put("jobmanager.rpc.address", env.getOrDefault("JOB_MANAGER_RPC_ADDRESS",
                service.path("hostname").asText(serviceName)));
        merged.putAll(flinkProperties(service));
        return Configuration.fromMap(merged);
    }

    /** A compose volume entry "source:target[:mode]" split into its parts. */
    record Mount(String source, String target, boolean named) {

        static Mount parse(JsonNode entry) {
            if (entry.isObject()) {
                String type = entry.path("type").asText("volume");
                return new Mount(entry.path("source").asText(), entry.path("target").asText(), "volume".equals(type));
            }
            String[] parts = entry.asText().split(":");
            String source = parts[0];
            boolean named = !(source.startsWith(".") || source.startsWith("/") || source.startsWith("~"));
            return new Mount(source, parts.length > 1 ? parts[1] : parts[0], named);
        }
    }

    static List<Mount> mounts(JsonNode service) {
        List<Mount> mounts = new ArrayList<>();
        service.path("volumes").forEach(v -> mounts.add(Mount.parse(v)));
        return mounts;
    }
}
