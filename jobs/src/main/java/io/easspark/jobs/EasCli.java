package io.easspark.jobs;

import io.easspark.jobs.convert.ConvertCommand;
import io.easspark.jobs.demo.DemoCommand;
import io.easspark.jobs.calibrate.CalibrateBench;
import io.easspark.jobs.calibrate.CalibrateCommand;
import io.easspark.jobs.evaluate.EvaluateCommand;
import io.easspark.jobs.infer.InferBench;
import io.easspark.jobs.infer.ImageResolver;
import io.easspark.jobs.infer.InferCommand;
import io.easspark.jobs.infer.RowsNotAnsweredException;
import io.easspark.jobs.scienceqa.GenScienceQaCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code eas <command>}: the entry point of the jobs jar. Exit codes: 0 ok, 1 failure, 2 bad input, 3 rows not answered. */
@Command(name = "eas", mixinStandardHelpOptions = true, version = "eas-spark 0.1.0",
        description = "eas-spark: LaVIN-EAS batch inference tools.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:done", "1:the job failed", "2:bad arguments or input, refused before anything is written",
            "3:infer wrote its output, but no row is ok or more than --max-error-fraction are not"},
        subcommands = {InferCommand.class, EvaluateCommand.class, CalibrateCommand.class, DemoCommand.class, GenScienceQaCommand.class, io.easspark.jobs.tune.TuneCommand.class, ConvertCommand.class, InferBench.class, CalibrateBench.class, CommandLine.HelpCommand.class})
public final class EasCli {

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int BAD_INPUT = 2;
    /** The output is written but a scheduler should not call the run a success (RowsNotAnsweredException). */
    public static final int ROWS_NOT_ANSWERED = 3;

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
        cmd.setExitCodeExceptionMapper(EasCli::exitCode);
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
            return exitCode(e);
        });
        return cmd.execute(args);
    }

    static int exitCode(Throwable e) {
        return e instanceof RowsNotAnsweredException ? ROWS_NOT_ANSWERED : e instanceof IllegalArgumentException ? BAD_INPUT : FAILED;
    }

    /**
     * The reason on one line. A failed Spark job's message carries the executor's stack trace; when the root of it
     * is a storage failure we raised (a transient image read that Spark retried in vain), that names the path and
     * the cause and is the line to show.
     */
    public static String oneLine(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ImageResolver.ImageReadFailure) {
                return c.getMessage().replace('\n', ' ');
            }
        }
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }
}
