package io.easspark.loader.s3;

import static io.easspark.engine.testing.Close.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.testing.Fixture;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.loader.nativeformat.NativeModelDirectoryTest;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A native model uploaded to S3 (s3proxy on 127.0.0.1) loads through s3a:// and equals the local load. */
class S3ModelLoadTest {

    @Test
    @Timeout(180)
    void modelOnS3LoadsLikeTheLocalCopy(@TempDir Path tmp) throws Exception {
        Fixture f = Fixture.load("lavin_tiny");
        Path local = NativeModelDirectoryTest.writeFixtureModel(f, tmp.resolve("local"));
        try (S3Proxy s3 = S3Proxy.start(tmp, "models")) {
            Configuration conf = s3.hadoopConf();
            String uri = "s3a://models/lavin_tiny";
            try (FileSystem fs = new org.apache.hadoop.fs.Path(uri).getFileSystem(conf)) {
                // plain PUTs (S3A's copyFromLocalFile needs commons-collections, which Spark 4 does not ship)
                try (var files = java.nio.file.Files.list(local)) {
                    for (Path file : files.toList()) {
                        try (var out = fs.create(new org.apache.hadoop.fs.Path(uri + "/" + file.getFileName()), true)) {
                            java.nio.file.Files.copy(file, out);
                        }
                    }
                }
            }
            NativeModelDirectory remote = NativeModelDirectory.open(uri, conf);
            NativeModelDirectory onDisk = NativeModelDirectory.open(local.toUri().toString(), new Configuration());
            assertThat(remote.weightBytes()).isEqualTo(onDisk.weightBytes());
            SkipPlan plan = SkipPlan.of(4, 1, 3);
            try (LavinModel a = remote.load(plan, ReparamMode.LOWRANK, Device.cpu());
                 LavinModel b = onDisk.load(plan, ReparamMode.LOWRANK, Device.cpu());
                 NDManager sa = a.newScope(); NDManager sb = b.newScope()) {
                float[] fromS3 = new BatchGenerator(a).prefillForTest(f.rows(), sa).logits().toFloatArray();
                float[] fromDisk = new BatchGenerator(b).prefillForTest(f.rows(), sb).logits().toFloatArray();
                assertThat(fromS3).containsExactly(fromDisk); // same bytes, same math
                float[] row0 = new BatchGenerator(a).prefillForTest(List.of(f.row(0)), sa).logits().toFloatArray();
                assertClose("s3 row 0 vs reference", row0, f.expected("some_r0_logits").floats(), 1e-4);
            }
        }
    }
}
