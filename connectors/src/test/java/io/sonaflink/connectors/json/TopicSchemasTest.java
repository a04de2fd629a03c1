package io.sonaflink.connectors.json;

import io.sonaflink.operators.events.AdapterKey;
import io.sonaflink.operators.events.AdapterKind;
import io.sonaflink.operators.events.AdapterUpdate;
import io.sonaflink.operators.events.Control;
import io.sonaflink.operators.events.DeadLetter;
import io.sonaflink.operators.events.GateDecision;
import io.sonaflink.operators.events.GateDecisionType;
import io.sonaflink.operators.events.PatternSnapshot;
import io.sonaflink.operators.events.Query;
import io.sonaflink.operators.events.RawRecord;
import io.sonaflink.operators.events.Response;
import io.sonaflink.operators.events.SkillMap;
import io.sonaflink.operators.events.TrainingSignal;
import io.sonaflink.operators.events.Trajectory;
import io.sonaflink.operators.parse.EventParser;
import io.sonaflink.operators.parse.ParseLimits;
import io.sonaflink.operators.parse.ParseResult;
import io.sonaflink.operators.parse.Parser;
import io.sonaflink.state.bank.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaId;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The topic schemas in {@code conf/schemas} against the code they describe: every schema is a valid
 * draft 2020-12 schema, every example passes its schema and the parser, every output serde writes
 * what its schema says, and schema and parser agree on a table of valid and invalid events, so that
 * neither can drift from the other unnoticed.
 */
class TopicSchemasTest {

    /** Embedding dimension of the examples (small, for readability; see the schemas' README). */
    private static final int EXAMPLE_DIMENSION = 8;

    private static final ParseLimits LIMITS = ParseLimits.ofDimension(EXAMPLE_DIMENSION);

    private static final Path SCHEMAS = schemasDirectory();

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    private static final AdapterKey KEY = new AdapterKey("acme", "support-agent", "billing");

    private static final long NOW = 1_767_225_600_000L;

    /** The topics the job reads, with the parser of each. */
    enum InputTopic {
        TRAJECTORY("trajectory", (Parser<Trajectory>) EventParser::parseTrajectory),
        TRAINING_SIGNAL("training-signal", (Parser<TrainingSignal>) EventParser::parseSignal),
        CONTROL("control", (Parser<Control>) EventParser::parseControl),
        QUERY("query", (Parser<Query>) EventParser::parseQuery);

        final String schemaName;
        final Parser<?> parser;

        InputTopic(String schemaName, Parser<?> parser) {
            this.schemaName = schemaName;
            this.parser = parser;
        }
    }

    private static final List<String> OUTPUT_SCHEMAS =
            List.of("adapter-update", "pattern-snapshot", "skill-map", "dead-letter", "gate-decision", "response");

    private static final Map<String, JsonSchema> LOADED = new LinkedHashMap<>();

    // ---- the schema files ----

    @Test
    void thereIsOneSchemaPerTopicAndNoOther() throws IOException {
        Set<String> expected = new TreeSet<>(OUTPUT_SCHEMAS);
        for (InputTopic topic : InputTopic.values()) {
            expected.add(topic.schemaName);
        }
        Set<String> present;
        try (Stream<Path> files = Files.list(SCHEMAS)) {
            present = files.map(p -> p.getFileName().toString())
                    .filter(name -> name.endsWith(".json"))
                    .map(name -> name.substring(0, name.length() - ".schema.json".length()))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        assertThat(present).isEqualTo(expected);
    }

    @ParameterizedTest
    @MethodSource("schemaNames")
    void everySchemaIsAValidDraft202012Schema(String name) {
        JsonNode schema = read(SCHEMAS.resolve(name + ".schema.json"));
        JsonSchema metaSchema = FACTORY.getSchema(SchemaLocation.of(SchemaId.V202012));

        assertThat(messages(metaSchema.validate(schema))).as(name).isEmpty();
        assertThat(schema.get("$schema").asText()).isEqualTo(SchemaId.V202012);
        assertThat(schema.get("$id").asText()).isEqualTo("urn:sona-flink:schema:" + name);
        assertThat(schema.get("title").asText()).isNotBlank();
        assertThat(schema.get("description").asText()).isNotBlank();
        assertThat(schema.get("type").asText()).isEqualTo("object");
        assertRequiredFieldsAreDeclared(name, schema);
        schema(name).initializeValidators(); // resolves every $ref now, so that a dangling one fails here
    }

    /** Each schema stands alone, so the definitions they share are copies, which must not drift apart. */
    @Test
    void sharedDefinitionsAreTheSameInEverySchema() {
        Map<String, JsonNode> first = new LinkedHashMap<>();
        schemaNames().forEach(name -> read(SCHEMAS.resolve(name + ".schema.json")).path("$defs").properties()
                .forEach(def -> {
                    // inputs and outputs each share a "key"; they differ (outputs do not restrict the parts)
                    boolean outputKey = def.getKey().equals("key") && OUTPUT_SCHEMAS.contains(name);
                    String id = outputKey ? "output key" : def.getKey();
                    JsonNode seen = first.putIfAbsent(id, def.getValue());
                    if (seen != null) {
                        assertThat(def.getValue()).as("%s in %s", id, name).isEqualTo(seen);
                    }
                }));
        assertThat(first).containsKeys("nonBlankString", "key", "keyPart", "embedding", "float32", "output key");
    }

    /** A name listed as required but not declared in properties is a typo the meta-schema cannot see. */
    private static void assertRequiredFieldsAreDeclared(String where, JsonNode node) {
        if (node.isObject()) {
            JsonNode required = node.get("required");
            JsonNode properties = node.get("properties");
            if (required != null && properties != null && "object".equals(node.path("type").asText())) {
                for (JsonNode field : required) {
                    assertThat(properties.has(field.asText())).as(where + " requires " + field).isTrue();
                }
            }
            node.properties().forEach(e -> assertRequiredFieldsAreDeclared(where + "/" + e.getKey(), e.getValue()));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                assertRequiredFieldsAreDeclared(where + "/" + i, node.get(i));
            }
        }
    }

    @Test
    void theNonBlankPatternMeansWhatStringIsBlankMeans() {
        for (InputTopic topic : InputTopic.values()) {
            String regex = read(SCHEMAS.resolve(topic.schemaName + ".schema.json"))
                    .at("/$defs/nonBlankString/pattern").asText();
            java.util.regex.Pattern nonBlank = java.util.regex.Pattern.compile(regex);
            for (char c = 0; c < Character.MAX_VALUE; c++) {
                String s = String.valueOf(c);
                assertThat(nonBlank.matcher(s).find()).as("%s: U+%04X", topic, (int) c).isEqualTo(!s.isBlank());
            }
        }
    }

    // ---- examples ----

    @Test
    void everyInputTopicHasExamplesAndEveryExampleATopic() throws IOException {
        Set<String> inputs = Stream.of(InputTopic.values()).map(t -> t.schemaName).collect(Collectors.toSet());
        try (Stream<Path> dirs = Files.list(SCHEMAS.resolve("examples"))) {
            assertThat(dirs.map(d -> d.getFileName().toString())).containsExactlyInAnyOrderElementsOf(inputs);
        }
        for (InputTopic topic : InputTopic.values()) {
            assertThat(examples(topic)).as(topic.schemaName).hasSizeGreaterThanOrEqualTo(3);
        }
        assertThat(examples(InputTopic.TRAJECTORY)).as("a trajectory with a base64 embedding")
                .anySatisfy(p -> assertThat(read(p).get("embedding").isTextual()).isTrue());
        assertThat(examples(InputTopic.QUERY)).as("a query with a base64 embedding")
                .anySatisfy(p -> assertThat(read(p).get("embedding").isTextual()).isTrue());
    }

    @ParameterizedTest
    @MethodSource("examples")
    void everyExamplePassesItsSchemaAndTheParser(InputTopic topic, Path example) throws IOException {
        byte[] bytes = Files.readAllBytes(example);

        assertThat(schemaProblems(topic.schemaName, bytes)).as(example.toString()).isEmpty();
        assertThat(parse(topic, bytes)).as(example.toString()).isInstanceOf(ParseResult.Parsed.class);
    }

    @Test
    void theBase64ExamplesHoldTheSameFloatsAsTheArrayExamples() throws IOException {
        Trajectory full = parsed(InputTopic.TRAJECTORY, "full.json");
        TrainingSignal imported = parsed(InputTopic.TRAINING_SIGNAL, "import-base64.json");

        assertThat(imported.input()).containsExactly(full.embedding());
        assertThat(imported.target()).containsExactly(full.target());

        Query fromArray = parsed(InputTopic.QUERY, "billing.json");
        Query fromBase64 = parsed(InputTopic.QUERY, "base64-embedding.json");
        assertThat(fromArray.embedding()).containsExactly(full.embedding());
        assertThat(fromBase64.embedding()).containsExactly(full.embedding());
    }

    // ---- outputs ----

    @Test
    void adapterUpdates() {
        float[][] weights = new float[2 * 2 * 1][EXAMPLE_DIMENSION];
        for (int row = 0; row < weights.length; row++) {
            for (int i = 0; i < EXAMPLE_DIMENSION; i++) {
                weights[row][i] = row < 2 ? (row + 1) * 0.01f * (i - 4) : 0.002f * i;
            }
        }
        Map<String, Double> metrics = Map.of(AdapterUpdate.METRIC_EVENTS_SEEN, 340.0, AdapterUpdate.METRIC_MEAN_LOSS,
                0.0213, AdapterUpdate.METRIC_RECENT_CORRECTIONS, 12.0, AdapterUpdate.METRIC_MEAN_QUALITY, Double.NaN);
        AdapterUpdate update = new AdapterUpdate(KEY, AdapterKind.MICRO, 7, 6, 2, 1, 2f, weights, metrics, NOW);

        assertOutputMatches("adapter-update", OutputJson.adapterUpdate(update));
        assertOutputMatches("adapter-update", OutputJson.adapterUpdate(
                new AdapterUpdate(KEY, AdapterKind.BASE, 1, 0, 1, 1, 8f, new float[2][1], Map.of(), 0)));
    }

    @Test
    void patternSnapshots() {
        Pattern checkout = new Pattern(1, new float[] {0.12f, -0.5f, 0.75f, 0.06f, -0.25f, 0.37f, -0.87f, 0.5f}, 42,
                0.81, 0.63, "hnsw-rerank", Map.of("strategy", "greedy", "rerank", "true"),
                Map.of("ef_search", 72.5), 3, 9);
        Pattern refunds = new Pattern(2, new float[EXAMPLE_DIMENSION], 1, 0.4, 0.0, "", Map.of(), Map.of(), 9, 9);

        assertOutputMatches("pattern-snapshot",
                OutputJson.patternSnapshot(new PatternSnapshot(KEY, 9, NOW, List.of(checkout, refunds))));
        assertOutputMatches("pattern-snapshot",
                OutputJson.patternSnapshot(new PatternSnapshot(KEY, 1, NOW, List.of())));
    }

    @Test
    void skillMaps() {
        assertOutputMatches("skill-map", OutputJson.skillMap(
                new SkillMap(KEY, 9, NOW, 0.72, Map.of("hnsw-rerank", 0.81, "flat", Double.NaN), 2, 43)));
        assertOutputMatches("skill-map", OutputJson.skillMap(new SkillMap(KEY, 1, NOW, 0, Map.of(), 0, 0)));
    }

    @Test
    void deadLetters() {
        byte[] notUtf8 = {'{', '"', 'i', 'd', (byte) 0xC3};
        assertOutputMatches("dead-letter", OutputJson.deadLetter(
                new DeadLetter(notUtf8, "trajectories", 2, 41, "malformed JSON: Invalid UTF-8 middle byte")));
        for (int length = 0; length < 4; length++) {
            assertOutputMatches("dead-letter", OutputJson.deadLetter(
                    new DeadLetter(new byte[length], "", -1, -1, "payload: empty")));
        }
    }

    @ParameterizedTest
    @EnumSource(GateDecisionType.class)
    void gateDecisions(GateDecisionType type) {
        assertOutputMatches("gate-decision", OutputJson.gateDecision(new GateDecision(KEY, AdapterKind.BASE, 4, type,
                type == GateDecisionType.PROMOTED ? 5 : 0, "retention 0.97 >= 0.95", 0.97, "ctl-0001", NOW,
                Map.of("recent.examples", 40.0, "recent.retention", 0.97, "task1.candidateLoss", 0.0123))));
        assertOutputMatches("gate-decision", OutputJson.gateDecision(
                new GateDecision(null, null, 0, type, 0, "paused every key", Double.NaN, null, NOW)));
    }

    @Test
    void responses() {
        float[] adapted = {0.14f, -0.48f, 0.77f, 0.05f, -0.26f, 0.39f, -0.86f, 0.51f};
        assertOutputMatches("response", OutputJson.response(new Response("qry-5c01", KEY, 7, 2, adapted, true, 1,
                "hnsw-rerank", Map.of("strategy", "greedy", "rerank", "true"), Map.of("ef_search", 72.5), 0.81f,
                0.93f, NOW)));
        assertOutputMatches("response", OutputJson.response(new Response("qry-5c02", KEY, 0, 0, adapted, false, 0,
                "flat", Map.of(), Map.of("top_k", 10.0), 0.62f, 0f, NOW)));
        assertOutputMatches("response", OutputJson.response(new Response("qry-5c03", KEY, 0, 0,
                new float[EXAMPLE_DIMENSION], false, 0, "", Map.of(), Map.of(), Float.NaN, 0f, 0)));
        assertOutputMatches("response", OutputJson.response(
                Response.rejected("qry-5c04", KEY, "embedding: expected 256 values, got 1", NOW)));
        assertOutputMatches("response", OutputJson.response(Response.rejected("qry-5c05", null, "key: missing", 0)));
        String answer = new String(OutputJson.response(new Response("q", KEY, 1, 1, new float[1], true, 1, "r",
                Map.of(), Map.of(), 1f, 1f, NOW)), StandardCharsets.UTF_8);
        String keyless = answer.replaceFirst("\\{\"tenant\"[^}]*}", "null");
        assertThat(keyless).contains("\"key\":null");
        assertThat(schemaProblems("response", keyless.getBytes(StandardCharsets.UTF_8))).as("an answer has a key")
                .isNotEmpty();
        assertThat(schemaProblems("response", answer.replace("\"timestamp\"", "\"error\":\"x\",\"timestamp\"")
                .getBytes(StandardCharsets.UTF_8))).as("an error is not an answer").isNotEmpty();
    }

    /** With {@code additionalProperties: false}, an undeclared field fails; this catches the opposite. */
    @Test
    void outputSchemasDeclareNoFieldTheSerdeNeverWrites() {
        Map<String, byte[]> fullest = Map.of(
                "adapter-update", OutputJson.adapterUpdate(new AdapterUpdate(KEY, AdapterKind.BASE, 1, 0, 1, 1, 8f,
                        new float[2][1], Map.of(), 0)),
                "pattern-snapshot", OutputJson.patternSnapshot(new PatternSnapshot(KEY, 1, NOW,
                        List.of(new Pattern(1, new float[1], 1, 0.5, 0, "", Map.of(), Map.of(), 1, 1)))),
                "skill-map", OutputJson.skillMap(new SkillMap(KEY, 1, NOW, 0, Map.of(), 0, 0)),
                "dead-letter", OutputJson.deadLetter(new DeadLetter(new byte[1], "", -1, -1, "x")),
                "gate-decision", OutputJson.gateDecision(new GateDecision(KEY, AdapterKind.BASE, 1,
                        GateDecisionType.PROMOTED, 1, "x", 1.0, "c", NOW, Map.of("recent.examples", 1.0))),
                "response", OutputJson.response(new Response("q", KEY, 1, 1, new float[1], true, 1, "r", Map.of(),
                        Map.of(), 1f, 1f, NOW)));
        for (String name : OUTPUT_SCHEMAS) {
            JsonNode schema = read(SCHEMAS.resolve(name + ".schema.json"));
            JsonNode output = readTree(fullest.get(name));
            Set<String> written = new TreeSet<>(fieldNames(output));
            if (name.equals("response")) {
                written.addAll(fieldNames(readTree(OutputJson.response(Response.rejected("q", KEY, "x", NOW)))));
            }
            assertThat(written).as(name).isEqualTo(fieldNames(schema.get("properties")));
            if (output.has("key")) {
                assertThat(fieldNames(output.get("key"))).as(name + " key")
                        .isEqualTo(fieldNames(schema.at("/$defs/key/properties")));
            }
        }
        JsonNode pattern = readTree(fullest.get("pattern-snapshot")).get("patterns").get(0);
        assertThat(fieldNames(pattern)).isEqualTo(fieldNames(
                read(SCHEMAS.resolve("pattern-snapshot.schema.json")).at("/$defs/pattern/properties")));
    }

    private static void assertOutputMatches(String name, byte[] output) {
        assertThat(schemaProblems(name, output)).as(name + ": " + new String(output, StandardCharsets.UTF_8))
                .isEmpty();
    }

    // ---- schema and parser agree ----

    /** An event and whether it is valid; each case is checked against both the schema and the parser. */
    record Case(InputTopic topic, String description, String json, boolean valid) {
        @Override
        public String toString() {
            return topic.schemaName + ": " + description;
        }
    }

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        InputTopic t = InputTopic.TRAJECTORY;
        invalid(cases, t, "full.json", "missing id", n -> n.remove("id"));
        invalid(cases, t, "full.json", "id of the wrong type", n -> n.put("id", 7));
        invalid(cases, t, "full.json", "blank id", n -> n.put("id", " \t"));
        invalid(cases, t, "full.json", "id of an em space", n -> n.put("id", "\u2003"));
        valid(cases, t, "full.json", "id of a no-break space, which is not whitespace", n -> n.put("id", "\u00a0"));
        invalid(cases, t, "full.json", "missing key", n -> n.remove("key"));
        invalid(cases, t, "full.json", "null key", n -> n.putNull("key"));
        invalid(cases, t, "full.json", "key as a string", n -> n.put("key", "acme/support-agent/billing"));
        invalid(cases, t, "full.json", "key without tenant", n -> n.withObjectProperty("key").remove("tenant"));
        invalid(cases, t, "full.json", "key part with '/'", n -> n.withObjectProperty("key").put("domain", "a/b"));
        invalid(cases, t, "full.json", "blank key part", n -> n.withObjectProperty("key").put("persona", ""));
        invalid(cases, t, "full.json", "missing timestamp", n -> n.remove("timestamp"));
        invalid(cases, t, "full.json", "negative timestamp", n -> n.put("timestamp", -1));
        invalid(cases, t, "full.json", "fractional timestamp", n -> n.put("timestamp", 1.5));
        invalid(cases, t, "full.json", "timestamp as a string", n -> n.put("timestamp", "1767225600000"));
        invalid(cases, t, "full.json", "timestamp beyond 64 bits",
                n -> n.put("timestamp", new java.math.BigInteger("9223372036854775808")));
        valid(cases, t, "full.json", "timestamp with an exponent", n -> n.put("timestamp", 1.7e12));
        valid(cases, t, "full.json", "timestamp written as 1767225600000.0", n -> n.put("timestamp", 1767225600000.0));
        invalid(cases, t, "full.json", "missing embedding", n -> n.remove("embedding"));
        invalid(cases, t, "full.json", "embedding as an object", n -> n.putObject("embedding"));
        invalid(cases, t, "full.json", "embedding with a string element",
                n -> n.withArrayProperty("embedding").set(2, JSON.getNodeFactory().textNode("0.5")));
        invalid(cases, t, "full.json", "embedding with a null element",
                n -> n.withArrayProperty("embedding").set(0, JSON.getNodeFactory().nullNode()));
        invalid(cases, t, "full.json", "embedding beyond float32",
                n -> n.withArrayProperty("embedding").set(5, JSON.getNodeFactory().numberNode(1e39)));
        invalid(cases, t, "full.json", "empty embedding", n -> n.putArray("embedding"));
        invalid(cases, t, "full.json", "embedding not in base64", n -> n.put("embedding", "not*base64"));
        invalid(cases, t, "full.json", "base64 with a line break",
                n -> n.put("embedding", base64(embedding()).substring(0, 8) + "\n" + base64(embedding()).substring(8)));
        invalid(cases, t, "full.json", "base64 of 5 bytes", n -> n.put("embedding", "AAAAAAA="));
        invalid(cases, t, "full.json", "base64 with one '=' too few", n -> n.put("embedding",
                base64(new float[] {1f}).replace("==", "=")));
        invalid(cases, t, "full.json", "URL-safe base64", n -> n.put("embedding", "-_-_-_-_-_-_-_-_"));
        invalid(cases, t, "full.json", "empty base64", n -> n.put("embedding", ""));
        valid(cases, t, "full.json", "base64 without padding",
                n -> n.put("embedding", base64(embedding()).replace("=", "")));
        invalid(cases, t, "full.json", "quality above 1", n -> n.put("quality", 1.5));
        invalid(cases, t, "full.json", "quality as a string", n -> n.put("quality", "high"));
        invalid(cases, t, "full.json", "neither quality nor metrics", n -> {
            n.remove("quality");
            n.remove("metrics");
        });
        invalid(cases, t, "full.json", "null quality and null metrics", n -> {
            n.putNull("quality");
            n.putNull("metrics");
        });
        valid(cases, t, "full.json", "null quality with metrics", n -> n.putNull("quality"));
        invalid(cases, t, "full.json", "metrics without latency",
                n -> n.withObjectProperty("metrics").remove("latency_us"));
        invalid(cases, t, "full.json", "metrics with null memory",
                n -> n.withObjectProperty("metrics").putNull("memory_bytes"));
        invalid(cases, t, "full.json", "cache hit rate above 1",
                n -> n.withObjectProperty("metrics").put("cache_hit_rate", 1.2));
        invalid(cases, t, "full.json", "negative rows", n -> n.withObjectProperty("metrics").put("rows_processed", -1));
        valid(cases, t, "full.json", "null optional metrics", n -> {
            n.withObjectProperty("metrics").putNull("planning_us");
            n.withObjectProperty("metrics").putNull("cache_hit_rate");
        });
        invalid(cases, t, "full.json", "metrics as a number", n -> n.put("metrics", 3));
        invalid(cases, t, "full.json", "params as a string", n -> n.put("params", "ef_search=64"));
        invalid(cases, t, "full.json", "param of an object", n -> n.withObjectProperty("params").putObject("x"));
        invalid(cases, t, "full.json", "null param", n -> n.withObjectProperty("params").putNull("strategy"));
        invalid(cases, t, "full.json", "blank param name", n -> n.withObjectProperty("params").put(" ", 1));
        valid(cases, t, "full.json", "empty string param", n -> n.withObjectProperty("params").put("hint", ""));
        invalid(cases, t, "full.json", "route as a number", n -> n.put("route", 3));
        valid(cases, t, "full.json", "empty route", n -> n.put("route", ""));
        invalid(cases, t, "full.json", "target as a number", n -> n.put("target", 0.5));
        valid(cases, t, "full.json", "null target and params", n -> {
            n.putNull("target");
            n.putNull("params");
        });
        valid(cases, t, "full.json", "unknown fields", n -> n.putObject("steps").put("reward", 0.4));
        cases.add(new Case(t, "not an object", "[1, 2]", false));
        cases.add(new Case(t, "malformed JSON", "{\"id\": ", false));

        InputTopic s = InputTopic.TRAINING_SIGNAL;
        invalid(cases, s, "correction.json", "missing id", n -> n.remove("id"));
        invalid(cases, s, "correction.json", "unknown type", n -> n.put("type", "praise"));
        invalid(cases, s, "correction.json", "unknown source", n -> n.put("source", "robot"));
        invalid(cases, s, "correction.json", "missing source", n -> n.remove("source"));
        invalid(cases, s, "correction.json", "type of the wrong type", n -> n.put("type", 1));
        invalid(cases, s, "correction.json", "correction without target", n -> n.remove("target"));
        invalid(cases, s, "correction.json", "correction with null target", n -> n.putNull("target"));
        invalid(cases, s, "correction.json", "correction without trajectory", n -> n.remove("trajectory_id"));
        invalid(cases, s, "correction.json", "correction with an input", n -> n.set("input", n.get("target")));
        valid(cases, s, "correction.json", "correction with a null input", n -> n.putNull("input"));
        invalid(cases, s, "mistake.json", "mistake with a target", n -> n.put("target", base64(embedding())));
        invalid(cases, s, "mistake.json", "mistake without trajectory", n -> n.putNull("trajectory_id"));
        invalid(cases, s, "mistake.json", "blank trajectory id", n -> n.put("trajectory_id", ""));
        invalid(cases, s, "import-base64.json", "import without input", n -> n.remove("input"));
        valid(cases, s, "import-base64.json", "import with a trajectory", n -> n.put("trajectory_id", "traj-1"));
        invalid(cases, s, "positive-weighted.json", "zero weight", n -> n.put("weight", 0));
        invalid(cases, s, "positive-weighted.json", "negative weight", n -> n.put("weight", -1.5));
        invalid(cases, s, "positive-weighted.json", "weight as a string", n -> n.put("weight", "0.4"));
        valid(cases, s, "positive-weighted.json", "null weight", n -> n.putNull("weight"));
        invalid(cases, s, "positive-weighted.json", "positive with an input",
                n -> n.set("input", JSON.valueToTree(embedding())));

        InputTopic c = InputTopic.CONTROL;
        invalid(cases, c, "promote-challenger.json", "missing id", n -> n.remove("id"));
        invalid(cases, c, "promote-challenger.json", "id of the wrong type", n -> n.put("id", 1));
        invalid(cases, c, "promote-challenger.json", "missing command", n -> n.remove("command"));
        invalid(cases, c, "promote-challenger.json", "unknown command", n -> n.put("command", "demote"));
        invalid(cases, c, "promote-challenger.json", "command of the wrong type", n -> n.put("command", true));
        invalid(cases, c, "promote-challenger.json", "missing timestamp", n -> n.remove("timestamp"));
        invalid(cases, c, "promote-challenger.json", "unknown kind", n -> n.put("kind", "lora"));
        invalid(cases, c, "promote-challenger.json", "negative version", n -> n.put("version", -1));
        invalid(cases, c, "promote-challenger.json", "fractional version", n -> n.put("version", 2.5));
        invalid(cases, c, "promote-challenger.json", "a version without a kind", n -> n.remove("kind"));
        valid(cases, c, "promote-challenger.json", "version 0 without a kind", n -> {
            n.putNull("kind");
            n.put("version", 0);
        });
        valid(cases, c, "promote-challenger.json", "version 12.0 with a kind", n -> n.put("version", 12.0));
        invalid(cases, c, "promote-challenger.json", "key part with '/'",
                n -> n.withObjectProperty("key").put("tenant", "acme/eu"));
        invalid(cases, c, "promote-challenger.json", "key as a string", n -> n.put("key", "acme"));
        invalid(cases, c, "promote-challenger.json", "null key without a scope", n -> n.putNull("key"));
        valid(cases, c, "promote-challenger.json", "null key for every key", n -> n.putNull("key").put("scope", "all"));
        invalid(cases, c, "promote-challenger.json", "every key with a key", n -> n.put("scope", "all"));
        invalid(cases, c, "promote-challenger.json", "a promote ahead", n -> n.put("scope", "ahead"));
        valid(cases, c, "pin-version.json", "a pin ahead of a key's first event", n -> n.put("scope", "ahead"));
        invalid(cases, c, "pin-version.json", "an unknown scope", n -> n.put("scope", "everything"));
        invalid(cases, c, "promote-challenger.json", "promote with toggles",
                n -> n.putObject("toggles").put("cost_cap", true));
        invalid(cases, c, "rollback-every-key.json", "rollback of a version without a kind", n -> n.put("version", 3));
        valid(cases, c, "rollback-every-key.json", "rollback of a version with a kind", n -> {
            n.put("version", 3);
            n.put("kind", "base");
        });
        invalid(cases, c, "pin-version.json", "pin of a version without a key", n -> n.remove("key"));
        invalid(cases, c, "pin-version.json", "pin of a version with a null kind", n -> n.putNull("kind"));
        valid(cases, c, "pin-version.json", "pin of the champion of every key", n -> {
            n.remove("key");
            n.remove("kind");
            n.remove("version");
            n.put("scope", "all");
        });
        invalid(cases, c, "pin-version.json", "pin of the champion of every key without the scope", n -> {
            n.remove("key");
            n.remove("kind");
            n.remove("version");
        });
        invalid(cases, c, "pause-learning.json", "pause with a kind", n -> n.put("kind", "micro"));
        invalid(cases, c, "pause-learning.json", "pause with version 0", n -> n.put("version", 0));
        valid(cases, c, "pause-learning.json", "pause with null kind and version", n -> {
            n.putNull("kind");
            n.putNull("version");
        });
        invalid(cases, c, "pause-learning.json", "pause with thresholds",
                n -> n.putObject("thresholds").put("retention", 0.9));
        invalid(cases, c, "set-governor.json", "governor without toggles", n -> n.remove("toggles"));
        invalid(cases, c, "set-governor.json", "governor with null toggles", n -> n.putNull("toggles"));
        invalid(cases, c, "set-governor.json", "governor with no toggle", n -> n.putObject("toggles"));
        invalid(cases, c, "set-governor.json", "toggle of a string",
                n -> n.withObjectProperty("toggles").put("cost_cap", "on"));
        invalid(cases, c, "set-governor.json", "toggle name with '@'",
                n -> n.withObjectProperty("toggles").put("cost_cap@eu", true));
        invalid(cases, c, "set-governor.json", "blank toggle name", n -> n.withObjectProperty("toggles").put("", true));
        invalid(cases, c, "set-governor.json", "toggles as an array", n -> n.putArray("toggles").add(true));
        invalid(cases, c, "set-thresholds.json", "unknown threshold",
                n -> n.withObjectProperty("thresholds").put("minQuality", 0.5));
        invalid(cases, c, "set-thresholds.json", "threshold of a string",
                n -> n.withObjectProperty("thresholds").put("retention", "0.9"));
        invalid(cases, c, "set-thresholds.json", "no threshold", n -> n.putObject("thresholds"));
        invalid(cases, c, "set-thresholds.json", "thresholds and toggles",
                n -> n.putObject("toggles").put("cost_cap", true));
        valid(cases, c, "set-thresholds.json", "an out-of-range threshold, which the gate judges",
                n -> n.withObjectProperty("thresholds").put("autoRollbackQuality", 1.5));
        valid(cases, c, "set-thresholds.json", "unknown fields", n -> n.put("operator", "alice"));

        InputTopic q = InputTopic.QUERY;
        invalid(cases, q, "billing.json", "missing id", n -> n.remove("id"));
        invalid(cases, q, "billing.json", "null id", n -> n.putNull("id"));
        invalid(cases, q, "billing.json", "id of the wrong type", n -> n.put("id", 7));
        invalid(cases, q, "billing.json", "blank id", n -> n.put("id", " \t"));
        valid(cases, q, "billing.json", "id of a no-break space, which is not whitespace", n -> n.put("id", "\u00a0"));
        invalid(cases, q, "billing.json", "missing key", n -> n.remove("key"));
        invalid(cases, q, "billing.json", "null key", n -> n.putNull("key"));
        invalid(cases, q, "billing.json", "key as a string", n -> n.put("key", "acme/support-agent/billing"));
        invalid(cases, q, "billing.json", "key without domain", n -> n.withObjectProperty("key").remove("domain"));
        invalid(cases, q, "billing.json", "key part with '/'", n -> n.withObjectProperty("key").put("tenant", "a/b"));
        invalid(cases, q, "billing.json", "blank key part", n -> n.withObjectProperty("key").put("persona", ""));
        invalid(cases, q, "billing.json", "key part of the wrong type",
                n -> n.withObjectProperty("key").put("persona", 3));
        valid(cases, q, "billing.json", "unknown key fields", n -> n.withObjectProperty("key").put("region", "eu"));
        invalid(cases, q, "billing.json", "missing embedding", n -> n.remove("embedding"));
        invalid(cases, q, "billing.json", "null embedding", n -> n.putNull("embedding"));
        invalid(cases, q, "billing.json", "embedding as a number", n -> n.put("embedding", 0.5));
        invalid(cases, q, "billing.json", "embedding with a string element",
                n -> n.withArrayProperty("embedding").set(2, JSON.getNodeFactory().textNode("0.5")));
        invalid(cases, q, "billing.json", "embedding beyond float32",
                n -> n.withArrayProperty("embedding").set(5, JSON.getNodeFactory().numberNode(-1e39)));
        invalid(cases, q, "billing.json", "empty embedding", n -> n.putArray("embedding"));
        invalid(cases, q, "base64-embedding.json", "embedding not in base64", n -> n.put("embedding", "not*base64"));
        invalid(cases, q, "base64-embedding.json", "base64 of 5 bytes", n -> n.put("embedding", "AAAAAAA="));
        valid(cases, q, "base64-embedding.json", "base64 without padding",
                n -> n.put("embedding", n.get("embedding").asText().replace("=", "")));
        invalid(cases, q, "billing.json", "missing timestamp", n -> n.remove("timestamp"));
        invalid(cases, q, "billing.json", "null timestamp", n -> n.putNull("timestamp"));
        invalid(cases, q, "billing.json", "negative timestamp", n -> n.put("timestamp", -1));
        invalid(cases, q, "billing.json", "fractional timestamp", n -> n.put("timestamp", 1.5));
        invalid(cases, q, "billing.json", "timestamp as a string", n -> n.put("timestamp", "1767225610000"));
        valid(cases, q, "billing.json", "timestamp with an exponent", n -> n.put("timestamp", 1.7e12));
        valid(cases, q, "forecasting.json", "unknown fields", n -> {
            n.put("route", "flat");
            n.putObject("trace").put("span", "7d2e");
            n.putNull("target");
        });
        cases.add(new Case(q, "not an object", "\"qry-5c01\"", false));
        cases.add(new Case(q, "malformed JSON", "{\"id\": \"qry-5c01\",", false));
        return cases.stream();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void schemaAndParserAgree(Case testCase) {
        byte[] bytes = testCase.json().getBytes(StandardCharsets.UTF_8);
        ParseResult<?> parsed = parse(testCase.topic(), bytes);

        assertThat(parsed instanceof ParseResult.Parsed).as("parser accepts %s: %s", testCase, parsed)
                .isEqualTo(testCase.valid());
        if (!isJson(bytes)) {
            return; // malformed JSON: no schema validator reads it either
        }
        assertThat(schemaProblems(testCase.topic().schemaName, bytes)).as("schema problems of %s", testCase)
                .satisfies(problems -> assertThat(problems.isEmpty()).isEqualTo(testCase.valid()));
    }

    /**
     * What the schemas knowingly leave to the job: the dimension (configuration), non-finite values
     * encoded in base64, and the case-insensitive reading of enumerated names.
     */
    @Test
    void knownDifferencesBetweenSchemaAndParser() {
        ObjectNode shortEmbedding = example(InputTopic.TRAJECTORY, "full.json");
        shortEmbedding.set("embedding", JSON.valueToTree(new float[] {0.5f, 0.25f}));
        assertSchemaOnlyAccepts(InputTopic.TRAJECTORY, shortEmbedding, "embedding: expected 8 values, got 2");

        float[] withNaN = embedding();
        withNaN[3] = Float.NaN;
        ObjectNode nanInBase64 = example(InputTopic.TRAJECTORY, "full.json");
        nanInBase64.put("embedding", base64(withNaN));
        assertSchemaOnlyAccepts(InputTopic.TRAJECTORY, nanInBase64, "embedding[3]: NaN is not allowed");

        ObjectNode longQuery = example(InputTopic.QUERY, "billing.json");
        longQuery.withArrayProperty("embedding").add(0.5);
        assertSchemaOnlyAccepts(InputTopic.QUERY, longQuery, "embedding: expected 8 values, got 9");

        float[] withInfinity = embedding();
        withInfinity[6] = Float.NEGATIVE_INFINITY;
        ObjectNode infinityInBase64 = example(InputTopic.QUERY, "base64-embedding.json");
        infinityInBase64.put("embedding", base64(withInfinity));
        assertSchemaOnlyAccepts(InputTopic.QUERY, infinityInBase64, "embedding[6]: -Infinity is not allowed");

        ObjectNode upperCase = example(InputTopic.CONTROL, "promote-challenger.json");
        upperCase.put("command", "PROMOTE");
        upperCase.put("kind", "Micro");
        assertThat(schemaProblems("control", bytes(upperCase))).isNotEmpty();
        assertThat(parse(InputTopic.CONTROL, bytes(upperCase))).isInstanceOf(ParseResult.Parsed.class);
    }

    private static void assertSchemaOnlyAccepts(InputTopic topic, ObjectNode event, String parserReason) {
        assertThat(schemaProblems(topic.schemaName, bytes(event))).isEmpty();
        assertThat(parse(topic, bytes(event))).isEqualTo(ParseResult.rejected(parserReason));
    }

    // ---- base64 ----

    @Test
    void base64OfLittleEndianFloat32ParsesToTheSameFloatsAsTheArray() {
        float[] values = {0.1f, -0.0f, Float.MIN_VALUE, -Float.MAX_VALUE, 1e-20f, 3.1415927f, -2.5e7f, 1f / 3};
        ObjectNode arrayForm = example(InputTopic.TRAJECTORY, "full.json");
        arrayForm.set("embedding", JSON.valueToTree(values));
        ObjectNode base64Form = arrayForm.deepCopy();
        base64Form.put("embedding", base64(values));

        Trajectory fromArray = parsedValue(InputTopic.TRAJECTORY, bytes(arrayForm));
        Trajectory fromBase64 = parsedValue(InputTopic.TRAJECTORY, bytes(base64Form));

        assertThat(schemaProblems("trajectory", bytes(arrayForm))).isEmpty();
        assertThat(schemaProblems("trajectory", bytes(base64Form))).isEmpty();
        for (int i = 0; i < values.length; i++) {
            assertThat(Float.floatToRawIntBits(fromBase64.embedding()[i])).as("base64[%d]", i)
                    .isEqualTo(Float.floatToRawIntBits(values[i]));
            assertThat(Float.floatToRawIntBits(fromArray.embedding()[i])).as("array[%d]", i)
                    .isEqualTo(Float.floatToRawIntBits(values[i]));
        }
        assertThat(fromBase64).isEqualTo(fromArray);
    }

    @Test
    void theBase64PatternAdmitsExactlyTheLengthsThatHoldWholeFloats() {
        java.util.regex.Pattern base64 = java.util.regex.Pattern.compile(
                read(SCHEMAS.resolve("trajectory.schema.json")).at("/$defs/embedding/oneOf/1/pattern").asText());
        for (int bytes = 0; bytes <= 64; bytes++) {
            String padded = Base64.getEncoder().encodeToString(new byte[bytes]);
            String unpadded = padded.replace("=", "");
            boolean wholeFloats = bytes > 0 && bytes % Float.BYTES == 0;
            assertThat(base64.matcher(padded).matches()).as("%d bytes, padded", bytes).isEqualTo(wholeFloats);
            assertThat(base64.matcher(unpadded).matches()).as("%d bytes, unpadded", bytes).isEqualTo(wholeFloats);
        }
    }

    // ---- helpers ----

    static Stream<String> schemaNames() {
        return Stream.concat(Stream.of(InputTopic.values()).map(t -> t.schemaName), OUTPUT_SCHEMAS.stream());
    }

    static Stream<Arguments> examples() {
        return Stream.of(InputTopic.values())
                .flatMap(topic -> examples(topic).stream().map(path -> Arguments.of(topic, path)));
    }

    private static List<Path> examples(InputTopic topic) {
        try (Stream<Path> files = Files.list(SCHEMAS.resolve("examples").resolve(topic.schemaName))) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode example(InputTopic topic, String file) {
        return (ObjectNode) read(SCHEMAS.resolve("examples").resolve(topic.schemaName).resolve(file));
    }

    private static void valid(List<Case> cases, InputTopic topic, String example, String what,
            Consumer<ObjectNode> change) {
        cases.add(new Case(topic, what, text(changed(topic, example, change)), true));
    }

    private static void invalid(List<Case> cases, InputTopic topic, String example, String what,
            Consumer<ObjectNode> change) {
        cases.add(new Case(topic, what, text(changed(topic, example, change)), false));
    }

    private static ObjectNode changed(InputTopic topic, String example, Consumer<ObjectNode> change) {
        ObjectNode node = example(topic, example);
        change.accept(node);
        return node;
    }

    /** The examples' array embedding, as floats. */
    private static float[] embedding() {
        JsonNode array = example(InputTopic.TRAJECTORY, "full.json").get("embedding");
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).floatValue();
        }
        return values;
    }

    private static String base64(float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(values);
        return Base64.getEncoder().encodeToString(buffer.array());
    }

    private static ParseResult<?> parse(InputTopic topic, byte[] bytes) {
        return topic.parser.parse(new RawRecord(bytes, topic.schemaName, 0, 0), LIMITS);
    }

    private static <T> T parsed(InputTopic topic, String example) throws IOException {
        return parsedValue(topic, Files.readAllBytes(SCHEMAS.resolve("examples").resolve(topic.schemaName)
                .resolve(example)));
    }

    @SuppressWarnings("unchecked")
    private static <T> T parsedValue(InputTopic topic, byte[] bytes) {
        ParseResult<?> result = parse(topic, bytes);
        assertThat(result).isInstanceOf(ParseResult.Parsed.class);
        return ((ParseResult.Parsed<T>) result).value();
    }

    private static synchronized JsonSchema schema(String name) {
        return LOADED.computeIfAbsent(name, n -> FACTORY.getSchema(read(SCHEMAS.resolve(n + ".schema.json"))));
    }

    /** What the schema finds wrong with the payload, one message per problem. */
    private static List<String> schemaProblems(String schemaName, byte[] payload) {
        return messages(schema(schemaName).validate(readTree(payload)));
    }

    private static List<String> messages(Set<ValidationMessage> messages) {
        return messages.stream().map(ValidationMessage::getMessage).sorted().toList();
    }

    private static Set<String> fieldNames(JsonNode object) {
        Set<String> names = new TreeSet<>();
        for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }

    private static JsonNode read(Path path) {
        try {
            return JSON.readTree(path.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(path.toString(), e);
        }
    }

    private static boolean isJson(byte[] bytes) {
        try {
            JSON.readTree(bytes);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static JsonNode readTree(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String text(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bytes(JsonNode node) {
        return text(node).getBytes(StandardCharsets.UTF_8);
    }

    /** {@code conf/schemas}: from the build's system property, or relative to the module directory. */
    private static Path schemasDirectory() {
        String configured = System.getProperty("sona.schemas.dir");
        Path dir = configured != null
                ? Paths.get(configured)
                : Paths.get("").toAbsolutePath().resolve("../conf/schemas");
        return dir.normalize().toAbsolutePath();
    }
}
