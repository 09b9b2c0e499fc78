package io.easspark.engine.meter;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * RoBERTa's byte-level BPE as METER uses it (DESIGN-METER.md §1): {@code RobertaTokenizer} on the raw text,
 * {@code padding="max_length", truncation=True, max_length=L}, i.e. {@code <s> t1 .. tn </s>} with the tokens cut
 * to at most L − 2, then {@code <pad>} up to exactly L. Reads a HuggingFace {@code tokenizer.json} through DJL's
 * tokenizers binding; truncation and padding are done here so they cannot depend on that file's settings.
 * Thread-safe (the native tokenizer is immutable); close it once.
 */
public final class RobertaBpeTokenizer implements AutoCloseable {

    static final long BOS = 0;
    static final long PAD = RobertaEncoder.PAD;
    static final long EOS = 2;

    /** The demo tokenizer (tools/reference/make_meter_tokenizer.py): 381 ids, for demo models and tests. */
    public static final String DEMO_RESOURCE = "/io/easspark/engine/meter/demo-tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;
    private final int maxLen;

    private RobertaBpeTokenizer(HuggingFaceTokenizer tokenizer, int maxLen) {
        this.tokenizer = tokenizer;
        this.maxLen = maxLen;
    }

    /**
     * @param tokenizerJson a HuggingFace tokenizer.json with RoBERTa's special ids ({@code <s>}=0, {@code </s>}=2)
     * @param maxLen L, the model's {@code max_text_len}
     */
    public static RobertaBpeTokenizer load(Path tokenizerJson, int maxLen) throws IOException {
        if (maxLen < 2) {
            throw new IllegalArgumentException("max_text_len must leave room for <s> and </s>: " + maxLen);
        }
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException("tokenizer file " + tokenizerJson + " is not a regular file");
        }
        return load(Files.readAllBytes(tokenizerJson), tokenizerJson.toString(), maxLen);
    }

    /** The same from a tokenizer.json's bytes (a model directory on any filesystem); {@code location} names it in errors. */
    public static RobertaBpeTokenizer load(byte[] tokenizerJson, String location, int maxLen) throws IOException {
        if (maxLen < 2) {
            throw new IllegalArgumentException("max_text_len must leave room for <s> and </s>: " + maxLen);
        }
        HuggingFaceTokenizer t;
        try (InputStream in = new ByteArrayInputStream(tokenizerJson)) {
            t = HuggingFaceTokenizer.newInstance(in, Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false"));
        } catch (RuntimeException e) { // the native parser's error is a RuntimeException naming the JSON problem
            throw new IllegalArgumentException("tokenizer " + location + " is not a HuggingFace tokenizer.json: " + e.getMessage(), e);
        }
        long[] empty = t.encode("").getIds();
        if (!Arrays.equals(empty, new long[] {BOS, EOS})) {
            t.close();
            throw new IllegalArgumentException("tokenizer " + location + " encodes \"\" as " + Arrays.toString(empty)
                    + " but METER needs RoBERTa's [<s>=0, </s>=2] (a RobertaProcessing post-processor)");
        }
        return new RobertaBpeTokenizer(t, maxLen);
    }

    /**
     * One more than the largest id a tokenizer.json can produce (its model vocabulary and added tokens): the
     * model's word embedding needs at least that many rows, or a row fails inside a task.
     */
    public static int idLimit(byte[] tokenizerJson, String location) {
        int max = -1;
        try {
            JsonObject root = JsonParser.parseString(new String(tokenizerJson, java.nio.charset.StandardCharsets.UTF_8)).getAsJsonObject();
            JsonObject vocab = root.getAsJsonObject("model").getAsJsonObject("vocab");
            for (Map.Entry<String, JsonElement> e : vocab.entrySet()) {
                max = Math.max(max, e.getValue().getAsInt());
            }
            if (root.has("added_tokens") && root.get("added_tokens").isJsonArray()) {
                for (JsonElement a : root.getAsJsonArray("added_tokens")) {
                    max = Math.max(max, a.getAsJsonObject().get("id").getAsInt());
                }
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("tokenizer " + location + ": expected a tokenizer.json with model.vocab {piece: id}: "
                    + e.getMessage(), e);
        }
        return max + 1;
    }

    public int maxLen() {
        return maxLen;
    }

    /** Ids [L]: {@code <s>}, at most L − 2 tokens, {@code </s>}, then {@code <pad>}. */
    public long[] encode(String text) {
        long[] withSpecials = tokenizer.encode(text).getIds(); // <s> t1 .. tn </s>
        int tokens = Math.min(withSpecials.length - 2, maxLen - 2);
        long[] ids = new long[maxLen];
        Arrays.fill(ids, PAD);
        ids[0] = BOS;
        System.arraycopy(withSpecials, 1, ids, 1, tokens);
        ids[tokens + 1] = EOS;
        return ids;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
