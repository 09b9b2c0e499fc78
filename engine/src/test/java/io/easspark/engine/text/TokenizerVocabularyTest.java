package io.easspark.engine.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The vocabulary size comes from the model file; the native library never sees an id past its end (it aborts the JVM). */
class TokenizerVocabularyTest {

    static byte[] demo() throws IOException {
        try (InputStream in = TokenizerVocabularyTest.class.getResourceAsStream(LlamaTokenizer.DEMO_RESOURCE)) {
            return in.readAllBytes();
        }
    }

    @Test
    void countsThePiecesOfTheModelFile() throws IOException {
        // tools/tokenizer/README.md: trained with --vocab_size=512
        assertThat(LlamaTokenizer.pieceCount(demo())).isEqualTo(512);
        try (LlamaTokenizer t = LlamaTokenizer.load(new ByteArrayInputStream(demo()), "demo")) {
            assertThat(t.vocabularySize()).isEqualTo(512); // the old probe walked past the end into a native abort
        }
    }

    @Test
    void refusesIdsOutsideTheVocabularyBeforeTheNativeCall() throws IOException {
        try (LlamaTokenizer t = LlamaTokenizer.load(new ByteArrayInputStream(demo()), "demo")) {
            assertThat(t.decode(new long[] {300, 2, 99999})).isNotNull(); // ids after EOS are never decoded
            assertThatThrownBy(() -> t.decode(new long[] {300, 512}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("token id 512 is outside the tokenizer's 512 pieces");
            assertThatThrownBy(() -> t.decode(new long[] {-1})).hasMessageContaining("token id -1 is outside");
        }
    }

    @Test
    void truncatedModelIsRefusedWithOneLine() throws IOException {
        byte[] cut = Arrays.copyOf(demo(), 1000);
        assertThatThrownBy(() -> LlamaTokenizer.load(new ByteArrayInputStream(cut), "cut.model"))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("tokenizer cut.model: not a SentencePiece model:")
                .hasMessageContaining("runs past the end (1000 bytes)");
    }
}
