package io.easspark.loader.nativeformat;

import ai.djl.Device;
import io.easspark.engine.meter.AnswerVocabulary;
import io.easspark.engine.meter.MeterConfig;
import io.easspark.engine.meter.MeterLayout;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.loader.hadoop.HadoopInputFile;
import io.easspark.loader.safetensors.SafetensorsFormatException;
import io.easspark.loader.safetensors.SafetensorsWeightSource;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A native METER model directory ({@code config.json} with {@code "family": "meter"}, {@code model.safetensors},
 * {@code tokenizer.json}, and {@code label2ans.json} when the model has a VQA head) on any Hadoop filesystem.
 * Opening reads the small files; the weights stream at {@link #load}.
 */
public final class MeterModelDirectory {

    public static final String TOKENIZER = "tokenizer.json";
    public static final String ANSWERS = "label2ans.json";

    private final String uri;
    private final MeterConfig config;
    private final List<HadoopInputFile> weights;
    private final byte[] tokenizer;
    private final AnswerVocabulary answers;

    private MeterModelDirectory(String uri, MeterConfig config, List<HadoopInputFile> weights, byte[] tokenizer,
            AnswerVocabulary answers) {
        this.uri = uri;
        this.config = config;
        this.weights = weights;
        this.tokenizer = tokenizer;
        this.answers = answers;
    }

    /** Opens the directory, failing with one line naming what is missing or malformed. */
    public static MeterModelDirectory open(String uri, Configuration conf) throws IOException {
        Path dir = new Path(uri);
        FileSystem fs = dir.getFileSystem(conf);
        Path configPath = new Path(dir, NativeModelWriter.CONFIG);
        if (!fs.exists(configPath)) {
            throw new FileNotFoundException("model directory " + uri + " has no " + NativeModelWriter.CONFIG);
        }
        MeterConfig config;
        try {
            config = MeterConfig.fromJson(small(fs, configPath));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configPath + ": " + e.getMessage().replaceFirst("^config\\.json: ", ""), e);
        }
        List<HadoopInputFile> shards = HadoopInputFile.list(fs, dir, ".*\\.safetensors");
        if (shards.isEmpty()) {
            throw new FileNotFoundException("model directory " + uri + " has no *.safetensors files");
        }
        Path tokPath = new Path(dir, TOKENIZER);
        if (!fs.exists(tokPath)) {
            throw new IllegalArgumentException("model directory " + uri + " has no " + TOKENIZER
                    + " (a METER model needs its RoBERTa tokenizer.json; convert with --tokenizer)");
        }
        byte[] tok = NativeModelDirectory.readSmall(new HadoopInputFile(fs, tokPath));
        Path answersPath = new Path(dir, ANSWERS);
        AnswerVocabulary answers = fs.exists(answersPath) ? AnswerVocabulary.parse(small(fs, answersPath), answersPath.toString()) : null;
        checkFits(uri, config, tok, answers);
        return new MeterModelDirectory(uri, config, shards, tok, answers);
    }

    /**
     * Opens the directory and checks what a task would otherwise find only while loading: every safetensors header
     * against {@link MeterLayout} (heads as the config and the files say), the tokenizer (it opens and its ids fit the
     * embedding) and the answers (one per VQA class). Reads headers, never weights; a problem is one line in an
     * IllegalArgumentException before any task runs.
     */
    public static MeterModelDirectory validate(String uri, Configuration conf) throws IOException {
        MeterModelDirectory model = open(uri, conf);
        try (SafetensorsWeightSource source = SafetensorsWeightSource.open(model.weights)) {
            MeterLayout.Heads heads = new MeterLayout.Heads(model.config.vqaLabels() > 0,
                    source.shape("nlvr2_classifier.0.weight") != null, source.shape("rank_output.weight") != null);
            for (Map.Entry<String, long[]> need : MeterLayout.tensors(model.config, heads).entrySet()) {
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
            if (model.config.vqaLabels() == 0 && source.shape("vqa_classifier.0.weight") != null) {
                throw new IllegalArgumentException("model directory " + uri + " has vqa_classifier.* tensors but config.json"
                        + " says 'vqa_labels': 0");
            }
        } catch (SafetensorsFormatException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        try (RobertaBpeTokenizer t = model.tokenizer()) {
            return model; // it opens and encodes "" as <s> </s>
        }
    }

    /**
     * The tokenizer's ids must be rows of the word embedding (an id past it fails inside a task), and a VQA head needs
     * exactly one answer per class (an answer-less class cannot be reported).
     */
    static void checkFits(String where, MeterConfig config, byte[] tokenizer, AnswerVocabulary answers) {
        int ids = RobertaBpeTokenizer.idLimit(tokenizer, where + "/" + TOKENIZER);
        if (ids > config.vocabSize()) {
            throw new IllegalArgumentException("tokenizer " + where + "/" + TOKENIZER + " produces ids up to " + (ids - 1)
                    + " but the model's word embedding has " + config.vocabSize() + " rows (vocab_size); use the tokenizer the model was trained with");
        }
        if (config.vqaLabels() > 0 && answers == null) {
            throw new IllegalArgumentException("model directory " + where + " has a VQA head of " + config.vqaLabels()
                    + " classes but no " + ANSWERS + " (give --label2ans)");
        }
        if (answers != null && answers.size() != config.vqaLabels()) {
            throw new IllegalArgumentException(ANSWERS + " of " + where + " holds " + answers.size() + " answers but the VQA head has "
                    + config.vqaLabels() + " classes (vqa_labels)");
        }
    }

    private static String small(FileSystem fs, Path p) throws IOException {
        return new String(NativeModelDirectory.readSmall(new HadoopInputFile(fs, p)), StandardCharsets.UTF_8);
    }

    public String uri() {
        return uri;
    }

    public MeterConfig config() {
        return config;
    }

    /** The VQA answers by class, or null for a model without a VQA head. */
    public AnswerVocabulary answers() {
        return answers;
    }

    /** The tokenizer, padding to the model's L. */
    public RobertaBpeTokenizer tokenizer() throws IOException {
        return RobertaBpeTokenizer.load(tokenizer, uri + "/" + TOKENIZER, config.maxTextLen());
    }

    /** Loads the model, streaming tensors from the safetensors shards. */
    public MeterModel load(Device device) throws IOException {
        try (SafetensorsWeightSource source = SafetensorsWeightSource.open(weights)) {
            return MeterModel.load(config, source, device);
        }
    }
}
