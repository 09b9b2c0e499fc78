package io.easspark.jobs.convert;

import io.easspark.engine.meter.AnswerVocabulary;
import io.easspark.engine.meter.MeterConfig;
import io.easspark.loader.convert.ImportPlan;
import io.easspark.loader.convert.ImportedTensor;
import io.easspark.loader.convert.MeterImport;
import io.easspark.loader.convert.TensorCast;
import io.easspark.loader.convert.TorchCheckpointTensors;
import io.easspark.loader.hadoop.HadoopInputFile;
import io.easspark.loader.nativeformat.MeterModelWriter;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.loader.nativeformat.NativeModelWriter;
import io.easspark.loader.pickle.ReadOptions;
import io.easspark.loader.pickle.TorchCheckpoint;
import io.easspark.loader.tensor.DType;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;

/**
 * {@code convert --family meter}: a METER or METER-EAS checkpoint (a Lightning {@code .ckpt}, whose
 * {@code state_dict} is read, or a plain {@code torch.save} state_dict {@code .pth}; DESIGN-METER.md §6) plus the
 * RoBERTa {@code tokenizer.json} and the VQA answers into a native METER model directory, staged and verified.
 */
final class MeterConvert {

    /** What the command line gave for the METER family. */
    record Request(String checkpoint, String tokenizer, String label2ans, int headDim, int maxTextLen, DType dtype,
            ReadOptions readOptions, boolean allowBroadcastTensors, Path output) {
    }

    private static final String POSITIONS = "text_transformer.embeddings.position_embeddings.weight";

    private MeterConvert() {
    }

    static int run(Request r, PrintWriter out) throws IOException {
        Configuration conf = new Configuration();
        HadoopInputFile file = HadoopInputFile.of(r.checkpoint(), conf);
        TorchCheckpoint ckpt;
        try {
            // a .ckpt must be Lightning's (its state_dict); anything else is read as a plain state_dict
            ckpt = r.checkpoint().endsWith(".ckpt") ? TorchCheckpoint.openLightning(file, r.readOptions())
                    : TorchCheckpoint.open(file, r.readOptions());
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("--checkpoint " + r.checkpoint() + " does not exist", e);
        }
        TorchCheckpointTensors tensors0 = new TorchCheckpointTensors(ckpt);
        long[] positions = tensors0.shape(POSITIONS);
        if (positions != null && positions.length == 2 && positions[0] < r.maxTextLen() + 2L) {
            // RoBERTa's positions run from padding_idx + 1 = 2 to L + 1 (DESIGN-METER.md §2)
            throw new IllegalArgumentException("--max-text-len " + r.maxTextLen() + " needs " + (r.maxTextLen() + 2)
                    + " rows of " + POSITIONS + " but " + r.checkpoint() + " has " + positions[0]);
        }
        MeterImport.Result plan = MeterImport.plan(tensors0, r.headDim(), r.maxTextLen());
        MeterConfig config = plan.config();
        byte[] tokenizer = readAll("--tokenizer", r.tokenizer(), conf);
        AnswerVocabulary answers = null;
        if (r.label2ans() != null) {
            if (config.vqaLabels() == 0) {
                throw new IllegalArgumentException("--label2ans " + r.label2ans() + " is given but " + r.checkpoint()
                        + " has no VQA head (vqa_classifier.*)");
            }
            answers = AnswerVocabulary.parse(new String(readAll("--label2ans", r.label2ans(), conf), StandardCharsets.UTF_8),
                    "--label2ans " + r.label2ans());
            if (answers.size() != config.vqaLabels()) {
                throw new IllegalArgumentException("--label2ans " + r.label2ans() + " holds " + answers.size()
                        + " answers but the VQA head of " + r.checkpoint() + " has " + config.vqaLabels() + " classes");
            }
        } else if (config.vqaLabels() > 0) {
            throw new IllegalArgumentException("--label2ans is required: " + r.checkpoint() + " has a VQA head of "
                    + config.vqaLabels() + " classes (VQAv2: 3,129 answers, a JSON list or {answer: index} map)");
        }
        out.printf(Locale.ROOT, "convert: METER hidden %d, RoBERTa %d layers, ViT %d blocks at %d px, %d fusion layers, heads %s,"
                + " L %d: %d tensors%n", config.hidden(), config.textLayers(), config.vitBlocks(), config.imageSize(),
                config.fusionLayers(), heads(config, plan.tensors()), config.maxTextLen(), plan.tensors().size());
        if (!plan.unused().isEmpty()) {
            out.println("convert: not used by the model: " + String.join(", ", plan.unused()));
        }
        if (!r.allowBroadcastTensors()) { // before any byte is written
            ImportPlan.requireOutputWithin(plan.tensors(), ckpt.fileBytes());
        }
        List<ImportedTensor> tensors = TensorCast.to(plan.tensors(), r.dtype());
        long t0 = System.nanoTime();
        NativeModelWriter.Written written = MeterModelWriter.writeVerified(r.output(), config, tensors, tokenizer, answers,
                (i, n, name, bytes) -> { });
        out.printf(Locale.ROOT, "convert: wrote and verified %d tensors (%.1f MiB, CRC32 per tensor), tokenizer.json%s in %s in %.1f s%n",
                written.shapes().size(), written.bytes() / 1048576.0, answers == null ? "" : ", label2ans.json (" + answers.size() + " answers)",
                r.output(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private static String heads(MeterConfig c, List<ImportedTensor> tensors) {
        StringBuilder b = new StringBuilder();
        if (c.vqaLabels() > 0) {
            b.append("VQA(").append(c.vqaLabels()).append(')');
        }
        for (String[] h : new String[][] {{"nlvr2_classifier.0.weight", "NLVR2"}, {"rank_output.weight", "ITM"}}) {
            if (tensors.stream().anyMatch(t -> t.name().equals(h[0]))) {
                b.append(b.length() == 0 ? "" : "+").append(h[1]);
            }
        }
        return b.length() == 0 ? "none" : b.toString();
    }

    private static byte[] readAll(String flag, String location, Configuration conf) throws IOException {
        try {
            return NativeModelDirectory.readSmall(HadoopInputFile.of(location, conf));
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException(flag + " " + location + " does not exist", e);
        }
    }
}
