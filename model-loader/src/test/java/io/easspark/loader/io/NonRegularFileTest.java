package io.easspark.loader.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.easspark.loader.hadoop.HadoopInputFile;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A FIFO, a directory or a link loop given as an input is refused at once, by name, before it is opened. */
class NonRegularFileTest {

    /** Opening a FIFO blocks forever; a refusal takes milliseconds. */
    static final Duration FAST = Duration.ofSeconds(5);

    @Test
    void fifoIsRefusedBeforeItIsOpened(@TempDir Path dir) throws Exception {
        Path fifo = Fifo.make(dir.resolve("consolidated.00.pth"));
        assertTimeoutPreemptively(FAST, () -> {
            assertThatThrownBy(() -> new LocalInputFile(fifo).open())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("file " + fifo + " is a FIFO, socket or device, not a regular file");
            assertThatThrownBy(() -> HadoopInputFile.of(fifo.toUri().toString(), new Configuration()).open())
                    .hasMessageContaining("is a FIFO, socket or device, not a regular file");
            // a plain path (no scheme) goes through Hadoop's default, local filesystem: Hadoop calls a FIFO a file
            assertThatThrownBy(() -> HadoopInputFile.of(fifo.toString(), new Configuration()).length())
                    .hasMessageContaining("is a FIFO, socket or device, not a regular file");
        });
    }

    @Test
    void symlinksToFilesAreReadAndLoopsAreNamed(@TempDir Path dir) throws Exception {
        Path real = Files.write(dir.resolve("real.pth"), new byte[] {1, 2, 3});
        Path link = Files.createSymbolicLink(dir.resolve("consolidated.00.pth"), real);
        assertThat(new LocalInputFile(link).length()).isEqualTo(3);
        Path loop = dir.resolve("consolidated.01.pth");
        Files.createSymbolicLink(loop, loop);
        assertThatThrownBy(() -> new LocalInputFile(loop).length())
                .hasMessage("file " + loop + " is a symbolic link that resolves to no file (dangling or a loop)");
        assertThatThrownBy(() -> new LocalInputFile(dir.resolve("none.pth")).open())
                .isInstanceOf(FileNotFoundException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> new LocalInputFile(dir).open()).hasMessageContaining("is a directory, not a regular file");
    }

    @Test
    void listingNamesAShardThatIsALinkLoopInsteadOfSkippingIt(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("consolidated.00.pth"), new byte[] {1});
        Path loop = dir.resolve("consolidated.01.pth");
        Files.createSymbolicLink(loop, loop);
        Files.write(dir.resolve("params.json"), new byte[] {1});
        org.apache.hadoop.fs.Path hdir = new org.apache.hadoop.fs.Path(dir.toUri());
        FileSystem fs = hdir.getFileSystem(new Configuration());
        assertThatThrownBy(() -> HadoopInputFile.list(fs, hdir, "consolidated\\.\\d+\\.pth"))
                .hasMessage("file " + loop + " is a symbolic link that resolves to no file (dangling or a loop)");
        Files.delete(loop);
        List<HadoopInputFile> shards = HadoopInputFile.list(fs, hdir, "consolidated\\.\\d+\\.pth");
        assertThat(shards).extracting(HadoopInputFile::location).containsExactly(new org.apache.hadoop.fs.Path(dir.resolve("consolidated.00.pth").toUri()).toString());
    }
}
