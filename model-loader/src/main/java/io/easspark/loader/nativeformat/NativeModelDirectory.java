package io.easspark.loader.nativeformat;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.loader.hadoop.HadoopInputFile;
import io.easspark.loader.io.InputFile;
import io.easspark.loader.io.SeekableInput;
import io.easspark.loader.safetensors.SafetensorsWeightSource;
import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
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
        LavinConfig config;
        try {
            config = LavinConfig.fromJson(new String(readSmall(new HadoopInputFile(fs, configPath)), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IOException(configPath + ": " + e.getMessage(), e);
        }
        String plan = config.skipPlan();
        Path planPath = new Path(dir, "skip_plan.json");
        if (fs.exists(planPath)) {
            JsonObject o = JsonParser.parseString(new String(readSmall(new HadoopInputFile(fs, planPath)), StandardCharsets.UTF_8))
                    .getAsJsonObject();
            plan = o.get("plan").isJsonArray() ? o.get("plan").toString() : o.get("plan").getAsString();
        }
        List<HadoopInputFile> shards = new ArrayList<>();
        FileStatus[] listing = fs.listStatus(dir, p -> p.getName().endsWith(".safetensors"));
        Arrays.sort(listing);
        for (FileStatus st : listing) {
            shards.add(new HadoopInputFile(fs, st.getPath()));
        }
        if (shards.isEmpty()) {
            throw new FileNotFoundException("model directory " + uri + " has no *.safetensors files");
        }
        Path tokPath = new Path(dir, NativeModelWriter.TOKENIZER);
        byte[] tok = fs.exists(tokPath) ? readSmall(new HadoopInputFile(fs, tokPath)) : null;
        return new NativeModelDirectory(uri, config, plan, shards, tok);
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

    /** The tokenizer; fails when the directory has none. */
    public LlamaTokenizer tokenizer() throws IOException {
        if (tokenizer == null) {
            throw new FileNotFoundException("model directory " + uri + " has no " + NativeModelWriter.TOKENIZER);
        }
        return LlamaTokenizer.load(new ByteArrayInputStream(tokenizer), uri + "/" + NativeModelWriter.TOKENIZER);
    }
}
