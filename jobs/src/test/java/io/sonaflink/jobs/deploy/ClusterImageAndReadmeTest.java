package io.sonaflink.jobs.deploy;

import io.sonaflink.jobs.deploy.DockerFiles.Mount;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.sonaflink.jobs.deploy.DockerFiles.DOCKER;
import static io.sonaflink.jobs.deploy.DockerFiles.README;
import static io.sonaflink.jobs.deploy.DockerFiles.flinkServices;
import static io.sonaflink.jobs.deploy.DockerFiles.mounts;
import static io.sonaflink.jobs.deploy.DockerFiles.services;
import static io.sonaflink.jobs.deploy.DockerFiles.text;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cluster image (docker/flink/Dockerfile), the pom that fills its lib/, and docker/README.md
 * agree with each other and with the build: the jars the README has users copy are the ones the
 * image requires, and the README submits the job's real jar and main class.
 */
class ClusterImageAndReadmeTest {

    static final String MAIN_CLASS = "io.sonaflink.jobs.SonaJob";
    private static final String LIB_EXECUTION = "cluster-lib";
    private static final Path ROOT_POM = Path.of("..", "pom.xml");
    private static final Path JOBS_POM = Path.of("pom.xml");

    @Test
    void theImageIsTheOfficialFlinkImageOfTheBuildsFlinkAndJavaVersions() {
        Matcher from = Pattern.compile("(?m)^ARG FLINK_IMAGE=flink:(\\S+)$").matcher(text(DockerFiles.DOCKERFILE));
        assertThat(from.find()).as("ARG FLINK_IMAGE=flink:<tag>").isTrue();
        String tag = from.group(1);
        Document root = xml(ROOT_POM);
        assertThat(tag).startsWith(property(root, "flink.version") + "-")
                .endsWith("-java" + property(root, "maven.compiler.release"));
        assertThat(text(DockerFiles.DOCKERFILE)).containsPattern("(?m)^FROM \\$\\{FLINK_IMAGE}$");
    }

    @Test
    void theImageCopiesTheFilledLibFolderAndTheClusterConfig() {
        String dockerfile = text(DockerFiles.DOCKERFILE);
        assertThat(dockerfile).containsPattern("(?m)^COPY --chown=flink:flink lib/\\$\\{DJL_NATIVE}/ /opt/flink/lib/$")
                .containsPattern("(?m)^COPY --chown=flink:flink conf/config.yaml /opt/flink/conf/config.yaml$");
        Set<String> natives = new TreeSet<>();
        flinkServices().forEach((name, s) -> natives.add(s.path("build").path("args").path("DJL_NATIVE").asText()));
        for (String flavour : natives) {
            assertThat(DOCKER.resolve("flink/lib").resolve(flavour)).as("lib folder of %s", flavour).isDirectory();
        }
        assertThat(natives).contains(property(xml(DockerFiles.CLUSTER_LIB_POM), "djl.native"));
    }

    @Test
    void theImageRequiresEveryJarTheLibPomCopies() {
        Document pom = xml(DockerFiles.CLUSTER_LIB_POM);
        List<String> jars = new ArrayList<>();
        NodeList dependencies = pom.getElementsByTagName("dependency");
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element d = (Element) dependencies.item(i);
            jars.add(child(d, "groupId") + "." + child(d, "artifactId") + "-");
        }
        assertThat(jars).contains("ai.djl.api-", "ai.djl.pytorch.pytorch-engine-", "ai.djl.pytorch.pytorch-jni-",
                "ai.djl.pytorch.pytorch-native-cpu-");
        String dockerfile = text(DockerFiles.DOCKERFILE);
        for (String jar : jars) {
            // copy-dependencies with prependGroupId names a jar groupId.artifactId-version.jar
            assertThat(dockerfile).as("the image checks for %s*.jar", jar).contains("lib/" + jar);
        }

        Element execution = execution(pom, LIB_EXECUTION);
        assertThat(child(execution, "outputDirectory")).isEqualTo("${project.basedir}/lib/${djl.native}");
        assertThat(child(execution, "prependGroupId")).isEqualTo("true");
        assertThat(child(execution, "phase")).as("runs only when the README's command asks for it").isEqualTo("none");
    }

    @Test
    void theReadmeFillsLibWithTheLibPomsExecution() {
        String readme = text(README);
        String command = "mvn -B -ntp -f docker/flink/pom.xml dependency:copy-dependencies@" + LIB_EXECUTION;
        assertThat(readme).contains(command + "\n").contains(command + " -Ddjl.native=cu128\n");
        assertThat(Path.of("..").resolve("docker/flink/pom.xml").normalize())
                .isEqualTo(DockerFiles.CLUSTER_LIB_POM.normalize());
    }

    @Test
    void theReadmeSubmitsTheJobJarWithTheJobsMainClass() {
        String readme = text(README);
        Matcher mainClass = Pattern.compile("\\s-c\\s+(\\S+)").matcher(readme);
        List<String> classes = new ArrayList<>();
        while (mainClass.find()) {
            classes.add(mainClass.group(1));
        }
        assertThat(classes).isNotEmpty().allMatch(MAIN_CLASS::equals);

        // the jar flink run names is the jobs module's shaded job jar, seen through the jobmanager's mount
        Document jobs = xml(JOBS_POM);
        String shadedJar = jobs.getElementsByTagName("outputFile").item(0).getTextContent().trim();
        String jarName = shadedJar.substring(shadedJar.lastIndexOf('/') + 1);
        String jobManager = DockerFiles.jobManagerService();
        Mount jarMount = mounts(DockerFiles.service(jobManager)).stream()
                .filter(m -> DOCKER.resolve(m.source()).normalize().equals(Path.of("..", "jobs", "target").normalize()))
                .findFirst().orElseThrow(() -> new AssertionError(jobManager + " does not mount jobs/target"));
        String jarPath = jarMount.target() + "/" + jarName;

        List<String> runs = lines(readme, "flink run ");
        assertThat(runs).hasSizeGreaterThanOrEqualTo(2);
        for (String run : runs) {
            assertThat(run).as(run).contains("docker compose exec " + jobManager + " flink run -d")
                    .contains("-c " + MAIN_CLASS + " " + jarPath);
        }
        assertThat(readme).contains("jobs/target/" + jarName);
    }

    @Test
    void settingsTheReadmePassesWithDashDAreOptions() {
        OptionKeys keys = new OptionKeys();
        String runs = String.join("\n", lines(text(README), "flink run "));
        Matcher d = Pattern.compile("\\s-D\\s?([a-z][a-zA-Z0-9.-]*)=").matcher(runs);
        int found = 0;
        while (d.find()) {
            found++;
            assertThat(keys.problem(d.group(1))).as("-D%s", d.group(1)).isEmpty();
        }
        assertThat(found).isPositive();
    }

    @Test
    void servicesTheReadmeNamesExist() {
        Matcher exec = Pattern.compile("docker compose (?:exec(?: -T)?|logs) ([a-z0-9-]+)").matcher(text(README));
        Set<String> named = new TreeSet<>();
        while (exec.find()) {
            named.add(exec.group(1));
        }
        assertThat(named).isNotEmpty();
        assertThat(services().keySet()).containsAll(named);
        for (JsonNode s : services().values()) {
            for (String profile : DockerFiles.list(s.path("profiles"))) {
                assertThat(text(README)).contains("--profile " + profile);
            }
        }
    }

    @Test
    void metricsTheReadmeNamesAreExported() throws Exception {
        Set<String> named = new TreeSet<>();
        Matcher m = GrafanaDashboardTest.METRIC.matcher(text(README));
        while (m.find()) {
            named.add(m.group());
        }
        named.remove("flink_taskmanager_job_task_operator_"); // the naming rule's prefix
        assertThat(named).hasSizeGreaterThan(5);
        String taskManager = flinkServices().keySet().stream()
                .filter(n -> "taskmanager".equals(DockerFiles.command(DockerFiles.service(n))))
                .findFirst().orElseThrow();
        assertThat(MetricSurface.scrape(DockerFiles.effectiveConfig(taskManager)).names()).containsAll(named);
    }

    private static List<String> lines(String text, String containing) {
        List<String> lines = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.contains(containing)) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static Document xml(Path file) {
        try {
            return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
        } catch (Exception e) {
            throw new AssertionError("cannot parse " + file, e);
        }
    }

    private static String property(Document pom, String name) {
        NodeList properties = pom.getElementsByTagName("properties");
        for (int i = 0; i < properties.getLength(); i++) {
            String value = child((Element) properties.item(i), name);
            if (value != null) {
                return value;
            }
        }
        throw new AssertionError("no property " + name);
    }

    private static Element execution(Document pom, String id) {
        NodeList executions = pom.getElementsByTagName("execution");
        for (int i = 0; i < executions.getLength(); i++) {
            Element e = (Element) executions.item(i);
            if (id.equals(child(e, "id"))) {
                return e;
            }
        }
        throw new AssertionError("no execution " + id);
    }

    /** The text of a direct child element, or null; configuration values are one level deeper. */
    private static String child(Element parent, String name) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e.getTextContent().strip();
            }
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals("configuration")) {
                return child(e, name);
            }
        }
        return null;
    }
}
