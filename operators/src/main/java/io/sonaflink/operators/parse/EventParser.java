package io.sonaflink.operators.parse;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.ControlCommand;
import io.sonaflink.operators.events.ExecutionMetrics;
import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.Response;
import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.events.SignalSource;
import io.sonaflink.operators.events.SignalType;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.events.Trajectory;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns JSON payloads into {@link Trajectory}, {@link TrainingSignal}, {@link Control} and
 * {@link Query} events, or into a precise reason why not. Never throws on bad input: every problem is a
 * {@link ParseResult.Rejected} whose reason starts with the offending field
 * ({@code embedding[17]: NaN is not allowed}).
 *
 * <h2>Common rules</h2>
 *
 * <ul>
 *   <li>The payload size is checked before parsing; the payload must be one JSON object (UTF-8),
 *       with no duplicate fields and nothing after it.
 *   <li>Field names are snake_case. Unknown fields are ignored, so producers can add fields before
 *       this parser knows them. An optional field set to {@code null} counts as absent.
 *   <li>{@code key} is an object with non-blank strings {@code tenant}, {@code persona} and
 *       {@code domain}, none containing {@code /} (it separates the parts of the key's string form,
 *       by which streams are keyed, so allowing it would let two keys collide).
 *   <li>{@code timestamp} (epoch milliseconds) and the metrics counters are non-negative integers;
 *       a whole number written with a fraction or exponent ({@code 1.7e12}) is accepted.
 *   <li>An embedding (trajectory {@code embedding} and {@code target}, signal {@code target} and
 *       {@code input}, query {@code embedding}) is either an array of exactly {@code dimension} numbers, or a string holding
 *       standard base64 (RFC 4648, padding optional, no line breaks) of {@code dimension}
 *       little-endian float32 values. NaN, infinities and values beyond the float32 range are
 *       rejected (the tokens {@code NaN} and {@code Infinity} are read so that the reason can name
 *       them).
 *   <li>Strings must fit the binary event format: at most 65535 bytes of modified UTF-8.
 * </ul>
 *
 * <h2>Trajectory</h2>
 *
 * Required: {@code id}, {@code key}, {@code timestamp}, {@code embedding}. Optional: {@code route}
 * (default ""), {@code params} (an object whose string values are discrete parameters, booleans
 * discrete "true"/"false", numbers numeric parameters; any other value is an error),
 * {@code metrics}, {@code quality} (in [0, 1]), {@code target}. When {@code quality} is absent it is
 * computed from {@code metrics} ({@link ExecutionMetrics#quality()}); when both are absent the
 * trajectory is rejected. In {@code metrics}, {@code latency_us} and {@code memory_bytes} are
 * required (the quality formula needs them); {@code planning_us}, {@code execution_us},
 * {@code rows_processed} default to 0 and {@code cache_hit_rate} defaults to 0 and must be in
 * [0, 1]. A parsed trajectory has weight 1.
 *
 * <h2>Training signal</h2>
 *
 * Required: {@code id}, {@code key}, {@code type} (mistake, correction, positive or import),
 * {@code source} (human, ai or automated), {@code timestamp}; both names case-insensitive.
 * {@code weight} defaults to the source's ({@link SignalSource#defaultWeight()}) and must be finite
 * and positive. By type:
 *
 * <ul>
 *   <li>mistake, positive: {@code trajectory_id} required; no {@code target} or {@code input}.
 *   <li>correction: {@code trajectory_id} and {@code target} required; no {@code input} (the
 *       trajectory supplies it).
 *   <li>import: {@code target} and {@code input} required; {@code trajectory_id} optional.
 * </ul>
 *
 * A field that this type does not use is rejected rather than dropped, so that a producer that
 * sends, say, a target with a mistake learns that it is not used.
 *
 * <h2>Control</h2>
 *
 * Required: {@code id}, {@code command} (promote, rollback, pin, unpin, pause_learning,
 * resume_learning, set_governor or set_thresholds; case-insensitive), {@code timestamp}. Optional:
 * {@code key} (as above; absent means every key), {@code kind} (micro or base, case-insensitive),
 * {@code version} (a non-negative integer, default 0). By command:
 *
 * <ul>
 *   <li>promote, rollback: {@code kind} and {@code version} optional; a non-zero version needs a
 *       kind, because versions are numbered per key and kind.
 *   <li>pin: as promote, and a non-zero version also needs a key.
 *   <li>unpin, pause_learning, resume_learning: no {@code kind} or {@code version}.
 *   <li>set_governor: {@code toggles} required, an object of at least one boolean, whose names
 *       are non-blank and contain no {@code @} (it separates a setting from its key in the gate's
 *       state); no {@code kind} or {@code version}.
 *   <li>set_thresholds: {@code thresholds} required, an object of at least one finite number
 *       named {@value Control#THRESHOLD_RETENTION} or {@value Control#THRESHOLD_AUTO_ROLLBACK_QUALITY};
 *       no {@code kind} or {@code version}. Whether a value is in its threshold's range is the
 *       gate's to judge: it answers an out-of-range value with an ignored decision that says why.
 * </ul>
 *
 * {@code toggles} and {@code thresholds} are rejected on every other command, like the fields a
 * signal type does not use.
 *
 * <h2>Query</h2>
 *
 * Required: {@code id}, {@code key}, {@code embedding}, {@code timestamp}; there are no optional
 * fields.
 */
public final class EventParser {

    /** {@link java.io.DataOutput#writeUTF}, which the event codecs use for strings, stops here. */
    static final int MAX_STRING_BYTES = 65535;

    static final float TRAJECTORY_WEIGHT = 1f;

    /** Values quoted in a reason are cut to this length, so that a reason stays short. */
    private static final int MAX_QUOTED_CHARS = 64;

    private static final int MAX_JSON_MESSAGE_CHARS = 300;

    private static final SignalType[] SIGNAL_TYPES = SignalType.values();
    private static final SignalSource[] SIGNAL_SOURCES = SignalSource.values();
    private static final ControlCommand[] CONTROL_COMMANDS = ControlCommand.values();
    private static final AdapterKind[] ADAPTER_KINDS = AdapterKind.values();

    /** Separates a gate setting's name from the key it is scoped to. */
    private static final char SETTING_SCOPE_SEPARATOR = '@';

    /** How Jackson cites a location inside its messages; the payload itself is never quoted. */
    private static final Pattern SOURCE_LOCATION =
            Pattern.compile("\\[Source: [^;\\]]*; line: (\\d+), column: (\\d+)\\]");

    /** Embeddings as JSON arrays are hundreds of decimals per event: parsed with Jackson's fast parser. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** One value within a payload read by the streaming parser (what follows it is the payload's business). */
    private static final ObjectReader VALUE = MAPPER.readerFor(JsonNode.class)
            .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private EventParser() {}

    public static ParseResult<Trajectory> parseTrajectory(RawRecord raw, ParseLimits limits) {
        Reader r = new Reader(limits.dimension());
        JsonNode root = r.root(raw.bytes(), limits);
        if (root == null) {
            return r.rejection();
        }
        String id = r.requiredText(root.get("id"), "id");
        AdapterKey key = r.key(root.get("key"));
        long timestamp = r.requiredCount(root.get("timestamp"), "timestamp");
        float[] embedding = r.requiredVector(root.get("embedding"), "embedding");
        String route = r.optionalText(root.get("route"), "route", "");
        Map<String, String> discreteParams = new TreeMap<>();
        Map<String, Double> numericParams = new TreeMap<>();
        r.params(root.get("params"), discreteParams, numericParams);
        ExecutionMetrics metrics = r.metrics(root.get("metrics"));
        float quality = r.quality(root.get("quality"), metrics);
        float[] target = r.optionalVector(root.get("target"), "target");
        if (r.failed()) {
            return r.rejection();
        }
        return ParseResult.parsed(new Trajectory(id, key, timestamp, embedding, route, discreteParams, numericParams,
                metrics, quality, target, TRAJECTORY_WEIGHT));
    }

    public static ParseResult<TrainingSignal> parseSignal(RawRecord raw, ParseLimits limits) {
        Reader r = new Reader(limits.dimension());
        JsonNode root = r.root(raw.bytes(), limits);
        if (root == null) {
            return r.rejection();
        }
        String id = r.requiredText(root.get("id"), "id");
        String trajectoryId = r.optionalText(root.get("trajectory_id"), "trajectory_id", null);
        AdapterKey key = r.key(root.get("key"));
        SignalType type = r.choice(root.get("type"), "type", SIGNAL_TYPES);
        SignalSource source = r.choice(root.get("source"), "source", SIGNAL_SOURCES);
        float weight = r.weight(root.get("weight"), source);
        float[] target = r.optionalVector(root.get("target"), "target");
        float[] input = r.optionalVector(root.get("input"), "input");
        long timestamp = r.requiredCount(root.get("timestamp"), "timestamp");
        if (type != null) {
            r.checkSignalFields(type, trajectoryId, target, input);
        }
        if (r.failed()) {
            return r.rejection();
        }
        return ParseResult.parsed(
                new TrainingSignal(id, trajectoryId, key, type, source, weight, target, input, timestamp));
    }

    public static ParseResult<Control> parseControl(RawRecord raw, ParseLimits limits) {
        Reader r = new Reader(limits.dimension());
        JsonNode root = r.root(raw.bytes(), limits);
        if (root == null) {
            return r.rejection();
        }
        String id = r.requiredText(root.get("id"), "id");
        ControlCommand command = r.choice(root.get("command"), "command", CONTROL_COMMANDS);
        JsonNode keyNode = root.get("key");
        AdapterKey key = absent(keyNode) ? null : r.key(keyNode);
        JsonNode kindNode = root.get("kind");
        AdapterKind kind = absent(kindNode) ? null : r.choice(kindNode, "kind", ADAPTER_KINDS);
        JsonNode versionNode = root.get("version");
        long version = r.optionalCount(versionNode, "version");
        Map<String, Boolean> toggles = r.toggles(root.get("toggles"));
        Map<String, Double> thresholds = r.thresholds(root.get("thresholds"));
        long timestamp = r.requiredCount(root.get("timestamp"), "timestamp");
        String scope = r.optionalText(root.get("scope"), "scope", "");
        if (command != null) {
            r.checkControlFields(command, key, kind, !absent(versionNode), version, toggles, thresholds);
            r.checkControlScope(command, key, scope);
        }
        if (r.failed()) {
            return r.rejection();
        }
        return ParseResult.parsed(new Control(id, command, key, kind, version, toggles, thresholds, timestamp,
                "ahead".equals(scope)));
    }

    public static ParseResult<Query> parseQuery(RawRecord raw, ParseLimits limits) {
        Reader r = new Reader(limits.dimension());
        JsonNode root = r.root(raw.bytes(), limits);
        if (root == null) {
            return r.rejection();
        }
        String id = r.requiredText(root.get("id"), "id");
        AdapterKey key = r.key(root.get("key"));
        float[] embedding = r.requiredVector(root.get("embedding"), "embedding");
        long timestamp = r.requiredCount(root.get("timestamp"), "timestamp");
        if (r.failed()) {
            return r.rejection();
        }
        return ParseResult.parsed(new Query(id, key, embedding, timestamp));
    }

    /**
     * The reply to a query that was rejected for {@code reason}, when its id can be read (a
     * client waits on the id); its key and timestamp when they can be read too. Null when the
     * payload has no readable id, or is over the payload limit (it is not parsed again).
     */
    public static Response queryRejection(RawRecord raw, String reason, ParseLimits limits) {
        Reader r = new Reader(limits.dimension());
        JsonNode root = r.root(raw.bytes(), limits);
        if (root == null) {
            return null;
        }
        String id = r.requiredText(root.get("id"), "id");
        if (id == null) {
            return null;
        }
        Reader keyReader = new Reader(limits.dimension());
        AdapterKey key = keyReader.key(root.get("key"));
        JsonNode timestamp = root.get("timestamp");
        return Response.rejected(id, keyReader.failed() ? null : key, reason,
                timestamp != null && timestamp.canConvertToLong() && timestamp.asLong() >= 0 ? timestamp.asLong() : 0L);
    }

    /**
     * Reads the fields of one payload and keeps the first problem found. Reading goes on after a
     * problem (reads then return placeholders) because a later problem is either a consequence of
     * the first or no more useful to the producer than the first, and this keeps the field order
     * of the parse methods readable.
     */
    private static final class Reader {

        private final int dimension;
        private String problem;

        Reader(int dimension) {
            this.dimension = dimension;
        }

        boolean failed() {
            return problem != null;
        }

        <T> ParseResult<T> rejection() {
            return ParseResult.rejected(problem);
        }

        void reject(String path, String why) {
            if (problem == null) {
                problem = path + ": " + why;
            }
        }

        /** The payload's JSON object, or null with the problem recorded. */
        JsonNode root(byte[] bytes, ParseLimits limits) {
            if (bytes.length > limits.maxPayloadBytes()) {
                reject("payload", bytes.length + " bytes exceeds the " + limits.maxPayloadBytes() + "-byte limit");
                return null;
            }
            if (bytes.length == 0) {
                reject("payload", "empty");
                return null;
            }
            boolean framed = isSchemaRegistryFrame(bytes);
            if (framed && !limits.schemaRegistryFraming()) {
                problem = "framed record: a Schema Registry frame (magic byte 0, schema id " + schemaId(bytes)
                        + ") precedes the JSON; set sona.kafka.schema-registry-framing: true to read such records,"
                        + " or produce plain JSON";
                return null;
            }
            int offset = framed ? SCHEMA_REGISTRY_FRAME_BYTES : 0;
            JsonNode root;
            try (JsonParser parser = MAPPER.createParser(bytes, offset, bytes.length - offset)) {
                root = streamRoot(parser);
            } catch (IOException e) {
                problem = "malformed JSON: " + notJsonReason(bytes, offset, e);
                return null;
            }
            if (root == null || root.isMissingNode()) {
                reject("payload", "no JSON value");
                return null;
            }
            if (!root.isObject()) {
                reject("payload", "expected a JSON object, got " + typeOf(root));
                return null;
            }
            return root;
        }

        /**
         * The payload's value, read with Jackson's streaming parser: a top-level object field by
         * field, each field a tree as before except an array of a vector field ({@link
         * #VECTOR_FIELDS}), which is read straight into floats (no node per number) and held as a
         * {@link StreamedVector}. Anything else is read whole, as {@code readTree} would.
         */
        private JsonNode streamRoot(JsonParser parser) throws IOException {
            JsonToken token = parser.nextToken();
            if (token != JsonToken.START_OBJECT) {
                JsonNode value = token == null ? null : VALUE.readTree(parser);
                noTrailingTokens(parser);
                return value;
            }
            ObjectNode root = MAPPER.getNodeFactory().objectNode();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                if (parser.nextToken() == JsonToken.START_ARRAY && VECTOR_FIELDS.contains(name)) {
                    root.putPOJO(name, streamVector(parser));
                } else {
                    root.set(name, VALUE.readTree(parser));
                }
            }
            noTrailingTokens(parser);
            return root;
        }

        /** The numbers of the array the parser is at, checked as {@link #vector} checks an array node. */
        private StreamedVector streamVector(JsonParser parser) throws IOException {
            float[] values = new float[dimension];
            int count = 0;
            int firstBad = -1;
            String badWhy = null;
            JsonToken token;
            while ((token = parser.nextToken()) != JsonToken.END_ARRAY) {
                if (token == null) {
                    throw new com.fasterxml.jackson.core.JsonParseException(parser, "Unexpected end-of-input in an array");
                }
                boolean number = token == JsonToken.VALUE_NUMBER_FLOAT || token == JsonToken.VALUE_NUMBER_INT;
                double value = number ? parser.getDoubleValue() : Double.NaN;
                if (number && Double.isFinite(value) && !Float.isInfinite((float) value)) {
                    if (count < dimension) {
                        values[count] = (float) value;
                    }
                } else {
                    JsonNode element = VALUE.readTree(parser); // rare: read as a node for the same message
                    if (firstBad < 0) {
                        firstBad = count;
                        badWhy = floatProblem(element);
                    }
                }
                count++;
            }
            if (count != dimension) {
                return new StreamedVector(null, -1, "expected " + dimension + " values, got " + count);
            }
            return firstBad >= 0 ? new StreamedVector(null, firstBad, badWhy) : new StreamedVector(values, -1, null);
        }

        String requiredText(JsonNode node, String path) {
            if (node == null) {
                reject(path, "missing");
                return null;
            }
            return text(node, path, false);
        }

        /** A non-blank string, or the fallback when absent; "" is accepted only where the fallback is "". */
        String optionalText(JsonNode node, String path, String fallback) {
            return absent(node) ? fallback : text(node, path, "".equals(fallback));
        }

        private String text(JsonNode node, String path, boolean blankAllowed) {
            if (!node.isTextual()) {
                reject(path, "expected a string, got " + typeOf(node));
                return null;
            }
            String value = node.textValue();
            if (!blankAllowed && value.isBlank()) {
                reject(path, "must not be blank");
                return null;
            }
            if (!fitsEventFormat(value)) {
                reject(path, "too long (more than " + MAX_STRING_BYTES + " bytes)");
                return null;
            }
            int lone = loneSurrogate(value);
            if (lone >= 0) {
                // no UTF-8 form: written out it would become '?', and two keys could collide
                reject(path, String.format(Locale.ROOT, "lone UTF-16 surrogate \\u%04X at character %d",
                        (int) value.charAt(lone), lone));
                return null;
            }
            return value;
        }

        AdapterKey key(JsonNode node) {
            if (node == null) {
                reject("key", "missing");
                return null;
            }
            if (!node.isObject()) {
                reject("key", "expected an object, got " + typeOf(node));
                return null;
            }
            String tenant = keyPart(node.get("tenant"), "key.tenant");
            String persona = keyPart(node.get("persona"), "key.persona");
            String domain = keyPart(node.get("domain"), "key.domain");
            return tenant == null || persona == null || domain == null
                    ? null
                    : new AdapterKey(tenant, persona, domain);
        }

        private String keyPart(JsonNode node, String path) {
            String value = requiredText(node, path);
            if (value != null && value.indexOf('/') >= 0) {
                reject(path, "must not contain '/', which separates the parts of a key");
                return null;
            }
            return value;
        }

        <E extends Enum<E>> E choice(JsonNode node, String path, E[] values) {
            String name = requiredText(node, path);
            if (name == null) {
                return null;
            }
            for (E value : values) {
                if (value.name().equalsIgnoreCase(name)) {
                    return value;
                }
            }
            StringBuilder expected = new StringBuilder();
            for (E value : values) {
                expected.append(expected.length() == 0 ? "" : ", ").append(value.name().toLowerCase(Locale.ROOT));
            }
            reject(path, "unknown value " + quote(name) + " (expected one of " + expected + ")");
            return null;
        }

        long requiredCount(JsonNode node, String path) {
            if (node == null) {
                reject(path, "missing");
                return 0;
            }
            return count(node, path);
        }

        long optionalCount(JsonNode node, String path) {
            return absent(node) ? 0 : count(node, path);
        }

        /** A non-negative integer. */
        private long count(JsonNode node, String path) {
            if (!node.isNumber()) {
                reject(path, "expected a non-negative integer, got " + typeOf(node));
                return 0;
            }
            if (node.isFloatingPointNumber()) {
                double value = node.doubleValue();
                if (!Double.isFinite(value)) {
                    reject(path, nonFinite(value));
                    return 0;
                }
                if (!node.canConvertToExactIntegral()) {
                    reject(path, "expected an integer, got " + numberText(node));
                    return 0;
                }
            }
            if (!node.canConvertToLong()) {
                reject(path, numberText(node) + " is out of range");
                return 0;
            }
            long value = node.longValue();
            if (value < 0) {
                reject(path, "must not be negative, got " + numberText(node));
                return 0;
            }
            return value;
        }

        /** A finite number that fits a float; NaN (with the problem recorded) otherwise. */
        private float finiteFloat(JsonNode node, String path) {
            String floatProblem = floatProblem(node);
            if (floatProblem != null) {
                reject(path, floatProblem);
                return Float.NaN;
            }
            return (float) node.doubleValue();
        }

        private float unitInterval(JsonNode node, String path) {
            float value = finiteFloat(node, path);
            // Compared as written, so that 1.00000001 is rejected even though it rounds to 1f.
            if (!Float.isNaN(value) && !(node.doubleValue() >= 0 && node.doubleValue() <= 1)) {
                reject(path, "must be in [0, 1], got " + numberText(node));
            }
            return value;
        }

        float quality(JsonNode node, ExecutionMetrics metrics) {
            if (!absent(node)) {
                return unitInterval(node, "quality");
            }
            if (metrics != null) {
                return metrics.quality();
            }
            // Also reached when metrics were given but invalid; that problem was recorded first.
            reject("quality", "missing, and there are no metrics to compute it from");
            return 0f;
        }

        float weight(JsonNode node, SignalSource source) {
            if (absent(node)) {
                return source == null ? 0f : source.defaultWeight();
            }
            float value = finiteFloat(node, "weight");
            if (!Float.isNaN(value) && !(value > 0f)) {
                reject("weight", "must be greater than 0, got " + numberText(node));
            }
            return value;
        }

        ExecutionMetrics metrics(JsonNode node) {
            if (absent(node)) {
                return null;
            }
            if (!node.isObject()) {
                reject("metrics", "expected an object, got " + typeOf(node));
                return null;
            }
            long latencyUs = requiredCount(node.get("latency_us"), "metrics.latency_us");
            long planningUs = optionalCount(node.get("planning_us"), "metrics.planning_us");
            long executionUs = optionalCount(node.get("execution_us"), "metrics.execution_us");
            long rowsProcessed = optionalCount(node.get("rows_processed"), "metrics.rows_processed");
            long memoryBytes = requiredCount(node.get("memory_bytes"), "metrics.memory_bytes");
            JsonNode cache = node.get("cache_hit_rate");
            float cacheHitRate = absent(cache) ? 0f : unitInterval(cache, "metrics.cache_hit_rate");
            if (failed()) {
                return null;
            }
            return new ExecutionMetrics(latencyUs, planningUs, executionUs, rowsProcessed, memoryBytes, cacheHitRate);
        }

        void params(JsonNode node, Map<String, String> discrete, Map<String, Double> numeric) {
            if (absent(node)) {
                return;
            }
            if (!node.isObject()) {
                reject("params", "expected an object, got " + typeOf(node));
                return;
            }
            for (Map.Entry<String, JsonNode> param : node.properties()) {
                String name = param.getKey();
                JsonNode value = param.getValue();
                if (name.isBlank()) {
                    reject("params", "a parameter name is blank");
                } else if (!fitsEventFormat(name)) {
                    reject("params", "a parameter name is too long (more than " + MAX_STRING_BYTES + " bytes)");
                } else if (loneSurrogate(name) >= 0) {
                    reject("params", "a parameter name holds a lone UTF-16 surrogate");
                } else if (value.isTextual()) {
                    String text = text(value, paramPath(name), true);
                    if (text != null) {
                        discrete.put(name, text);
                    }
                } else if (value.isBoolean()) {
                    discrete.put(name, Boolean.toString(value.booleanValue()));
                } else if (value.isNumber()) {
                    double number = value.doubleValue();
                    if (Double.isFinite(number)) {
                        numeric.put(name, number);
                    } else {
                        reject(paramPath(name), nonFinite(number));
                    }
                } else {
                    reject(paramPath(name), "expected a string, number or boolean, got " + typeOf(value));
                }
            }
        }

        float[] requiredVector(JsonNode node, String path) {
            if (node == null) {
                reject(path, "missing");
                return null;
            }
            return vector(node, path);
        }

        float[] optionalVector(JsonNode node, String path) {
            return absent(node) ? null : vector(node, path);
        }

        /** An array of numbers or base64 of little-endian float32, of the expected dimension. */
        private float[] vector(JsonNode node, String path) {
            if (node instanceof POJONode pojo && pojo.getPojo() instanceof StreamedVector streamed) {
                if (streamed.problem() != null) {
                    reject(streamed.element() < 0 ? path : path + '[' + streamed.element() + ']', streamed.problem());
                }
                return streamed.values();
            }
            if (node.isTextual()) {
                return base64Vector(node.textValue(), path);
            }
            if (!node.isArray()) {
                reject(path, "expected an array of numbers or a base64 string, got " + typeOf(node));
                return null;
            }
            if (node.size() != dimension) {
                reject(path, "expected " + dimension + " values, got " + node.size());
                return null;
            }
            float[] values = new float[dimension];
            for (int i = 0; i < dimension; i++) {
                JsonNode element = node.get(i);
                String floatProblem = floatProblem(element);
                if (floatProblem != null) {
                    reject(path + '[' + i + ']', floatProblem);
                    return null;
                }
                values[i] = (float) element.doubleValue();
            }
            return values;
        }

        private float[] base64Vector(String text, String path) {
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                reject(path, "invalid base64: " + oneLine(e.getMessage()));
                return null;
            }
            if (bytes.length % Float.BYTES != 0) {
                reject(path, "base64 decodes to " + bytes.length + " bytes, not a whole number of float32 values");
                return null;
            }
            if (bytes.length / Float.BYTES != dimension) {
                reject(path, "expected " + dimension + " values, got " + bytes.length / Float.BYTES
                        + " (base64 float32)");
                return null;
            }
            float[] values = new float[dimension];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
            for (int i = 0; i < dimension; i++) {
                if (!Float.isFinite(values[i])) {
                    reject(path + '[' + i + ']', nonFinite(values[i]));
                    return null;
                }
            }
            return values;
        }

        void checkSignalFields(SignalType type, String trajectoryId, float[] target, float[] input) {
            String name = type.name().toLowerCase(Locale.ROOT);
            switch (type) {
                case MISTAKE, POSITIVE -> {
                    require(trajectoryId, "trajectory_id", "a " + name + " refers to a trajectory");
                    forbid(target, "target", "only correction and import signals carry a target");
                    forbid(input, "input", "only import signals carry an input");
                }
                case CORRECTION -> {
                    require(trajectoryId, "trajectory_id", "a correction refers to a trajectory");
                    require(target, "target", "a correction needs a target embedding");
                    forbid(input, "input", "only import signals carry an input; a correction's input is its"
                            + " trajectory's embedding");
                }
                case IMPORT -> {
                    require(target, "target", "an import needs a target embedding");
                    require(input, "input", "an import needs an input embedding");
                }
                default -> throw new IllegalStateException("unhandled signal type " + type);
            }
        }

        /** Governor toggles, or null when absent. */
        Map<String, Boolean> toggles(JsonNode node) {
            if (absent(node)) {
                return null;
            }
            if (!node.isObject()) {
                reject("toggles", "expected an object, got " + typeOf(node));
                return null;
            }
            Map<String, Boolean> toggles = new TreeMap<>();
            for (Map.Entry<String, JsonNode> toggle : node.properties()) {
                String name = toggle.getKey();
                JsonNode value = toggle.getValue();
                String path = "toggles." + truncate(name);
                if (name.isBlank()) {
                    reject("toggles", "a toggle name is blank");
                } else if (!fitsEventFormat(name)) {
                    reject("toggles", "a toggle name is too long (more than " + MAX_STRING_BYTES + " bytes)");
                } else if (name.indexOf(SETTING_SCOPE_SEPARATOR) >= 0) {
                    reject(path, "the name must not contain '" + SETTING_SCOPE_SEPARATOR
                            + "', which separates a setting from its key");
                } else if (!value.isBoolean()) {
                    reject(path, "expected a boolean, got " + typeOf(value));
                } else {
                    toggles.put(name, value.booleanValue());
                }
            }
            return toggles;
        }

        /** Gate thresholds by name, or null when absent. */
        Map<String, Double> thresholds(JsonNode node) {
            if (absent(node)) {
                return null;
            }
            if (!node.isObject()) {
                reject("thresholds", "expected an object, got " + typeOf(node));
                return null;
            }
            Map<String, Double> thresholds = new TreeMap<>();
            for (Map.Entry<String, JsonNode> threshold : node.properties()) {
                String name = threshold.getKey();
                JsonNode value = threshold.getValue();
                String path = "thresholds." + truncate(name);
                boolean known = Control.THRESHOLD_RETENTION.equals(name)
                        || Control.THRESHOLD_AUTO_ROLLBACK_QUALITY.equals(name);
                if (!known) {
                    reject(path, "unknown threshold (expected one of " + Control.THRESHOLD_RETENTION + ", "
                            + Control.THRESHOLD_AUTO_ROLLBACK_QUALITY + ")");
                } else if (!value.isNumber()) {
                    reject(path, "expected a number, got " + typeOf(value));
                } else if (!Double.isFinite(value.doubleValue())) {
                    reject(path, nonFinite(value.doubleValue()));
                } else {
                    thresholds.put(name, value.doubleValue());
                }
            }
            return thresholds;
        }

        /** Mirrors what the adapter gate accepts of each command, so that a useless command is a dead letter. */
        /**
         * A command for every key says so ({@code "scope": "all"}): one mutated command without
         * its key must not change every key. {@code "ahead"} pins a key the gate has not seen yet.
         */
        void checkControlScope(ControlCommand command, AdapterKey key, String scope) {
            if (scope == null) {
                return; // already rejected as a string
            }
            switch (scope) {
                case "" -> {
                    if (key == null) {
                        reject("key", "missing: a command for every key needs \"scope\": \"all\"");
                    }
                }
                case "all" -> {
                    if (key != null) {
                        reject("scope", "\"all\" with a key: leave out the key, or the scope");
                    }
                }
                case "key" -> {
                    if (key == null) {
                        reject("key", "missing for \"scope\": \"key\"");
                    }
                }
                case "ahead" -> {
                    if (command != ControlCommand.PIN || key == null) {
                        reject("scope", "\"ahead\" is for a pin of one key before its first event");
                    }
                }
                default -> reject("scope", "expected \"key\", \"all\" or \"ahead\", got \"" + truncate(scope) + "\"");
            }
        }

        void checkControlFields(ControlCommand command, AdapterKey key, AdapterKind kind, boolean versionGiven,
                long version, Map<String, Boolean> toggles, Map<String, Double> thresholds) {
            String name = command.name().toLowerCase(Locale.ROOT);
            switch (command) {
                case PROMOTE, ROLLBACK, PIN -> {
                    if (version > 0) {
                        require(kind, "kind", "a " + name + " of a specific version needs a kind: versions are"
                                + " numbered per key and kind");
                        if (command == ControlCommand.PIN) {
                            require(key, "key", "a pin of a specific version applies to one key");
                        }
                    }
                }
                case UNPIN, PAUSE_LEARNING, RESUME_LEARNING, SET_GOVERNOR, SET_THRESHOLDS -> {
                    forbid(kind, "kind", "only promote, rollback and pin name an adapter kind");
                    if (versionGiven) {
                        reject("version", "not allowed (only promote, rollback and pin name a version)");
                    }
                }
                default -> throw new IllegalStateException("unhandled control command " + command);
            }
            if (command == ControlCommand.SET_GOVERNOR) {
                requireEntries(toggles, "toggles", "set_governor needs at least one toggle");
            } else {
                forbid(toggles, "toggles", "only set_governor carries toggles");
            }
            if (command == ControlCommand.SET_THRESHOLDS) {
                requireEntries(thresholds, "thresholds", "set_thresholds needs at least one threshold");
            } else {
                forbid(thresholds, "thresholds", "only set_thresholds carries thresholds");
            }
        }

        private void requireEntries(Map<String, ?> values, String path, String why) {
            if (values == null) {
                reject(path, "missing (" + why + ")");
            } else if (values.isEmpty()) {
                reject(path, "empty (" + why + ")");
            }
        }

        private void require(Object value, String path, String why) {
            if (value == null) {
                reject(path, "missing (" + why + ")");
            }
        }

        private void forbid(Object value, String path, String why) {
            if (value != null) {
                reject(path, "not allowed (" + why + ")");
            }
        }
    }

    /** Fields that hold embeddings: their arrays are read without a tree. */
    private static final java.util.Set<String> VECTOR_FIELDS = java.util.Set.of("embedding", "target", "input");

    /**
     * A vector field's array as the streaming read found it: its values, or the first problem
     * ({@code element} is the index it concerns, or -1 for the array as a whole).
     */
    private record StreamedVector(float[] values, int element, String problem) {}

    /** What {@code DeserializationFeature.FAIL_ON_TRAILING_TOKENS} does for a tree, for the streaming read. */
    private static void noTrailingTokens(JsonParser parser) throws IOException {
        JsonToken trailing = parser.nextToken();
        if (trailing != null) {
            throw MismatchedInputException.from(parser, JsonNode.class, "Trailing token (of type " + trailing
                    + ") found after value (bound as `" + JsonNode.class.getName() + "`): not allowed as per"
                    + " `DeserializationFeature.FAIL_ON_TRAILING_TOKENS`");
        }
    }

    private static boolean absent(JsonNode node) {
        return node == null || node.isNull();
    }

    private static String typeOf(JsonNode node) {
        return node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    /** Why the node is not a finite number within the float32 range, or null when it is. */
    private static String floatProblem(JsonNode node) {
        if (!node.isNumber()) {
            return "expected a number, got " + typeOf(node);
        }
        double value = node.doubleValue();
        if (!Double.isFinite(value)) {
            return nonFinite(value);
        }
        // Rounding decides, not a comparison with Float.MAX_VALUE: 3.4028235E38, the shortest decimal
        // of Float.MAX_VALUE that float writers print, is a little above it and rounds back to it.
        if (Float.isInfinite((float) value)) {
            return numberText(node) + " is outside the float32 range";
        }
        return null;
    }

    private static String nonFinite(double value) {
        if (Double.isNaN(value)) {
            return "NaN is not allowed";
        }
        return (value > 0 ? "Infinity" : "-Infinity") + " is not allowed";
    }

    private static String numberText(JsonNode node) {
        return truncate(node.asText());
    }

    private static String paramPath(String name) {
        return "params." + truncate(name);
    }

    private static String quote(String value) {
        return '"' + truncate(value) + '"';
    }

    private static String truncate(String value) {
        return value.length() <= MAX_QUOTED_CHARS ? value : value.substring(0, MAX_QUOTED_CHARS) + "...";
    }

    /** Whether {@link java.io.DataOutput#writeUTF} can write the string (modified UTF-8 length). */
    /** The index of the first surrogate without its pair in {@code value}, or -1. */
    static int loneSurrogate(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    static boolean fitsEventFormat(String value) {
        if (value.length() <= MAX_STRING_BYTES / 3) {
            return true;
        }
        long bytes = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            bytes += c >= 1 && c <= 0x7F ? 1 : c <= 0x7FF ? 2 : 3;
        }
        return bytes <= MAX_STRING_BYTES;
    }

    /** The Confluent wire format's frame: magic byte 0, then the schema id as a big-endian int. */
    static final int SCHEMA_REGISTRY_FRAME_BYTES = 5;

    /** JSON never starts with a NUL byte, so a leading 0 followed by a schema id is a frame. */
    static boolean isSchemaRegistryFrame(byte[] bytes) {
        return bytes.length > SCHEMA_REGISTRY_FRAME_BYTES && bytes[0] == 0;
    }

    private static int schemaId(byte[] bytes) {
        return ByteBuffer.wrap(bytes, 1, 4).getInt();
    }

    /**
     * Why {@code bytes} (from {@code offset}) did not parse, named by what they are when that is
     * clearer than the JSON parser's view: bytes that are not UTF-8 at all.
     */
    private static String notJsonReason(byte[] bytes, int offset, IOException e) {
        int invalid = firstInvalidUtf8(bytes, offset);
        if (invalid >= 0) {
            return "invalid UTF-8 at byte " + invalid;
        }
        return describe(e);
    }

    /** The index of the first byte from {@code offset} on that breaks UTF-8, or -1 when they all are UTF-8. */
    static int firstInvalidUtf8(byte[] bytes, int offset) {
        java.nio.charset.CharsetDecoder decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes, offset, bytes.length - offset); // positions stay absolute
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(4096);
        while (true) {
            java.nio.charset.CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                return in.position();
            }
            if (result.isUnderflow()) {
                return -1;
            }
            out.clear(); // overflow: the decoded characters are not needed, only the verdict
        }
    }

    private static String describe(IOException e) {
        if (e instanceof JsonProcessingException jsonError) {
            String original = jsonError.getOriginalMessage();
            String message = oneLine(
                    original == null ? null : SOURCE_LOCATION.matcher(original).replaceAll("line $1, column $2"));
            JsonLocation location = jsonError.getLocation();
            if (location != null && location.getLineNr() > 0) {
                message += " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
            }
            return message;
        }
        return oneLine(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
    }

    /** The message on one line, cut to a readable length. */
    static String oneLine(String message) {
        if (message == null) {
            return "no detail";
        }
        String line = message.replaceAll("\\s+", " ").trim();
        return line.length() <= MAX_JSON_MESSAGE_CHARS ? line : line.substring(0, MAX_JSON_MESSAGE_CHARS) + "...";
    }
}
