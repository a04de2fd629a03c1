package io.sonaflink.connectors.registry;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;

import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class RegistryLayoutTest {

    private static final List<String> CRAFTED = List.of("..", ".", "../../etc", "a/../../b", "/", "/abs", "a\u0000b",
            "\u0000", "", ".hidden", "C:\\x", "file:///tmp", "%2e%2e", "~", "a~b", "ünïcødé", "x".repeat(10_000),
            "..".repeat(5_000), "\uD83D\uDE00", "%", "%%41");

    @Test
    void craftedKeysStayInsideTheRoot(@TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path root = dir.resolve("registry");
        RegistryLayout layout = new RegistryLayout(Path.fromLocalFile(root.toFile()));
        FileSystem fs = FileSystem.getLocalFileSystem();
        for (String part : CRAFTED) {
            AdapterKey key = new AdapterKey(part, part, part);
            for (Path p : List.of(layout.manifest(key), layout.adapterFile(key, AdapterKind.BASE, 7),
                    layout.pendingFile(key, AdapterKind.MICRO, 7, "0-0-x"))) {
                RegistryFiles.create(fs, p, part.getBytes(StandardCharsets.UTF_8));
                File written = new File(p.toUri().getPath()).getCanonicalFile();
                assertThat(written.toPath()).as("%s for key part %.40s", p, part).startsWith(root.toRealPath());
                assertThat(written).exists();
            }
            for (String segment : layout.keyDirectory(key).getPath().substring(root.toString().length() + 1).split("/")) {
                assertThat(segment).isNotEmpty().doesNotStartWith(".").hasSizeLessThanOrEqualTo(
                        RegistryLayout.MAX_SEGMENT + 33);
            }
        }
        assertThat(root.resolve(".pending").toFile()).isDirectory();
        assertThat(dir.toFile().list()).containsExactly("registry");
    }

    @Test
    void distinctPartsGetDistinctSegments() {
        Set<String> segments = new HashSet<>();
        for (String part : CRAFTED) {
            assertThat(segments.add(RegistryLayout.segment(part))).as(part).isTrue();
        }
        assertThat(RegistryLayout.segment("acme")).isEqualTo("acme");
        assertThat(RegistryLayout.segment("gpt-4.1_mini")).isEqualTo("gpt-4.1_mini");
        assertThat(RegistryLayout.segment("a/b")).isEqualTo("a%2Fb");
        assertThat(RegistryLayout.segment("..")).isEqualTo("%2E.");
        assertThat(RegistryLayout.segment("x".repeat(10_000))).hasSize(48 + 1 + 32).contains("~");
    }

    @Test
    void versionsHaveFixedWidthNames() {
        assertThat(RegistryLayout.adapterFileName(AdapterKind.BASE, 3)).isEqualTo("base/v00000003.safetensors");
        assertThat(RegistryLayout.servedDirectoryName(3, 17)).isEqualTo("served/b3-m17");
    }
}
