package io.easspark.jobs.scienceqa;

import io.easspark.jobs.output.OutputGuard;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code eas gen-scienceqa}: the generated benchmark in ScienceQA's layout (read back with --input-format scienceqa). */
@Command(name = "gen-scienceqa", mixinStandardHelpOptions = true,
        description = {"Write a seeded, generated multiple-choice benchmark in ScienceQA's layout: problems.json,",
            "pid_splits.json and images/<split>/<pid>/image.png. IMG questions need the picture, TXT questions the hint,",
            "NO questions a fixed table of facts that recurs across the splits."})
public final class GenScienceQaCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;
    @Option(names = "--output", required = true, description = "folder to write the layout into; must not exist unless --overwrite")
    Path output;
    @Option(names = "--overwrite", description = "replace an existing --output, if it is empty or a finished gen-scienceqa output")
    boolean overwrite;
    @Option(names = "--seed", defaultValue = "14", description = "(default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--train", defaultValue = "40000",
            description = "training problems; many, so that a small model sees each one fewer times (docs/TUNING.md) (default: ${DEFAULT-VALUE})")
    int train;
    @Option(names = "--val", defaultValue = "1000", description = "(default: ${DEFAULT-VALUE})")
    int val;
    @Option(names = "--test", defaultValue = "1000", description = "(default: ${DEFAULT-VALUE})")
    int test;
    @Option(names = "--image-size", defaultValue = "64", description = "picture side in pixels (default: ${DEFAULT-VALUE})")
    int imageSize;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        // like every command: never write into a folder this command did not make (ErrorIfExists)
        OutputGuard.prepareLocal(output, overwrite, "gen-scienceqa", List.of(), OutputGuard.hasAll("problems.json", "pid_splits.json"));
        Map<String, Integer> sizes = ScienceQaGenerator.write(output, new ScienceQaGenerator.Spec(seed, train, val, test, imageSize));
        PrintWriter out = spec.commandLine().getOut();
        out.printf(java.util.Locale.ROOT, "gen-scienceqa: wrote %s problems (%s) to %s in %.1f s; read it with --input %s --input-format scienceqa --split test%n",
                sizes.values().stream().mapToInt(Integer::intValue).sum(), sizes, output, (System.nanoTime() - t0) / 1e9, output);
        return 0;
    }
}
