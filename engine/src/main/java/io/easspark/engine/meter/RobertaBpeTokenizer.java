package io.easspark.engine.meter;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
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
        HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(tokenizerJson,
                Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false"));
        long[] empty = t.encode("").getIds();
        if (!Arrays.equals(empty, new long[] {BOS, EOS})) {
            t.close();
            throw new IllegalArgumentException("tokenizer " + tokenizerJson + " encodes \"\" as " + Arrays.toString(empty)
                    + " but METER needs RoBERTa's [<s>=0, </s>=2] (a RobertaProcessing post-processor)");
        }
        return new RobertaBpeTokenizer(t, maxLen);
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
