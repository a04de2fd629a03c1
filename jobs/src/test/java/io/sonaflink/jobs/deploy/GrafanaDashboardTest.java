package io.sonaflink.jobs.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sonaflink.jobs.deploy.DockerFiles.json;
import static io.sonaflink.jobs.deploy.DockerFiles.yaml;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard asks Prometheus only for metrics the cluster exports: every metric name and
 * label in its queries is checked against what the cluster's reporter exports for the job's
 * metrics (see {@link MetricSurface}). Renaming a counter in an operator fails this test.
 */
class GrafanaDashboardTest {

    static final Path DATASOURCES_FILE = DockerFiles.GRAFANA.resolve("provisioning/datasources/prometheus.yml");
    static final Path PROVIDERS_FILE = DockerFiles.GRAFANA.resolve("provisioning/dashboards/sona-flink.yml");

    static final Pattern METRIC = Pattern.compile("flink_[a-zA-Z0-9_]+");
    private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");
    private static final Pattern MATCHER = Pattern.compile("\\{([^}]*)\\}");
    private static final Pattern MATCHER_LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
    private static final Pattern LEGEND_LABEL = Pattern.compile("\\{\\{\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*}}");

    private static MetricSurface surface;

    @BeforeAll
    static void scrapeTheCluster() throws Exception {
        // the CPU TaskManager's configuration: the one every deployment has
        String taskManager = DockerFiles.flinkServices().entrySet().stream()
                .filter(e -> "taskmanager".equals(DockerFiles.command(e.getValue())) && !e.getValue().has("profiles"))
                .map(java.util.Map.Entry::getKey).findFirst().orElseThrow();
        surface = MetricSurface.scrape(DockerFiles.effectiveConfig(taskManager));
    }

    @Test
    void panelsHaveUniqueIdsAndUseTheProvisionedDatasource() {
        String uid = provisionedDatasourceUid();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : panels()) {
            assertThat(ids.add(panel.path("id").asInt(-1))).as("duplicate panel id %s", panel.path("id")).isTrue();
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            String title = panel.path("title").asText();
            assertThat(panel.path("datasource").path("uid").asText()).as(title).isEqualTo(uid);
            assertThat(panel.path("targets")).as("%s has queries", title).isNotEmpty();
            Set<String> refIds = new HashSet<>();
            for (JsonNode target : panel.path("targets")) {
                assertThat(refIds.add(target.path("refId").asText())).as("refIds of %s", title).isTrue();
                assertThat(target.path("expr").asText()).as(title).isNotBlank();
                if (target.has("datasource")) {
                    assertThat(target.path("datasource").path("uid").asText()).as(title).isEqualTo(uid);
                }
            }
        }
        assertThat(ids).hasSizeGreaterThan(10);
    }

    @Test
    void everyMetricInAQueryIsExportedByTheCluster() {
        Set<String> exported = surface.names();
        List<String> unknown = new ArrayList<>();
        for (String metric : queriedMetrics()) {
            if (!exported.contains(metric)) {
                unknown.add(metric);
            }
        }
        assertThat(unknown).as("metrics the cluster does not export (it exports %s)", exported).isEmpty();
    }

    @Test
    void everyLabelInAQueryOrLegendIsALabelOfItsMetrics() {
        for (JsonNode panel : panels()) {
            for (JsonNode target : panel.path("targets")) {
                String expr = target.path("expr").asText();
                Set<String> available = new HashSet<>();
                Matcher m = METRIC.matcher(expr);
                while (m.find()) {
                    available.addAll(surface.labels(m.group()));
                }
                Set<String> used = new LinkedHashSet<>();
                Matcher g = GROUPING.matcher(expr);
                while (g.find()) {
                    for (String label : g.group(1).split(",")) {
                        if (!label.isBlank()) {
                            used.add(label.strip());
                        }
                    }
                }
                Matcher braces = MATCHER.matcher(expr);
                while (braces.find()) {
                    Matcher l = MATCHER_LABEL.matcher(braces.group(1));
                    while (l.find()) {
                        used.add(l.group(1));
                    }
                }
                Matcher legend = LEGEND_LABEL.matcher(target.path("legendFormat").asText());
                while (legend.find()) {
                    used.add(legend.group(1));
                }
                assertThat(available).as("labels of %s in '%s'", used, panel.path("title").asText()).containsAll(used);
            }
        }
    }

    @Test
    void everyCounterOfTheJobIsOnTheDashboard() {
        Set<String> queried = queriedMetrics();
        List<String> missing = new ArrayList<>();
        for (String counter : MetricSurface.jobCounters()) {
            String exported = "flink_taskmanager_job_task_operator_" + counter;
            assertThat(surface.names()).as("the reporter's name for %s", counter).contains(exported);
            if (!queried.contains(exported)) {
                missing.add(exported);
            }
        }
        assertThat(missing).as("job counters no panel shows").isEmpty();
    }

    static Set<String> queriedMetrics() {
        Set<String> metrics = new TreeSet<>();
        for (JsonNode panel : panels()) {
            for (JsonNode target : panel.path("targets")) {
                Matcher m = METRIC.matcher(target.path("expr").asText());
                while (m.find()) {
                    metrics.add(m.group());
                }
            }
        }
        return metrics;
    }

    static List<JsonNode> panels() {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : json(DockerFiles.DASHBOARD_FILE).path("panels")) {
            panels.add(panel);
            panel.path("panels").forEach(panels::add); // panels inside collapsed rows
        }
        return panels;
    }

    static String provisionedDatasourceUid() {
        JsonNode datasources = yaml(DATASOURCES_FILE).path("datasources");
        assertThat(datasources).hasSize(1);
        assertThat(datasources.get(0).path("type").asText()).isEqualTo("prometheus");
        String uid = datasources.get(0).path("uid").asText();
        assertThat(uid).isNotBlank();
        return uid;
    }
}
