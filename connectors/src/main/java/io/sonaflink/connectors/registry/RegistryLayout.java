package io.sonaflink.connectors.registry;

import io.sonaflink.connectors.Checksums;
import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;

import org.apache.flink.core.fs.Path;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Where the adapter registry keeps things, under one root URI:
 *
 * <pre>
 * &lt;root&gt;/&lt;tenant&gt;/&lt;persona&gt;/&lt;domain&gt;/manifest.json             the key's champions and history
 * &lt;root&gt;/&lt;tenant&gt;/&lt;persona&gt;/&lt;domain&gt;/base/v00000003.safetensors  one immutable file per version
 * &lt;root&gt;/&lt;tenant&gt;/&lt;persona&gt;/&lt;domain&gt;/micro/v00000017.safetensors
 * &lt;root&gt;/&lt;tenant&gt;/&lt;persona&gt;/&lt;domain&gt;/served/b3-m17/            the served stack as a PEFT adapter
 * &lt;root&gt;/&lt;tenant&gt;/&lt;persona&gt;/&lt;domain&gt;/patterns/c00000042.snapshot  the pattern bank of a background cycle
 * &lt;root&gt;/.pending/...                                        written, not yet committed
 * </pre>
 *
 * <p>Each key part becomes one path segment that cannot leave its parent: bytes outside {@code
 * [A-Za-z0-9._-]} are written {@code %XX}, and so is a leading dot (no {@code .}, {@code ..} or
 * hidden names); a part that is empty or whose encoding exceeds {@value #MAX_SEGMENT} characters
 * becomes a prefix of it, {@code ~} and a SHA-256 digest of the part. The encoding is injective
 * (only hashed segments contain {@code ~}), so two keys never share a directory.
 */
public final class RegistryLayout {

    static final int MAX_SEGMENT = 96;
    static final String PENDING = ".pending";
    static final String MANIFEST = "manifest.json";
    static final String SERVED = "served";
    static final String PATTERNS = "patterns";

    private final Path root;

    public RegistryLayout(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path keyDirectory(AdapterKey key) {
        return new Path(root, relativeKeyPath(key));
    }

    public Path manifest(AdapterKey key) {
        return new Path(keyDirectory(key), MANIFEST);
    }

    /** The committed weights file of one version. */
    public Path adapterFile(AdapterKey key, AdapterKind kind, long version) {
        return new Path(keyDirectory(key), adapterFileName(kind, version));
    }

    /** {@code base/v00000003.safetensors}, relative to the key's directory (as the manifest records it). */
    public static String adapterFileName(AdapterKind kind, long version) {
        return kindSegment(kind) + '/' + String.format(Locale.ROOT, "v%08d.safetensors", version);
    }

    /** Where a writer puts a version before its checkpoint commits it; {@code attempt} makes it unique. */
    public Path pendingFile(AdapterKey key, AdapterKind kind, long version, String attempt) {
        return new Path(new Path(root, PENDING + '/' + relativeKeyPath(key)),
                adapterFileName(kind, version) + '.' + attempt + ".inprogress");
    }

    /** The committed pattern bank of one background cycle. */
    public Path patternFile(AdapterKey key, long cycle) {
        return new Path(patternDirectory(key), patternFileName(cycle));
    }

    public Path patternDirectory(AdapterKey key) {
        return new Path(keyDirectory(key), PATTERNS);
    }

    static String patternFileName(long cycle) {
        return String.format(Locale.ROOT, "c%08d.snapshot", cycle);
    }

    /** Where a writer puts a pattern bank before its checkpoint commits it. */
    public Path pendingPatternFile(AdapterKey key, long cycle, String attempt) {
        return new Path(new Path(root, PENDING + '/' + relativeKeyPath(key) + '/' + PATTERNS),
                patternFileName(cycle) + '.' + attempt + ".inprogress");
    }

    /** The directory of a served stack's PEFT export, relative to the key's directory. */
    public static String servedDirectoryName(long baseVersion, long microVersion) {
        return SERVED + "/b" + baseVersion + "-m" + microVersion;
    }

    public Path servedDirectory(AdapterKey key, long baseVersion, long microVersion) {
        return new Path(keyDirectory(key), servedDirectoryName(baseVersion, microVersion));
    }

    static String kindSegment(AdapterKind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    static String relativeKeyPath(AdapterKey key) {
        return segment(key.tenant()) + '/' + segment(key.persona()) + '/' + segment(key.domain());
    }

    /** One key part as a path segment that names a child of its parent and nothing else. */
    static String segment(String part) {
        byte[] utf8 = part.getBytes(StandardCharsets.UTF_8);
        StringBuilder s = new StringBuilder(utf8.length);
        for (int i = 0; i < utf8.length; i++) {
            int b = utf8[i] & 0xff;
            boolean plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
                    || b == '_' || b == '-' || (b == '.' && i > 0);
            if (plain) {
                s.append((char) b);
            } else {
                s.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
            if (s.length() > MAX_SEGMENT) {
                break;
            }
        }
        if (s.length() > 0 && s.length() <= MAX_SEGMENT) {
            return s.toString();
        }
        String prefix = s.substring(0, Math.min(s.length(), MAX_SEGMENT / 2));
        int cut = prefix.lastIndexOf('%');
        if (cut >= prefix.length() - 2 && cut >= 0) {
            prefix = prefix.substring(0, cut); // never split an escape
        }
        return prefix + '~' + sha256(utf8).substring(0, 32);
    }

    static String sha256(byte[] bytes) {
        return Checksums.sha256(bytes);
    }
}
