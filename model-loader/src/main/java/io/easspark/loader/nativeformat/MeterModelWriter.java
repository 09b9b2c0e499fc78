package io.easspark.loader.nativeformat;

import io.easspark.engine.meter.AnswerVocabulary;
import io.easspark.engine.meter.MeterConfig;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.loader.convert.ImportedTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a native METER model directory: {@code config.json} ({@code "family": "meter"}), {@code model.safetensors}
 * streamed tensor by tensor, {@code tokenizer.json} and {@code label2ans.json} (a list, index = VQA class); staged
 * and verified like the LaVIN directory ({@link NativeModelWriter#writeStaged}).
 */
public final class MeterModelWriter {

    private MeterModelWriter() {
    }

    /**
     * @param tokenizerJson the RoBERTa tokenizer.json's bytes; its ids must fit the config's vocabulary
     * @param answers the VQA answers, exactly one per class of a VQA head; null for a model without one
     */
    public static NativeModelWriter.Written writeVerified(Path dir, MeterConfig config, List<ImportedTensor> tensors,
            byte[] tokenizerJson, AnswerVocabulary answers, NativeModelWriter.Progress progress) throws IOException {
        MeterModelDirectory.checkFits(dir.toString(), config, tokenizerJson, answers);
        try (RobertaBpeTokenizer t = RobertaBpeTokenizer.load(tokenizerJson, MeterModelDirectory.TOKENIZER, config.maxTextLen())) {
            // it opens and has RoBERTa's specials: found now, not by the first task
        }
        return NativeModelWriter.writeStaged(dir, staging -> {
            NativeModelWriter.Written w = NativeModelWriter.writeWeights(staging, tensors, progress);
            Files.writeString(staging.resolve(NativeModelWriter.CONFIG), config.toJson() + "\n", StandardCharsets.UTF_8);
            Files.write(staging.resolve(MeterModelDirectory.TOKENIZER), tokenizerJson);
            if (answers != null) {
                Files.writeString(staging.resolve(MeterModelDirectory.ANSWERS), answers.toJson() + "\n", StandardCharsets.UTF_8);
            }
            verify(w, config, answers);
            return w;
        });
    }

    /** Re-reads what was written: the config and answers parse to what was meant, every tensor's shape and CRC32. */
    static void verify(NativeModelWriter.Written w, MeterConfig config, AnswerVocabulary answers) throws IOException {
        Path dir = w.directory();
        MeterConfig back = MeterConfig.fromJson(Files.readString(dir.resolve(NativeModelWriter.CONFIG), StandardCharsets.UTF_8));
        if (!back.equals(config)) {
            throw new IOException("verify " + dir + ": config.json reads back as " + back + " but " + config + " was written");
        }
        if (answers != null) {
            Path p = dir.resolve(MeterModelDirectory.ANSWERS);
            if (!AnswerVocabulary.parse(Files.readString(p, StandardCharsets.UTF_8), p.toString()).equals(answers)) {
                throw new IOException("verify " + p + ": the answers read back differ from those written");
            }
        }
        NativeModelWriter.verifyWeights(w);
    }
}
