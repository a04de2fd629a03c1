package io.sonaflink.local;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) in its own JVM, listening
 * on 127.0.0.1 only, with its data under a local folder. It runs from this program's classpath
 * (the Kafka server jars from Maven Central) and is stopped when closed.
 */
public final class KafkaBrokerProcess implements AutoCloseable {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final String bootstrapServers;
    private final Path logFile;

    private KafkaBrokerProcess(Process process, String bootstrapServers, Path logFile) {
        this.process = process;
        this.bootstrapServers = bootstrapServers;
        this.logFile = logFile;
    }

    /**
     * Formats {@code dataDir} (once) and starts the broker.
     *
     * @param port the client port, or 0 for 9092 when free and any free port otherwise
     */
    public static KafkaBrokerProcess start(Path dataDir, int port) throws Exception {
        return start(dataDir, port, null);
    }

    /**
     * A listener beside the plaintext one, e.g. SASL_SSL for clients that must authenticate.
     *
     * @param name its name, which is also its security protocol (e.g. {@code SASL_SSL})
     * @param port its port on 127.0.0.1
     * @param settings broker settings it needs (keystore, SASL mechanisms and users)
     */
    public record Listener(String name, int port, Map<String, String> settings) {}

    /** As {@link #start(Path, int)}, with {@code extra} (null for none) listening too. */
    public static KafkaBrokerProcess start(Path dataDir, int port, Listener extra) throws Exception {
        Files.createDirectories(dataDir);
        int clientPort = port > 0 ? port : freePort(9092);
        int controllerPort = freePort(0);
        Path config = dataDir.resolve("server.properties");
        writeConfig(config, dataDir.resolve("logs"), clientPort, controllerPort, extra);
        Path logFile = dataDir.resolve("broker.log");

        if (!Files.exists(dataDir.resolve("logs").resolve("meta.properties"))) {
            Process format = java("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(),
                    "-c", config.toString(), "--standalone")
                    .redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
            if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
                format.destroyForcibly();
                throw new IOException("formatting the broker's log folder failed; see " + logFile);
            }
        }
        Process process = java("kafka.Kafka", config.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        KafkaBrokerProcess broker = new KafkaBrokerProcess(process, "127.0.0.1:" + clientPort, logFile);
        try {
            broker.awaitReady();
        } catch (Exception e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path logFile() {
        return logFile;
    }

    private void awaitReady() throws Exception {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
        p.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
        boolean ready = Polling.until(() -> {
            if (!process.isAlive()) {
                throw new IOException("the Kafka broker exited with " + process.exitValue() + "; see " + logFile);
            }
            try (Admin admin = Admin.create(p)) {
                return !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException notYet) {
                return false;
            }
        }, READY_TIMEOUT, Duration.ofMillis(250));
        if (!ready) {
            throw new IOException("the Kafka broker did not come up within " + READY_TIMEOUT.toSeconds() + " s; see "
                    + logFile);
        }
    }

    /** Stops the broker: a clean shutdown first (SIGTERM), then a forced one. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void writeConfig(Path config, Path logs, int clientPort, int controllerPort, Listener extra)
            throws IOException {
        // Single node: every internal topic has one replica. Loopback only.
        Map<String, String> settings = new java.util.LinkedHashMap<>();
        settings.put("process.roles", "broker,controller");
        settings.put("node.id", "1");
        settings.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
        String extraListener = extra == null ? "" : "," + extra.name() + "://127.0.0.1:" + extra.port();
        settings.put("listeners", "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort
                + extraListener);
        settings.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort + extraListener);
        settings.put("controller.listener.names", "CONTROLLER");
        settings.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
                + (extra == null ? "" : "," + extra.name() + ":" + extra.name()));
        settings.put("inter.broker.listener.name", "PLAINTEXT");
        settings.put("log.dirs", logs.toAbsolutePath().toString());
        settings.put("num.partitions", "1");
        settings.put("offsets.topic.replication.factor", "1");
        settings.put("transaction.state.log.replication.factor", "1");
        settings.put("transaction.state.log.min.isr", "1");
        settings.put("share.coordinator.state.topic.replication.factor", "1");
        settings.put("group.initial.rebalance.delay.ms", "0");
        settings.put("auto.create.topics.enable", "false");
        if (extra != null) {
            settings.putAll(extra.settings());
        }
        StringBuilder s = new StringBuilder("# Written by the local run; a single-node KRaft broker on 127.0.0.1.\n");
        settings.forEach((k, v) -> s.append(k).append('=').append(v).append('\n'));
        Files.writeString(config, s);
    }

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private static ProcessBuilder java(String mainClass, String... args) {
        List<String> command = new ArrayList<>();
        // In a session of its own, a Ctrl-C in the terminal reaches only the local run, which
        // stops the job before it stops the broker; otherwise the broker would die under the job.
        if (Files.isExecutable(SETSID)) {
            command.add(SETSID.toString());
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx512m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    /** {@code preferred} if it can be bound on 127.0.0.1, else a free ephemeral port. */
    static int freePort(int preferred) {
        if (preferred > 0) {
            try (ServerSocket socket = new ServerSocket(preferred, 1, InetAddress.getLoopbackAddress())) {
                return socket.getLocalPort();
            } catch (IOException inUse) {
                // fall through to an ephemeral port
            }
        }
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
