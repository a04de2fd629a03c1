package io.sonaflink.jobs.deploy;

import io.sonaflink.jobs.SonaOptions;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.metrics.prometheus.PrometheusPushGatewayReporterOptions;
import org.apache.flink.metrics.prometheus.PrometheusReporterFactory;
import org.apache.flink.state.rocksdb.RocksDBConfigurableOptions;
import org.apache.flink.state.rocksdb.RocksDBOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

/**
 * The configuration keys that exist: Flink's, collected from the public static {@link ConfigOption}
 * fields of its option classes on the test class path, and the job's, from {@link SonaOptions}.
 * A key that is neither is a typo that Flink would silently ignore.
 */
final class OptionKeys {

    /** Client properties handed to Kafka as they are ({@code sona.kafka.properties.<kafka key>}). */
    static final String SONA_KAFKA_PASS_THROUGH = "sona.kafka.properties.";

    private static final String REPORTER_PREFIX = "metrics.reporter.";

    private final Map<String, ConfigOption<?>> flink = new HashMap<>();
    /** Deprecated or fallback key to the key that replaced it. */
    private final Map<String, String> replaced = new HashMap<>();
    /** Keys with placeholders such as external-resource.&lt;resource_name&gt;.amount. */
    private final Map<Pattern, ConfigOption<?>> templates = new LinkedHashMap<>();
    private final List<String> reporterSuffixes = new ArrayList<>();
    private final Map<String, ConfigOption<?>> sona = new LinkedHashMap<>();

    OptionKeys() {
        for (Class<?> holder : flinkOptionClasses()) {
            for (ConfigOption<?> option : options(holder)) {
                addFlink(holder, option);
            }
        }
        // The Prometheus reporter's own parameter (PrometheusReporterFactory.ARG_PORT) and the one
        // it shares with the push gateway reporter.
        reporterSuffixes.add(staticString(PrometheusReporterFactory.class, "ARG_PORT"));
        reporterSuffixes.add(PrometheusPushGatewayReporterOptions.FILTER_LABEL_VALUE_CHARACTER.key());
        for (ConfigOption<?> option : SonaOptions.all()) {
            sona.put(option.key(), option);
        }
    }

    private void addFlink(Class<?> holder, ConfigOption<?> option) {
        String key = option.key();
        if (holder == MetricOptions.class && !key.startsWith("metrics.")) {
            // metrics.reporter.<name>.<suffix>; "<parameter>" stands for the reporter's own ones
            if (!key.contains("<")) {
                reporterSuffixes.add(key);
            }
            return;
        }
        if (key.startsWith("<")) {
            return; // a reporter's own parameter (traces.reporter.<name>.<parameter>, ...): no key by itself
        }
        if (key.contains("<")) {
            templates.put(template(key), option);
            return;
        }
        flink.put(key, option);
        for (FallbackKey fallback : option.fallbackKeys()) {
            replaced.putIfAbsent(fallback.getKey(), key);
        }
    }

    private static Pattern template(String key) {
        StringBuilder regex = new StringBuilder();
        for (String part : key.split("\\.")) {
            if (regex.length() > 0) {
                regex.append("\\.");
            }
            // a trailing placeholder (<param>) may itself contain dots
            regex.append(part.startsWith("<") ? (key.endsWith(part) ? ".+" : "[^.]+") : Pattern.quote(part));
        }
        return Pattern.compile(regex.toString());
    }

    /** Why {@code key} is not a Flink option, or empty if it is one. */
    Optional<String> flinkProblem(String key) {
        if (flink.containsKey(key)) {
            return Optional.empty();
        }
        if (replaced.containsKey(key)) {
            return Optional.of(key + " is deprecated: use " + replaced.get(key));
        }
        if (key.startsWith(REPORTER_PREFIX)) {
            String rest = key.substring(REPORTER_PREFIX.length());
            int dot = rest.indexOf('.');
            String suffix = dot < 0 ? "" : rest.substring(dot + 1);
            return reporterSuffixes.contains(suffix) ? Optional.empty()
                    : Optional.of(key + ": no reporter setting " + suffix + " (known: " + reporterSuffixes + ")");
        }
        for (Pattern p : templates.keySet()) {
            if (p.matcher(key).matches()) {
                return Optional.empty();
            }
        }
        return Optional.of(key + " is not a Flink configuration option");
    }

    /** The Flink option of {@code key}, if it has a typed one (templated keys have none). */
    Optional<ConfigOption<?>> flinkOption(String key) {
        return Optional.ofNullable(flink.get(key));
    }

    /** Why {@code key} is not a setting of the job, or empty if it is one. */
    Optional<String> sonaProblem(String key) {
        if (sona.containsKey(key) || (key.startsWith(SONA_KAFKA_PASS_THROUGH)
                && key.length() > SONA_KAFKA_PASS_THROUGH.length())) {
            return Optional.empty();
        }
        return Optional.of(key + " is not declared in SonaOptions");
    }

    Optional<ConfigOption<?>> sonaOption(String key) {
        return Optional.ofNullable(sona.get(key));
    }

    /** The job option of {@code key}; fails the test with a readable message if there is none. */
    ConfigOption<?> requireSona(String key) {
        return sonaOption(key).orElseThrow(() -> new AssertionError(key + " is not declared in SonaOptions"));
    }

    Map<String, ConfigOption<?>> sonaOptions() {
        return sona;
    }

    /** Either problem of a key used in a deployment file: job keys start with {@code sona.}. */
    Optional<String> problem(String key) {
        return key.startsWith("sona.") ? sonaProblem(key) : flinkProblem(key);
    }

    static List<ConfigOption<?>> options(Class<?> holder) {
        List<ConfigOption<?>> options = new ArrayList<>();
        for (Field f : holder.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
                try {
                    options.add((ConfigOption<?>) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return options;
    }

    /** Every top-level class of org.apache.flink.configuration in flink-core, plus RocksDB's options. */
    private static List<Class<?>> flinkOptionClasses() {
        List<Class<?>> classes = new ArrayList<>();
        classes.add(RocksDBOptions.class);
        classes.add(RocksDBConfigurableOptions.class);
        Path jar;
        try {
            jar = Path.of(CoreOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        String pkg = CoreOptions.class.getPackageName().replace('.', '/') + "/";
        try (JarFile jarFile = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = jarFile.entries(); e.hasMoreElements(); ) {
                String name = e.nextElement().getName();
                String rest = name.startsWith(pkg) ? name.substring(pkg.length()) : "";
                if (rest.endsWith(".class") && !rest.contains("/") && !rest.contains("$")) {
                    String className = name.substring(0, name.length() - ".class".length()).replace('/', '.');
                    try {
                        classes.add(Class.forName(className));
                    } catch (ClassNotFoundException | LinkageError ignored) {
                        // not an option holder usable here; its keys would show up as unknown
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + jar, e);
        }
        return classes;
    }

    private static String staticString(Class<?> owner, String field) {
        try {
            Field f = owner.getDeclaredField(field);
            f.setAccessible(true);
            return (String) f.get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(owner.getName() + "." + field, e);
        }
    }
}
