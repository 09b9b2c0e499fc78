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
    private final int pieces;

    private LlamaTokenizer(SpTokenizer tokenizer, int pieces) {
        this.tokenizer = tokenizer;
        this.processor = tokenizer.getProcessor();
        this.pieces = pieces;
        if (pieces <= EOS) {
            throw new IllegalArgumentException("has " + pieces + " pieces; a LLaMA tokenizer needs at least <unk>, <s>, </s>");
        }
        checkSpecial("<s>", BOS);
        checkSpecial("</s>", EOS);
    }

    /** Loads a {@code tokenizer.model}; fails with one line when it is not a LLaMA-style model. */
    public static LlamaTokenizer load(InputStream model, String description) throws IOException {
        byte[] bytes = model.readAllBytes();
        int pieces;
        try {
            pieces = pieceCount(bytes);
        } catch (IllegalArgumentException e) {
            throw new IOException("tokenizer " + description + ": " + e.getMessage(), e);
        }
        SpTokenizer sp;
        try {
            sp = new SpTokenizer(bytes);
        } catch (RuntimeException e) {
            throw new IOException("tokenizer " + description + " is not a SentencePiece model: " + e.getMessage(), e);
        }
        try {
            return new LlamaTokenizer(sp, pieces);
        } catch (IllegalArgumentException e) {
            sp.close();
            throw new IOException("tokenizer " + description + ": " + e.getMessage(), e);
        }
    }

    /**
     * The pieces in a {@code tokenizer.model}'s bytes, read from the file itself without the native library (which
     * has no such call); IllegalArgumentException when the bytes are not a protobuf message.
     */
    public static int pieceCount(byte[] model) {
        return SentencePieceModelFile.pieceCount(model);
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

    /**
     * Text of generated ids, cut at the first EOS. An id outside the vocabulary is refused here: the native library
     * aborts the whole JVM on one.
     */
    public String decode(long[] ids) {
        int n = 0;
        while (n < ids.length && ids[n] != EOS) {
            n++;
        }
        int[] in = new int[n];
        for (int i = 0; i < n; i++) {
            if (ids[i] < 0 || ids[i] >= pieces) {
                throw new IllegalArgumentException("token id " + ids[i] + " is outside the tokenizer's " + pieces + " pieces");
            }
            in[i] = (int) ids[i];
        }
        return n == 0 ? "" : processor.decode(in);
    }

    /** Pieces in the vocabulary (ids 0 to size − 1), counted from the model file. */
    public int vocabularySize() {
        return pieces;
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
