package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.demo.DemoCommand;
import io.easspark.jobs.testing.CliRun;
import io.easspark.loader.nativeformat.MeterDemoModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * infer, evaluate and calibrate given a METER model directory: recognised from config.json's family and refused in
 * one line (exit 2) before any Spark session — not misread as a broken LaVIN model, not failing inside a task.
 */
class MeterModelBeforeSparkTest {

    @Test
    void lavinCommandsRefuseAMeterModelInOneLine(@TempDir Path tmp) throws Exception {
        Path demo = tmp.resolve("demo");
        DemoCommand.write(demo, 3, 7); // LaVIN rows: any valid input will do, the model is refused first
        Path meter = tmp.resolve("meter-model");
        MeterDemoModel.write(meter, 7);
        for (String command : List.of("infer", "evaluate", "calibrate")) {
            List<String> args = new ArrayList<>(List.of(command, "--master", SettingsBeforeSparkTest.NO_SUCH_MASTER, "--input",
                    demo.resolve("data/questions.jsonl").toString(), "--model", meter.toString(), "--output",
                    tmp.resolve(command + "-out").toString()));
            if (command.equals("calibrate")) {
                args.addAll(List.of("--k", "1"));
            }
            CliRun r = CliRun.of(args.toArray(String[]::new));
            assertThat(r.exit()).as(command + ": " + r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as(command).startsWith("eas " + command + ": ")
                    .contains("holds a METER model (config.json \"family\": \"meter\")").contains("LaVIN models only");
            assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
            assertThat(SettingsBeforeSparkTest.sparkAlive()).as("no session was started").isFalse();
            assertThat(Files.exists(tmp.resolve(command + "-out"))).as(command).isFalse();
        }
    }
}
