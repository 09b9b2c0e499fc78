package io.easspark.loader.nativeformat;

import ai.djl.Device;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.model.NativeLayout;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.loader.hadoop.HadoopInputFile;
import io.easspark.loader.io.InputFile;
import io.easspark.loader.io.SeekableInput;
import io.easspark.loader.safetensors.SafetensorsFormatException;
import io.easspark.loader.safetensors.SafetensorsWeightSource;
import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A native model directory on any Hadoop filesystem ({@code file:}, {@code hdfs:}, {@code s3a:}): its config, its
 * safetensors shards, its tokenizer and an optional {@code skip_plan.json}. Opening reads only the small files; the
 * weights stream at {@link #load}.
 */
public final class NativeModelDirectory {

    /** Small files (config, plan, tokenizer) are read whole; anything larger is not one of them. */
    private static final long SMALL_FILE_LIMIT = 64L << 20;

    public static final String SKIP_PLAN = "skip_plan.json";

    private final String uri;
    private final LavinConfig config;
    private final String storedPlan;
    private final List<HadoopInputFile> weights;
    private final byte[] tokenizer;

    private NativeModelDirectory(String uri, LavinConfig config, String storedPlan, List<HadoopInputFile> weights, byte[] tokenizer) {
        this.uri = uri;
        this.config = config;
        this.storedPlan = storedPlan;
        this.weights = weights;
        this.tokenizer = tokenizer;
    }

    /** Opens the directory, failing with one line naming what is missing or malformed. */
    public static NativeModelDirectory open(String uri, Configuration conf) throws IOException {
        Path dir = new Path(uri);
        FileSystem fs = dir.getFileSystem(conf);
        if (!fs.exists(dir)) {
            throw new FileNotFoundException("model directory " + uri + " does not exist");
        }
        Path configPath = new Path(dir, NativeModelWriter.CONFIG);
        if (!fs.exists(configPath)) {
            throw new FileNotFoundException("model directory " + uri + " has no " + NativeModelWriter.CONFIG
                    + " (convert original checkpoints with the convert command first)");
        }
        String configText = new String(readSmall(new HadoopInputFile(fs, configPath)), StandardCharsets.UTF_8);
        if (ModelFamily.ofConfig(configText, configPath.toString()) == ModelFamily.METER) {
            throw new IllegalArgumentException(meterNotServed(uri));
        }
        LavinConfig config;
        try {
            config = LavinConfig.fromJson(configText);
        } catch (IllegalArgumentException e) {
            String problem = e.getMessage().startsWith(NativeModelWriter.CONFIG + ": ")
                    ? e.getMessage().substring(NativeModelWriter.CONFIG.length() + 2) : e.getMessage();
            throw new IllegalArgumentException(configPath + ": " + problem, e);
        }
        String plan = config.skipPlan();
        Path planPath = new Path(dir, SKIP_PLAN);
        if (fs.exists(planPath)) {
            plan = planText(planPath, new String(readSmall(new HadoopInputFile(fs, planPath)), StandardCharsets.UTF_8));
        }
        List<HadoopInputFile> shards = HadoopInputFile.list(fs, dir, ".*\\.safetensors");
        if (shards.isEmpty()) {
            throw new FileNotFoundException("model directory " + uri + " has no *.safetensors files");
        }
        Path tokPath = new Path(dir, NativeModelWriter.TOKENIZER);
        byte[] tok = fs.exists(tokPath) ? readSmall(new HadoopInputFile(fs, tokPath)) : null;
        if (tok != null) {
            checkTokenizerFits(tokPath.toString(), tok, config);
        }
        return new NativeModelDirectory(uri, config, plan, shards, tok);
    }

    /**
     * Opens the directory and checks everything a task would otherwise find only while loading: config.json,
     * skip_plan.json, every safetensors header (names, dtypes, shapes against the config, spans within the file), and
     * the tokenizer (it opens, and its pieces are the embedding's and the output head's rows). Reads headers, never
     * weights. Any problem is one line in an IllegalArgumentException (bad input, exit 2) before any task runs;
     * FileNotFoundException when the directory or its config is missing; other IOExceptions when reading fails.
     */
    public static NativeModelDirectory validate(String uri, Configuration conf) throws IOException {
        if (ModelFamily.ofDirectory(uri, conf) == ModelFamily.METER) {
            MeterModelDirectory.validate(uri, conf); // a broken METER directory is reported as such, not as a bad LaVIN one
            throw new IllegalArgumentException(meterNotServed(uri));
        }
        NativeModelDirectory model = open(uri, conf);
        try {
            model.storedPlan();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model directory " + uri + ": stored skip plan: " + e.getMessage(), e);
        }
        try (SafetensorsWeightSource source = SafetensorsWeightSource.open(model.weights)) {
            for (Map.Entry<String, long[]> need : NativeLayout.tensors(model.config).entrySet()) {
                long[] found = source.shape(need.getKey());
                if (found == null) {
                    throw new IllegalArgumentException("tensor " + need.getKey() + ": expected " + Arrays.toString(need.getValue())
                            + " but no safetensors file of " + uri + " has it");
                }
                if (!Arrays.equals(found, need.getValue())) {
                    throw new IllegalArgumentException("tensor " + need.getKey() + ": expected " + Arrays.toString(need.getValue())
                            + " (from config.json) but found " + Arrays.toString(found) + " in " + uri);
                }
            }
        } catch (SafetensorsFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        try (LlamaTokenizer tokenizer = model.tokenizer()) {
            return model; // it opens: the native library accepted it, and <s>/</s> sit at LLaMA's ids
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException(e.getMessage() + " (inference needs it; copy the LLaMA tokenizer.model there)", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** What infer, evaluate, calibrate and eas_answer say about a METER directory until they serve that family. */
    static String meterNotServed(String uri) {
        return "model directory " + uri + " holds a METER model (config.json \"family\": \"meter\"); this command runs"
                + " LaVIN models only in this version (METER inference is not implemented yet)";
    }

    /**
     * Every id the model can produce must decode and every id the tokenizer produces must embed: the native tokenizer
     * aborts the JVM on an id past its end, and an id past the embedding fails inside a task.
     */
    static void checkTokenizerFits(String location, byte[] tokenizer, LavinConfig config) {
        int pieces;
        try {
            pieces = LlamaTokenizer.pieceCount(tokenizer);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tokenizer " + location + ": " + e.getMessage(), e);
        }
        int rows = config.text().vocabSize();
        if (pieces != rows) {
            throw new IllegalArgumentException("tokenizer " + location + " has " + pieces + " pieces but the model's embedding and output have "
                    + rows + " rows (vocab_size); use the tokenizer the model was trained with");
        }
    }

    /** skip_plan.json: {"plan": "19,21-31"} or {"plan": [19, 21, ...]}; anything else is named, not a NullPointerException. */
    private static String planText(Path planPath, String json) {
        JsonElement plan = null;
        try {
            JsonElement root = JsonParser.parseString(json);
            if (root.isJsonObject()) {
                plan = root.getAsJsonObject().get("plan");
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(planPath + " is not JSON: " + e.getMessage(), e);
        }
        if (plan != null && plan.isJsonArray()) {
            return plan.toString();
        }
        if (plan != null && plan.isJsonPrimitive() && plan.getAsJsonPrimitive().isString()) {
            return plan.getAsString();
        }
        throw new IllegalArgumentException(planPath + ": expected {\"plan\": \"19,21-31\"} or {\"plan\": [19, 21]} but found "
                + abbreviate(json.strip()));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }

    /** Reads a small file (config, plan, tokenizer, params.json) whole; refuses anything over 64 MiB. */
    public static byte[] readSmall(InputFile f) throws IOException {
        long n = f.length();
        if (n > SMALL_FILE_LIMIT) {
            throw new IOException(f.location() + " is " + n + " bytes; expected a small file");
        }
        ByteBuffer b = ByteBuffer.allocate((int) n);
        try (SeekableInput in = f.open()) {
            in.readFully(0, b);
        }
        return b.array();
    }

    public LavinConfig config() {
        return config;
    }

    public String uri() {
        return uri;
    }

    /** The plan stored with the model (config.json, or skip_plan.json when present). */
    public SkipPlan storedPlan() {
        return SkipPlan.parse(storedPlan, config.text().nLayers());
    }

    /** Total bytes of the weight files. */
    public long weightBytes() throws IOException {
        long total = 0;
        for (HadoopInputFile f : weights) {
            total += f.length();
        }
        return total;
    }

    /** Loads the model, streaming tensors from the safetensors shards. */
    public LavinModel load(SkipPlan plan, ReparamMode mode, Device device) throws IOException {
        try (SafetensorsWeightSource source = SafetensorsWeightSource.open(weights)) {
            return LavinModel.load(config, source, plan, mode, device);
        }
    }

    /** Every tensor of the native layout as fp32 values, row-major (e.g. a tuned base to train further). */
    public java.util.Map<String, float[]> values() throws IOException {
        java.util.Map<String, float[]> out = new java.util.LinkedHashMap<>();
        try (SafetensorsWeightSource source = SafetensorsWeightSource.open(weights);
             ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            for (String name : io.easspark.engine.model.NativeLayout.tensors(config).keySet()) {
                try (ai.djl.ndarray.NDArray a = source.load(name, m)) {
                    out.put(name, a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
                }
            }
        }
        return out;
    }

    /** The tokenizer; fails when the directory has none. */
    public LlamaTokenizer tokenizer() throws IOException {
        if (tokenizer == null) {
            throw new FileNotFoundException("model directory " + uri + " has no " + NativeModelWriter.TOKENIZER);
        }
        return LlamaTokenizer.load(new ByteArrayInputStream(tokenizer), uri + "/" + NativeModelWriter.TOKENIZER);
    }
}
