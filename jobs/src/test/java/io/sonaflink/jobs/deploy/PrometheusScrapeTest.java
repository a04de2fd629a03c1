package io.sonaflink.jobs.deploy;

import io.sonaflink.jobs.deploy.DockerFiles.Mount;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.sonaflink.jobs.deploy.DockerFiles.DOCKER;
import static io.sonaflink.jobs.deploy.DockerFiles.flinkServices;
import static io.sonaflink.jobs.deploy.DockerFiles.list;
import static io.sonaflink.jobs.deploy.DockerFiles.mounts;
import static io.sonaflink.jobs.deploy.DockerFiles.service;
import static io.sonaflink.jobs.deploy.DockerFiles.services;
import static io.sonaflink.jobs.deploy.DockerFiles.yaml;
import static org.assertj.core.api.Assertions.assertThat;

/** Prometheus scrapes what the cluster exposes, and Grafana is wired to that Prometheus. */
class PrometheusScrapeTest {

    /** Prometheus' own listen port when --web.listen-address is not given. */
    private static final String PROMETHEUS_PORT = "9090";

    @Test
    void prometheusReadsTheFileMountedFromThisFolder() {
        JsonNode prometheus = service(prometheusService());
        String configFile = list(prometheus.path("command")).stream()
                .filter(a -> a.startsWith("--config.file=")).map(a -> a.substring("--config.file=".length()))
                .findFirst().orElse("/etc/prometheus/prometheus.yml");
        assertThat(mounts(prometheus)).as("the config file comes from docker/prometheus")
                .anyMatch(m -> m.target().equals(configFile)
                        && DOCKER.resolve(m.source()).normalize().equals(DockerFiles.PROMETHEUS_FILE.normalize()));
        String storage = list(prometheus.path("command")).stream()
                .filter(a -> a.startsWith("--storage.tsdb.path="))
                .map(a -> a.substring("--storage.tsdb.path=".length()))
                .findFirst().orElseThrow(() -> new AssertionError("--storage.tsdb.path is not set"));
        assertThat(mounts(prometheus)).as("the metrics outlive the container")
                .anyMatch(m -> m.named() && m.target().equals(storage));
    }

    @Test
    void everyFlinkProcessIsScrapedOnceOnItsReporterPort() {
        Map<String, String> scraped = new TreeMap<>(); // service -> port
        JsonNode config = yaml(DockerFiles.PROMETHEUS_FILE);
        assertThat(config.path("scrape_configs")).isNotEmpty();
        for (JsonNode job : config.path("scrape_configs")) {
            for (JsonNode sc : job.path("static_configs")) {
                for (String target : list(sc.path("targets"))) {
                    String host = target.substring(0, target.lastIndexOf(':'));
                    assertThat(scraped.put(host, target.substring(target.lastIndexOf(':') + 1)))
                            .as("%s scraped twice", host).isNull();
                }
            }
            for (JsonNode dns : job.path("dns_sd_configs")) {
                assertThat(dns.path("type").asText("SRV")).as("A records carry no port: the port is given")
                        .isEqualTo("A");
                for (String host : list(dns.path("names"))) {
                    assertThat(scraped.put(host, dns.path("port").asText())).as("%s scraped twice", host).isNull();
                }
            }
        }
        Map<String, String> expected = new TreeMap<>();
        for (String name : flinkServices().keySet()) {
            expected.put(name, reporterPort(DockerFiles.effectiveConfig(name)));
        }
        assertThat(scraped).as("scrape targets (service -> port)").isEqualTo(expected);
    }

    @Test
    void eachTaskManagerLabelsItsMetricsWithItsNodeKind() throws Exception {
        for (Map.Entry<String, JsonNode> e : flinkServices().entrySet()) {
            if (!"taskmanager".equals(DockerFiles.command(e.getValue()))) {
                continue;
            }
            String kind = e.getValue().path("labels").path("io.sonaflink.node-kind").asText();
            assertThat(kind).as("%s has a node-kind label", e.getKey()).isNotEmpty();
            MetricSurface surface = MetricSurface.scrape(DockerFiles.effectiveConfig(e.getKey()));
            String events = "flink_taskmanager_job_task_operator_events";
            assertThat(surface.labelValues(events, "node_kind")).as(e.getKey()).containsExactly(kind);
        }
    }

    @Test
    void grafanasDatasourceIsThisPrometheus() {
        JsonNode datasources = yaml(GrafanaDashboardTest.DATASOURCES_FILE).path("datasources");
        assertThat(datasources).hasSize(1);
        URI url = URI.create(datasources.get(0).path("url").asText());
        assertThat(url.getHost()).isEqualTo(prometheusService());
        assertThat(String.valueOf(url.getPort())).isEqualTo(PROMETHEUS_PORT);
        assertThat(list(service(prometheusService()).path("ports")))
                .anyMatch(p -> p.endsWith(":" + PROMETHEUS_PORT));
    }

    @Test
    void grafanaLoadsTheProvisioningAndTheDashboardOfThisFolder() {
        JsonNode grafana = service(grafanaService());
        Map<String, String> mountedFrom = new HashMap<>();
        for (Mount m : mounts(grafana)) {
            if (!m.named()) {
                mountedFrom.put(m.target(), DOCKER.resolve(m.source()).normalize().toString());
            }
        }
        assertThat(mountedFrom).containsEntry("/etc/grafana/provisioning",
                DockerFiles.GRAFANA.resolve("provisioning").normalize().toString());

        List<String> providerPaths = new ArrayList<>();
        yaml(GrafanaDashboardTest.PROVIDERS_FILE).path("providers")
                .forEach(p -> providerPaths.add(p.path("options").path("path").asText()));
        assertThat(providerPaths).hasSize(1);
        assertThat(mountedFrom.get(providerPaths.get(0))).as("the provider's folder is mounted from")
                .isEqualTo(DockerFiles.DASHBOARD_FILE.getParent().normalize().toString());

        String home = DockerFiles.environment(grafana).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH");
        assertThat(home).startsWith(providerPaths.get(0) + "/");
        assertThat(Path.of(mountedFrom.get(providerPaths.get(0)), home.substring(providerPaths.get(0).length() + 1)))
                .isRegularFile();
    }

    static String reporterPort(Configuration conf) {
        String reporter = conf.get(MetricOptions.REPORTERS_LIST).split(",")[0].strip();
        String port = conf.toMap().get("metrics.reporter." + reporter + ".port");
        assertThat(port).as("the reporter has a fixed port").isNotNull().matches("\\d+");
        return port;
    }

    static String prometheusService() {
        return serviceByImage("prom/prometheus:");
    }

    static String grafanaService() {
        return serviceByImage("grafana/grafana:");
    }

    private static String serviceByImage(String prefix) {
        List<String> found = new ArrayList<>();
        services().forEach((name, s) -> {
            if (s.path("image").asText().startsWith(prefix)) {
                found.add(name);
            }
        });
        assertThat(found).as("services running %s", prefix).hasSize(1);
        return found.get(0);
    }
}
