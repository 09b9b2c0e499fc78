package io.easspark.jobs.convert;

import io.easspark.engine.model.LavinConfig;
import io.easspark.jobs.output.OutputGuard;
import io.easspark.loader.convert.CheckpointTensors;
import io.easspark.loader.convert.ClipImport;
import io.easspark.loader.convert.EasAdapterImport;
import io.easspark.loader.convert.ImportPlan;
import io.easspark.loader.convert.LavinImport;
import io.easspark.loader.convert.MetaLlamaImport;
import io.easspark.loader.convert.TorchCheckpointTensors;
import io.easspark.loader.hadoop.HadoopInputFile;
import io.easspark.loader.nativeformat.ModelFamily;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Imports the original checkpoints of either model family. LaVIN ({@code --family lavin}, the default): Meta's LLaMA ({@code params.json} + {@code consolidated.NN.pth}), the EAS
 * adapter checkpoint ({@code .pth}) and OpenAI's CLIP ({@code ViT-L-14.pt}) — into a native model directory,
 * tensor by tensor, then verifies it. METER ({@code --family meter}): one Lightning {@code .ckpt} or state_dict
 * {@code .pth}, RoBERTa's {@code tokenizer.json} and the VQA answers ({@link MeterConvert}). No pickle is executed: {@code .pth} files are read with an allow-list.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {
            "Convert original checkpoints into a native model directory. Two model families (--family):",
            "  lavin (default): LaVIN-EAS, from --llama DIR --adapter FILE [--clip FILE] [--tokenizer tokenizer.model];",
            "    writes config.json, model.safetensors, tokenizer.model.",
            "  meter: METER / METER-EAS, from --checkpoint FILE (a PyTorch Lightning .ckpt: its state_dict is read; or a plain",
            "    state_dict .pth) --tokenizer tokenizer.json (RoBERTa byte-level BPE, HuggingFace format) and, for a VQA head,",
            "    --label2ans FILE (its answers by class: a JSON list or an {answer: index} map; VQAv2 has 3,129);",
            "    writes config.json (\"family\": \"meter\"), model.safetensors (source dtype, or --dtype f32|f16), tokenizer.json,",
            "    label2ans.json. Sizes are read from the tensors' shapes; every tensor the model reads is checked by name and shape.",
            "Inputs may be any Hadoop URI (file:, hdfs:, s3a:); the output is a local directory, written to a hidden sibling",
            "folder, verified (shapes and CRC32 per tensor) and only then moved into place.",
            "LaVIN formats read: Meta LLaMA params.json + consolidated.NN.pth shards (tensor-parallel shards are joined),",
            "the EAS/LaVIN adapter checkpoint .pth ({'model': {...}}, 'module.' prefixes), OpenAI CLIP ViT-L-14.pt (TorchScript).",
            "The adapter may also be a training checkpoint as LaVIN's save_model writes it (model, optimizer, args, ...) or a",
            "PyTorch Lightning .ckpt (its state_dict is read; hyper-parameters, optimizer and loop state are ignored).",
            "Pickles are never executed: only tensors, dicts, lists, tuples, primitives and these plain-data classes are read,",
            "as inert records: " + ReadOptions.INERT_CLASSES + ". Any other class is refused by name unless",
            "--allow-global names it (it then becomes an inert record too: nothing is ever called); names that can run code",
            "(os, subprocess, builtins.eval/exec/getattr, pickle.loads, ...) are refused whatever is allowed."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:converted and verified", "1:an input could not be read or the output not written", "2:bad arguments or inputs that do not fit together"})
public final class ConvertCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--family", defaultValue = "lavin", paramLabel = "lavin|meter",
            description = "model family of the checkpoints (default: ${DEFAULT-VALUE})")
    String family;
    @Option(names = "--llama", paramLabel = "DIR",
            description = "lavin: directory with Meta's params.json and consolidated.NN.pth (e.g. LLaMA-7B/); required")
    String llama;
    @Option(names = "--adapter", paramLabel = "FILE", description = "lavin: the EAS adapter checkpoint (.pth); required")
    String adapter;
    @Option(names = "--checkpoint", paramLabel = "FILE",
            description = "meter: the METER(-EAS) checkpoint, a Lightning .ckpt or a state_dict .pth; required")
    String checkpoint;
    @Option(names = "--label2ans", paramLabel = "FILE",
            description = "meter: the VQA answers by class (JSON list or {answer: index}); required when the checkpoint has a VQA head")
    String label2ans;
    @Option(names = "--max-text-len", defaultValue = "50",
            description = "meter: L, every question is padded to exactly L tokens (default: ${DEFAULT-VALUE}, VQAv2 and NLVR2; F30K 40)")
    int maxTextLen;
    @Option(names = "--head-dim", defaultValue = "64", description = "meter: attention head size (default: ${DEFAULT-VALUE}, METER-base)")
    int headDim;
    @Option(names = "--dtype", paramLabel = "f32|f16", description = "meter: store the weights as fp32 or fp16 (default: as in the checkpoint)")
    String dtype;
    @Option(names = "--clip", paramLabel = "FILE", description = "OpenAI CLIP image tower (ViT-L-14.pt); omit for a text-only model")
    String clip;
    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "lavin: LLaMA tokenizer.model (default: tokenizer.model next to --llama, or in its parent);"
                    + " meter: RoBERTa's tokenizer.json (required)")
    String tokenizer;
    @Option(names = "--skip-plan", paramLabel = "PLAN", defaultValue = "",
            description = "0-based layers whose MHA is skipped, stored with the model; the checkpoint holds none (LaVIN-EAS-7B: 19,21-31)")
    String skipPlan;
    @Option(names = "--max-seq-len", defaultValue = "512", description = "context limit (default: ${DEFAULT-VALUE}, as the original)")
    int maxSeqLen;
    @Option(names = "--visual-tokens", defaultValue = "6", description = "class-token taps of the image tower (default: ${DEFAULT-VALUE})")
    int visualTokens;
    @Option(names = "--vision-head-dim", defaultValue = "64", description = "image tower head size (default: ${DEFAULT-VALUE}, CLIP's)")
    int visionHeadDim;
    @Option(names = "--allow-global", split = ",", paramLabel = "module.Name",
            description = "read this class or function of a trusted checkpoint as an inert record (repeatable or comma-separated)")
    List<String> allowGlobals = new ArrayList<>();
    @Option(names = "--allow-broadcast-tensors",
            description = "read tensors that view more bytes than their storage holds (stride-0 broadcasts) and lift the bound of"
                    + " output bytes by input bytes (" + ImportPlan.MAX_OUTPUT_PER_INPUT_BYTE + "x)")
    boolean allowBroadcastTensors;
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "native model directory to write (local)")
    Path output;
    @Option(names = "--overwrite", description = "replace an existing --output, if it is empty or a finished convert output")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (ModelFamily.ofFlag(family) == ModelFamily.METER) {
            return convertMeter(out);
        }
        refuse("--checkpoint", checkpoint, "meter");
        refuse("--label2ans", label2ans, "meter");
        refuse("--dtype", dtype, "meter");
        require("--llama", llama, "lavin");
        require("--adapter", adapter, "lavin");
        OutputGuard.prepareLocal(output, overwrite, "convert", List.of(new OutputGuard.Read("--llama", llama),
                new OutputGuard.Read("--adapter", adapter), new OutputGuard.Read("--clip", clip), new OutputGuard.Read("--tokenizer", tokenizer)),
                OutputGuard.hasAll(NativeModelWriter.CONFIG, NativeModelWriter.WEIGHTS));
        Configuration conf = new Configuration();
        ReadOptions options = new ReadOptions(Set.copyOf(allowGlobals), allowBroadcastTensors);
        List<TorchCheckpoint> inputs = new ArrayList<>();
        List<CheckpointTensors> shards = new ArrayList<>();
        org.apache.hadoop.fs.Path llamaDir = new org.apache.hadoop.fs.Path(llama);
        FileSystem fs = llamaDir.getFileSystem(conf);
        org.apache.hadoop.fs.Path params = new org.apache.hadoop.fs.Path(llamaDir, "params.json");
        if (!fs.exists(params)) {
            throw new IllegalArgumentException("--llama " + llama + " has no params.json");
        }
        List<HadoopInputFile> shardFiles = HadoopInputFile.list(fs, llamaDir, "consolidated\\.\\d+\\.pth"); // names a link loop
        if (shardFiles.isEmpty()) {
            throw new IllegalArgumentException("--llama " + llama + " has no consolidated.NN.pth shards");
        }
        for (HadoopInputFile shard : shardFiles) {
            shards.add(opened(inputs, TorchCheckpoint.open(shard, options)));
        }
        MetaLlamaImport meta = new MetaLlamaImport(new String(readAll(HadoopInputFile.of(params.toString(), conf)), StandardCharsets.UTF_8), shards);
        EasAdapterImport adapters = new EasAdapterImport(opened(inputs, TorchCheckpoint.open(HadoopInputFile.of(adapter, conf), options)));
        ClipImport vision = clip == null ? null
                : new ClipImport(opened(inputs, TorchCheckpoint.openTorchScript(HadoopInputFile.of(clip, conf), options)));
        LavinImport.Result plan = LavinImport.plan(meta, adapters, vision, maxSeqLen, visualTokens, visionHeadDim, skipPlan);
        LavinConfig config = plan.config();
        out.printf(Locale.ROOT, "convert: dim %d, %d layers, FFN %d, vocab %d, %s, plan %s: %d tensors from %d shard(s)%n",
                config.text().dim(), config.text().nLayers(), config.text().ffnHidden(), config.text().vocabSize(),
                config.vision() == null ? "text only" : "image tower " + config.vision().layers() + " blocks",
                config.skipPlan().isEmpty() ? "none" : config.skipPlan(), plan.plan().tensors().size(), shards.size());
        if (!plan.plan().unused().isEmpty()) {
            out.println("convert: not used by the model: " + String.join(", ", plan.plan().unused()));
        }
        if (!allowBroadcastTensors) { // before any byte is written: a few KB of views must not become gigabytes
            plan.plan().requireOutputWithin(inputs.stream().mapToLong(TorchCheckpoint::fileBytes).sum());
        }
        byte[] tok = readTokenizer(fs, llamaDir, conf, out);
        long t0 = System.nanoTime();
        long[] done = {0, System.nanoTime()};
        // staged in a sibling folder and moved into place once verified: a failure leaves no partial model behind
        NativeModelWriter.Written written = NativeModelWriter.writeVerified(output, config, plan.plan().tensors(), tok, (i, n, name, bytes) -> {
            done[0] += bytes;
            long now = System.nanoTime();
            if (i == n || now - done[1] > 10_000_000_000L) { // a progress line at least every 10 s
                done[1] = now;
                double s = (now - t0) / 1e9;
                out.printf(Locale.ROOT, "  [%d/%d] %s  %.1f MiB written, %.1f MiB/s%n", i, n, name, done[0] / 1048576.0,
                        done[0] / 1048576.0 / Math.max(s, 1e-9));
            }
        });
        out.printf(Locale.ROOT, "convert: wrote and verified %d tensors (%.1f MiB, CRC32 per tensor) in %s in %.1f s%n",
                written.shapes().size(), written.bytes() / 1048576.0, output, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private int convertMeter(PrintWriter out) throws IOException {
        refuse("--llama", llama, "lavin");
        refuse("--adapter", adapter, "lavin");
        refuse("--clip", clip, "lavin");
        refuse("--skip-plan", skipPlan.isEmpty() ? null : skipPlan, "lavin"); // METER's skip set is chosen at inference
        require("--checkpoint", checkpoint, "meter");
        require("--tokenizer", tokenizer, "meter");
        DType storeAs = dtype == null ? null : switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32", "fp32", "float32" -> DType.F32;
            case "f16", "fp16", "float16" -> DType.F16;
            default -> throw new IllegalArgumentException("--dtype must be f32 or f16: " + dtype);
        };
        OutputGuard.prepareLocal(output, overwrite, "convert", List.of(new OutputGuard.Read("--checkpoint", checkpoint),
                new OutputGuard.Read("--tokenizer", tokenizer), new OutputGuard.Read("--label2ans", label2ans)),
                OutputGuard.hasAll(NativeModelWriter.CONFIG, NativeModelWriter.WEIGHTS));
        return MeterConvert.run(new MeterConvert.Request(checkpoint, tokenizer, label2ans, headDim, maxTextLen, storeAs,
                new ReadOptions(Set.copyOf(allowGlobals), allowBroadcastTensors), allowBroadcastTensors, output), out);
    }

    /** A flag of the other family is a mistake worth one line, not silently ignored. */
    private void refuse(String flag, String value, String familyOfFlag) {
        if (value != null) {
            throw new IllegalArgumentException(flag + " is for --family " + familyOfFlag + " but --family is " + family);
        }
    }

    private void require(String flag, String value, String familyOfFlag) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(flag + " is required for --family " + familyOfFlag);
        }
    }

    private static TorchCheckpointTensors opened(List<TorchCheckpoint> inputs, TorchCheckpoint checkpoint) {
        inputs.add(checkpoint);
        return new TorchCheckpointTensors(checkpoint);
    }

    private byte[] readTokenizer(FileSystem fs, org.apache.hadoop.fs.Path llamaDir, Configuration conf, PrintWriter out) throws IOException {
        if (tokenizer != null) {
            return readAll(HadoopInputFile.of(tokenizer, conf));
        }
        for (org.apache.hadoop.fs.Path p : new org.apache.hadoop.fs.Path[] {
            new org.apache.hadoop.fs.Path(llamaDir, "tokenizer.model"), new org.apache.hadoop.fs.Path(llamaDir.getParent(), "tokenizer.model")}) {
            if (p != null && fs.exists(p)) {
                return readAll(new HadoopInputFile(fs, p));
            }
        }
        out.println("convert: no tokenizer.model found (give --tokenizer); the model directory will need one before inference");
        return null;
    }

    private static byte[] readAll(HadoopInputFile f) throws IOException {
        try {
            return NativeModelDirectory.readSmall(f);
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException(f.location() + " does not exist", e);
        }
    }
}
