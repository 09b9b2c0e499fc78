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
import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.loader.nativeformat.NativeModelWriter;
import io.easspark.loader.pickle.ReadOptions;
import io.easspark.loader.pickle.TorchCheckpoint;
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
 * Imports the original checkpoints — Meta's LLaMA ({@code params.json} + {@code consolidated.NN.pth}), the EAS
 * adapter checkpoint ({@code .pth}) and OpenAI's CLIP ({@code ViT-L-14.pt}) — into a native model directory,
 * tensor by tensor, then verifies it. No pickle is executed: {@code .pth} files are read with an allow-list.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {
            "Convert original LaVIN-EAS checkpoints into a native model directory (config.json, model.safetensors, tokenizer.model).",
            "Inputs may be any Hadoop URI (file:, hdfs:, s3a:); the output is a local directory.",
            "Formats read: Meta LLaMA params.json + consolidated.NN.pth shards (tensor-parallel shards are joined),",
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

    @Option(names = "--llama", required = true, paramLabel = "DIR",
            description = "directory with Meta's params.json and consolidated.NN.pth (e.g. LLaMA-7B/)")
    String llama;
    @Option(names = "--adapter", required = true, paramLabel = "FILE", description = "the EAS adapter checkpoint (.pth)")
    String adapter;
    @Option(names = "--clip", paramLabel = "FILE", description = "OpenAI CLIP image tower (ViT-L-14.pt); omit for a text-only model")
    String clip;
    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "LLaMA tokenizer.model (default: tokenizer.model next to --llama, or in its parent)")
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
