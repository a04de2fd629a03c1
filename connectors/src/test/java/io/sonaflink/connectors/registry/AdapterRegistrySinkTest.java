package io.sonaflink.connectors.registry;

import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;

import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Stream;

import io.sonaflink.connectors.registry.RegistryFixtures.Request;

import static io.sonaflink.connectors.registry.RegistryFixtures.KEY;
import static io.sonaflink.connectors.registry.RegistryFixtures.update;
import static org.assertj.core.api.Assertions.assertThat;

class AdapterRegistrySinkTest {

    private static final PeftExport PEFT = new PeftExport("org/model", "model.layers.{i}.mlp.down_proj", List.of(0));

    @TempDir
    java.nio.file.Path dir;

    private RegistryLayout layout;
    private FileSystem fs;

    @BeforeEach
    void setUp() {
        layout = new RegistryLayout(Path.fromLocalFile(dir.toFile()));
        fs = FileSystem.getLocalFileSystem();
    }

    @Test
    void nothingIsVisibleBeforeTheCheckpointCommits() throws Exception {
        AdapterRegistrySink.Writer writer = writer("0-0");
        writer.write(update(AdapterKind.BASE, 1, 8, 8, 0, 1L), null);

        assertThat(committedFiles()).isEmpty();
        Collection<RegistryCommittable> ready = writer.prepareCommit();
        assertThat(committedFiles()).isEmpty();

        commit(ready);

        assertThat(committedFiles()).containsExactlyInAnyOrder("acme/support/billing/manifest.json",
                "acme/support/billing/base/v00000001.safetensors",
                "acme/support/billing/served/b1-m0/adapter_model.safetensors",
                "acme/support/billing/served/b1-m0/adapter_config.json");
        assertThat(pendingFiles()).isEmpty();
        AdapterUpdate back = AdapterFiles.read(Files.readAllBytes(dir.resolve(
                "acme/support/billing/base/v00000001.safetensors")));
        assertThat(back).isEqualTo(update(AdapterKind.BASE, 1, 8, 8, 0, 1L));
    }

    @Test
    void manifestNamesChampionsHistoryChecksumsAndTheServedStack() throws Exception {
        AdapterRegistrySink.Writer writer = writer("0-0");
        writer.write(update(AdapterKind.BASE, 1, 8, 8, 0, 1L), null);
        writer.write(update(AdapterKind.MICRO, 1, 8, 2, 0, 2L), null);
        writer.write(update(AdapterKind.MICRO, 2, 8, 2, 1, 3L), null);
        commit(writer.prepareCommit());
        writer.write(update(AdapterKind.BASE, 2, 8, 8, 0, 4L), null);
        commit(writer.prepareCommit());

        AdapterManifest m = manifest();
        assertThat(m.base().champion()).isEqualTo(2);
        assertThat(m.micro().champion()).isEqualTo(2);
        assertThat(m.base().versions()).extracting(AdapterManifest.Version::version).containsExactly(1L, 2L);
        assertThat(m.served()).as("micro v2 is the residual of base v1, not of v2")
                .isEqualTo(new AdapterManifest.Served(2, 0, "served/b2-m0"));
        for (AdapterManifest.Version v : m.micro().versions()) {
            byte[] bytes = Files.readAllBytes(dir.resolve("acme/support/billing").resolve(v.file()));
            assertThat(RegistryLayout.sha256(bytes)).isEqualTo(v.sha256());
            assertThat(bytes).hasSize((int) v.bytes());
        }
        assertThat(m.micro().find(2).orElseThrow().servedWithBase()).isEqualTo(1L);
    }

    /** Flink commits a checkpoint's committables again after a failure; a re-run changes nothing. */
    @Test
    void aReplayedCommitChangesNothing() throws Exception {
        AdapterRegistrySink.Writer writer = writer("0-0");
        writer.write(update(AdapterKind.BASE, 1, 8, 8, 0, 1L), null);
        Collection<RegistryCommittable> ready = writer.prepareCommit();
        commit(ready);
        byte[] manifest = Files.readAllBytes(dir.resolve("acme/support/billing/manifest.json"));

        List<Request<RegistryCommittable>> again = commit(ready);

        assertThat(Files.readAllBytes(dir.resolve("acme/support/billing/manifest.json"))).isEqualTo(manifest);
        assertThat(again).allMatch(r -> r.failure == null && r.retries == 0);
    }

    /**
     * A restore from an older savepoint makes the job publish a committed version again, with other
     * weights: the committed file stays, so one version never has two different files.
     */
    @Test
    void aCommittedVersionIsNeverReplacedByOtherWeights() throws Exception {
        AdapterRegistrySink.Writer first = writer("0-0");
        first.write(update(AdapterKind.MICRO, 1, 8, 2, 0, 1L), null);
        commit(first.prepareCommit());
        byte[] committed = Files.readAllBytes(dir.resolve("acme/support/billing/micro/v00000001.safetensors"));

        AdapterRegistrySink.Writer restored = writer("0-1");
        restored.write(update(AdapterKind.MICRO, 1, 8, 2, 0, 99L), null);
        commit(restored.prepareCommit());

        assertThat(Files.readAllBytes(dir.resolve("acme/support/billing/micro/v00000001.safetensors")))
                .isEqualTo(committed);
        assertThat(manifest().micro().versions()).hasSize(1);
        assertThat(pendingFiles()).isEmpty();
    }

    /** A failure between renaming the file and writing the manifest: the retry finishes the commit. */
    @Test
    void aCommitInterruptedAfterTheRenameCompletes() throws Exception {
        AdapterRegistrySink.Writer writer = writer("0-0");
        writer.write(update(AdapterKind.BASE, 1, 8, 8, 0, 1L), null);
        RegistryCommittable c = writer.prepareCommit().iterator().next();
        Path target = layout.adapterFile(KEY, AdapterKind.BASE, 1);
        fs.mkdirs(target.getParent());
        assertThat(fs.rename(new Path(c.pendingFile()), target)).isTrue();

        commit(List.of(c));

        assertThat(manifest().base().find(1).orElseThrow().sha256()).isEqualTo(c.entry().sha256());
    }

    @Test
    void aRollbackMovesThePointer() throws Exception {
        AdapterRegistrySink.Writer writer = writer("0-0");
        AdapterUpdate v1 = update(AdapterKind.BASE, 1, 8, 8, 0, 1L);
        writer.write(v1, null);
        writer.write(update(AdapterKind.BASE, 2, 8, 8, 0, 2L), null);
        commit(writer.prepareCommit());
        writer.write(RegistryFixtures.rollback(v1, 3), null);
        commit(writer.prepareCommit());

        AdapterManifest m = manifest();
        AdapterManifest.Version v3 = m.base().find(3).orElseThrow();
        assertThat(m.base().champion()).isEqualTo(3);
        assertThat(v3.rolledBackTo()).isEqualTo(1L);
        assertThat(v3.file()).isEqualTo("base/v00000001.safetensors");
        assertThat(v3.sha256()).isEqualTo(m.base().find(1).orElseThrow().sha256());
        assertThat(committedFiles()).doesNotContain("acme/support/billing/base/v00000003.safetensors");
        assertThat(m.served().peft()).isEqualTo("served/b3-m0");
    }

    @Test
    void aLostPendingFileFailsItsCommitAloneAndLoudly() throws Exception {
        AdapterRegistrySink.Writer writer = writer("0-0");
        writer.write(update(AdapterKind.BASE, 1, 8, 8, 0, 1L), null);
        writer.write(update(AdapterKind.MICRO, 1, 8, 2, 1, 2L), null);
        List<RegistryCommittable> ready = new ArrayList<>(writer.prepareCommit());
        fs.delete(new Path(ready.get(0).pendingFile()), false);

        List<Request<RegistryCommittable>> requests = commit(ready);

        assertThat(requests.get(0).failure).hasMessageContaining("is gone");
        assertThat(requests.get(1).failure).isNull();
        assertThat(manifest().micro().champion()).isEqualTo(1);
        assertThat(manifest().base().champion()).isZero();
    }

    @Test
    void committablesSurviveTheirSerializer() throws Exception {
        AdapterRegistrySink.Writer writer = writer("0-0");
        writer.write(update(AdapterKind.MICRO, 4, 8, 2, 3, 1L), null);
        writer.write(RegistryFixtures.rollback(update(AdapterKind.BASE, 2, 8, 8, 0, 2L), 5), null);
        RegistryCommittable.Serializer serializer = new RegistryCommittable.Serializer();
        for (RegistryCommittable c : writer.prepareCommit()) {
            assertThat(serializer.deserialize(serializer.getVersion(), serializer.serialize(c))).isEqualTo(c);
        }
    }

    /** A committed export is pushed to vLLM by its path under the registry root as the server sees it. */
    @Test
    void aCommittedExportIsPushedToVllm() throws Exception {
        java.util.concurrent.BlockingQueue<String> bodies = new java.util.concurrent.LinkedBlockingQueue<>();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            bodies.add(exchange.getRequestURI().getPath() + " "
                    + new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
        try (var pusher = new io.sonaflink.connectors.vllm.VllmPusher(new io.sonaflink.connectors.vllm.VllmConfig(
                java.net.URI.create("http://127.0.0.1:" + server.getAddress().getPort()), "/mnt/registry", 0, 2_000, 2,
                10))) {
            AdapterRegistrySink.Writer writer = writer("0-0");
            writer.write(update(AdapterKind.BASE, 1, 8, 8, 0, 1L), null);
            List<Request<RegistryCommittable>> requests = writer.prepareCommit().stream().map(Request<RegistryCommittable>::new).toList();
            new AdapterRegistryCommitter(layout, fs, 64, PEFT, pusher).commit(new ArrayList<>(requests));

            assertThat(bodies.poll(20, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("/v1/load_lora_adapter "
                    + "{\"lora_name\":\"acme/support/billing@b1-m0\","
                    + "\"lora_path\":\"/mnt/registry/acme/support/billing/served/b1-m0\"}");
        } finally {
            server.stop(0);
        }
    }

    private AdapterRegistrySink.Writer writer(String attempt) {
        return new AdapterRegistrySink.Writer(layout, fs, attempt);
    }

    private List<Request<RegistryCommittable>> commit(Collection<RegistryCommittable> committables) throws Exception {
        List<Request<RegistryCommittable>> requests = committables.stream().map(Request<RegistryCommittable>::new).toList();
        new AdapterRegistryCommitter(layout, fs, 64, PEFT, null).commit(new ArrayList<>(requests));
        return requests;
    }

    private AdapterManifest manifest() throws IOException {
        return AdapterManifest.fromJson(Files.readAllBytes(dir.resolve("acme/support/billing/manifest.json")));
    }

    private List<String> committedFiles() throws IOException {
        try (Stream<java.nio.file.Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString())
                    .filter(p -> !p.startsWith(RegistryLayout.PENDING)).sorted().toList();
        }
    }

    private List<String> pendingFiles() throws IOException {
        java.nio.file.Path pending = dir.resolve(RegistryLayout.PENDING);
        if (!Files.exists(pending)) {
            return List.of();
        }
        try (Stream<java.nio.file.Path> files = Files.walk(pending)) {
            return files.filter(Files::isRegularFile).map(Object::toString).toList();
        }
    }
}
