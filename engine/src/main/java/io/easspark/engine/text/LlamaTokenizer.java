package io.easspark.engine.text;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * LLaMA's SentencePiece tokenizer (BOS 1, EOS 2) through DJL's sentencepiece extension. Each piece of a prompt is
 * encoded on its own (DESIGN.md §1.2): never encode a concatenated string. Thread-safe for encode/decode.
 */
public final class LlamaTokenizer implements AutoCloseable {

    public static final int BOS = 1;
    public static final int EOS = 2;
    /** The 512-piece tokenizer of the demo model and the tests (tools/tokenizer/README.md). */
    public static final String DEMO_RESOURCE = "/io/easspark/engine/text/demo-tokenizer.model";

    private final SpTokenizer tokenizer;
    private final SpProcessor processor;

    private LlamaTokenizer(SpTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.processor = tokenizer.getProcessor();
        checkSpecial("<s>", BOS);
        checkSpecial("</s>", EOS);
    }

    /** Loads a {@code tokenizer.model}; fails with one line when it is not a LLaMA-style model. */
    public static LlamaTokenizer load(InputStream model, String description) throws IOException {
        SpTokenizer sp;
        try {
            sp = new SpTokenizer(model.readAllBytes());
        } catch (RuntimeException e) {
            throw new IOException("tokenizer " + description + " is not a SentencePiece model: " + e.getMessage(), e);
        }
        try {
            return new LlamaTokenizer(sp);
        } catch (IllegalArgumentException e) {
            sp.close();
            throw new IOException("tokenizer " + description + ": " + e.getMessage(), e);
        }
    }

    private void checkSpecial(String piece, int expected) {
        int id = processor.getId(piece);
        if (id != expected) {
            throw new IllegalArgumentException("expected " + piece + " at id " + expected + " (LLaMA layout) but found id " + id);
        }
    }

    /** Ids of {@code text}, with BOS first when asked. */
    public long[] encode(String text, boolean bos) {
        int[] ids = text.isEmpty() ? new int[0] : processor.encode(text);
        long[] out = new long[ids.length + (bos ? 1 : 0)];
        if (bos) {
            out[0] = BOS;
        }
        for (int i = 0; i < ids.length; i++) {
            out[i + (bos ? 1 : 0)] = ids[i];
        }
        return out;
    }

    /** Text of generated ids, cut at the first EOS. */
    public String decode(long[] ids) {
        int n = 0;
        while (n < ids.length && ids[n] != EOS) {
            n++;
        }
        int[] in = new int[n];
        for (int i = 0; i < n; i++) {
            in[i] = Math.toIntExact(ids[i]);
        }
        return n == 0 ? "" : processor.decode(in);
    }

    public int vocabularySize() {
        int n = 0;
        // SentencePiece reports unknown pieces as id 0; count until ids stop resolving to distinct pieces
        while (n < 1 << 20 && !processor.getToken(n).isEmpty()) {
            n++;
        }
        return n;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    @Override
    public String toString() {
        return "LlamaTokenizer" + Arrays.toString(new int[] {BOS, EOS});
    }
}
