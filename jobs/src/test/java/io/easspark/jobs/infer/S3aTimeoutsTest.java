package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * conf/s3a-timeouts.conf bounds a dead endpoint: an S3 endpoint that accepts connections and never answers (the
 * worst case: nothing is refused, every wait runs to its timeout) makes a read fail within tens of seconds, where
 * Hadoop's defaults block for minutes. Through {@link ImageResolver} that failure is thrown, never a row status.
 */
class S3aTimeoutsTest {

    /** What the shipped file promises ("tens of seconds"), with room for a loaded machine. */
    static final long BOUND_SECONDS = 60;

    @Test
    @Timeout(120)
    void aSilentEndpointFailsAReadWithinTensOfSeconds() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            List<Socket> held = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // accepted, then never read nor answered
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Configuration c = ImageResolverTest.s3aAt(shipped(), silent.getLocalPort());
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> new ImageResolver("s3a://bucket/images", c, 1 << 20).read("a.png"))
                    .isInstanceOf(ImageResolver.ImageReadFailure.class);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("s3a read against a silent endpoint failed after %.1f s%n", seconds);
            assertThat(seconds).isLessThan(BOUND_SECONDS);
            for (Socket s : held) {
                s.close();
            }
        }
    }

    /** The fs.s3a.* lines of conf/s3a-timeouts.conf, as spark-submit would pass them to Hadoop. */
    static Configuration shipped() throws IOException {
        Path file = Path.of("../conf/s3a-timeouts.conf");
        Configuration c = new Configuration(false);
        int n = 0;
        for (String line : Files.readAllLines(file)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] kv = t.split("\\s+", 2);
            assertThat(kv[0]).startsWith("spark.hadoop.fs.s3a.");
            c.set(kv[0].substring("spark.hadoop.".length()), kv[1]);
            n++;
        }
        assertThat(n).as("settings in %s", file).isGreaterThanOrEqualTo(5);
        Configuration all = new Configuration();
        c.forEach(e -> all.set(e.getKey(), e.getValue()));
        return all;
    }
}
