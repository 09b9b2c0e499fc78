package io.easspark.jobs.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guard's path logic without Spark: globs, other filesystems, whole path components. */
class OutputGuardTest {

    static OutputGuard.Checked check(Path out, OutputGuard.Existing existing, OutputGuard.Read... reads) throws Exception {
        return OutputGuard.check(new Configuration(), "--output", out.toString(), List.of(reads), existing, "infer",
                OutputGuard.hasAll("_SUCCESS"));
    }

    @Test
    void aGlobInputProtectsTheFolderItReadsUnder(@TempDir Path tmp) throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data/2024-01"));
        Files.writeString(data.resolve("q.jsonl"), "{}\n");
        assertThatThrownBy(() -> check(tmp.resolve("data"), OutputGuard.Existing.KEEP,
                new OutputGuard.Read("--input", tmp.resolve("data") + "/2024-*/q.jsonl")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("is --input");
        assertThatThrownBy(() -> check(tmp, OutputGuard.Existing.KEEP, new OutputGuard.Read("--input", tmp.resolve("data") + "/*/q.jsonl")))
                .hasMessageContaining("contains --input");
    }

    @Test
    void siblingsWithACommonPrefixAreNotInsideEachOther(@TempDir Path tmp) throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        OutputGuard.Checked c = check(tmp.resolve("data-answers"), OutputGuard.Existing.REFUSE, new OutputGuard.Read("--input", data.toString()));
        assertThat(c.exists()).isFalse();
        assertThat(c.path().toUri().getScheme()).isEqualTo("file");
    }

    @Test
    void anotherFileSystemIsNeverContactedNorCompared(@TempDir Path tmp) throws Exception {
        OutputGuard.Checked c = check(tmp.resolve("answers"), OutputGuard.Existing.REFUSE,
                new OutputGuard.Read("--input", "s3a://bucket" + tmp.resolve("answers")), new OutputGuard.Read("--image-root", null));
        assertThat(c.exists()).isFalse();
    }

    @Test
    void overwriteAcceptsAnEmptyFolderOrAFinishedOneAndClearsIt(@TempDir Path tmp) throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThat(check(empty, OutputGuard.Existing.REFUSE).exists()).isTrue();
        Path finished = Files.createDirectories(tmp.resolve("finished"));
        Files.writeString(finished.resolve("_SUCCESS"), "");
        Files.writeString(finished.resolve("part-0.parquet"), "x");
        OutputGuard.Checked c = check(finished, OutputGuard.Existing.OVERWRITE);
        OutputGuard.clear(c);
        assertThat(finished).isEmptyDirectory();
    }
}
