package io.easspark.jobs.infer;

import picocli.CommandLine.Option;

/** How rows are answered: the model and decoding settings shared by infer and evaluate. */
public final class AnsweringMixin {

    @Option(names = "--model", required = true, description = "native model directory (any Hadoop URI)")
    String model;
    @Option(names = "--reparam", defaultValue = "lowrank", description = "lowrank, merged (batch 1) or static (default: ${DEFAULT-VALUE})")
    String reparam;
    @Option(names = "--batch-size", defaultValue = "8", description = "(default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--max-new-tokens", defaultValue = "64", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;
    @Option(names = "--prompt-format", defaultValue = "qcm", description = "qcm (options) or vqa (free form) (default: ${DEFAULT-VALUE})")
    String promptFormat;
    @Option(names = "--device", defaultValue = "auto", description = "cpu, gpu or auto (default: ${DEFAULT-VALUE})")
    String device;
    @Option(names = "--cross-task-batching", defaultValue = "auto",
            description = "auto, on or off: tasks of one executor share full batches on its device; auto = on a GPU only (default: ${DEFAULT-VALUE})")
    String crossTaskBatching;
    @Option(names = "--progress-seconds", defaultValue = "10", description = "seconds between progress lines; 0 = none (default: ${DEFAULT-VALUE})")
    int progressSeconds;
    @Option(names = "--kv-budget-mib", defaultValue = "0", description = {"size batches by KV-cache memory instead of --batch-size:",
        "rows per batch = budget / one row's KV cache at max_seq_len; skipped layers keep no cache, so EAS fits more rows (0 = off)"})
    int kvBudgetMib;
    @Option(names = "--master", description = "Spark master when not run by spark-submit (default: local[*])")
    String master;

    public String model() {
        return model;
    }

    public String master() {
        return master;
    }

    /** Applies these settings to options built from the input. */
    public InferOptions.Builder apply(InferOptions.Builder b) {
        if (progressSeconds < 0) {
            throw new IllegalArgumentException("--progress-seconds must be >= 0: " + progressSeconds);
        }
        return b.reparam(reparam).batchSize(batchSize).maxNewTokens(maxNewTokens).promptFormat(promptFormat).device(device)
                .crossTaskBatching(crossTaskBatching).progressSeconds(progressSeconds).kvBudgetMib(kvBudgetMib);
    }
}
