package io.easspark.jobs;

import io.easspark.jobs.convert.ConvertCommand;
import io.easspark.jobs.demo.DemoCommand;
import io.easspark.jobs.calibrate.CalibrateBench;
import io.easspark.jobs.calibrate.CalibrateCommand;
import io.easspark.jobs.evaluate.EvaluateCommand;
import io.easspark.jobs.infer.InferBench;
import io.easspark.jobs.infer.InferCommand;
import io.easspark.jobs.scienceqa.GenScienceQaCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code eas <command>}: the entry point of the jobs jar. Exit codes: 0 ok, 1 failure, 2 bad input. */
@Command(name = "eas", mixinStandardHelpOptions = true, version = "eas-spark 0.1.0",
        description = "eas-spark: LaVIN-EAS batch inference tools.",
        subcommands = {InferCommand.class, EvaluateCommand.class, CalibrateCommand.class, DemoCommand.class, GenScienceQaCommand.class, ConvertCommand.class, InferBench.class, CalibrateBench.class, CommandLine.HelpCommand.class})
public final class EasCli {

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int BAD_INPUT = 2;

    public static void main(String[] args) {
        // logging goes through Spark's log4j2 binding, configured by log4j2.properties in this jar (or conf/)
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true"); // libtorch comes from the bundled jar; never download
        }
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs a command line with injectable writers (tests read what a user would see). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cmd = new CommandLine(new EasCli());
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setExitCodeExceptionMapper(e -> e instanceof IllegalArgumentException ? BAD_INPUT : FAILED);
        cmd.setParameterExceptionHandler((e, a) -> {
            // short usage errors: the problem and where to look, not the whole help page
            e.getCommandLine().getErr().println("eas: " + e.getMessage());
            e.getCommandLine().getErr().println("try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
            return BAD_INPUT;
        });
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("eas " + c.getCommandName() + ": " + oneLine(e));
            if (Boolean.getBoolean("eas.debug")) {
                e.printStackTrace(c.getErr());
            }
            return e instanceof IllegalArgumentException ? BAD_INPUT : FAILED;
        });
        return cmd.execute(args);
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }
}
