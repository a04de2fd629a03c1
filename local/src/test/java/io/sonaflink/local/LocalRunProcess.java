package io.sonaflink.local;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** The local run as its own process, for tests that signal it as a terminal would; its output is kept by line. */
final class LocalRunProcess implements AutoCloseable {

    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> reader;

    /** Starts {@link SonaLocal} with {@code args} in {@code dir}, behind {@code prefix} (e.g. setsid) when given. */
    LocalRunProcess(Path dir, List<String> prefix, String... args) throws IOException {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), SonaLocal.class.getName()));
        command.addAll(List.of(args));
        process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        reader = CompletableFuture.runAsync(this::readLines);
    }

    Process process() {
        return process;
    }

    List<String> lines() {
        return lines;
    }

    String output() {
        return String.join("\n", lines);
    }

    /** The first line that matches, once one is printed within {@code timeout}; null otherwise. */
    String awaitLine(Predicate<String> line, Duration timeout) throws Exception {
        Polling.until(() -> lines.stream().anyMatch(line), timeout, Duration.ofMillis(200));
        return lines.stream().filter(line).findFirst().orElse(null);
    }

    /** Sends SIGINT to the run, or with {@code group} to its whole process group (it must lead one). */
    void interrupt(boolean group) throws Exception {
        Process kill = new ProcessBuilder("kill", "-INT", "--", (group ? "-" : "") + process.pid()).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -INT failed");
        }
    }

    /** Waits for the run to end and for its output to be read; its exit status, or -1 when it did not end. */
    int awaitExit(Duration timeout) throws Exception {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return -1;
        }
        reader.get(10, TimeUnit.SECONDS);
        return process.exitValue();
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    private void readLines() {
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lines.add(line);
            }
        } catch (IOException e) {
            lines.add("reading the run's output failed: " + e);
        }
    }
}
