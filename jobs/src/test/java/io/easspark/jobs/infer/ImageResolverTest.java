package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.RowStatus;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image confinement without Spark: what each hostile path under {@code --image-root} becomes. Every case returns
 * quickly with a status (a FIFO would block an open forever, /dev/zero would fill the heap) and no message quotes
 * the target's bytes.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class ImageResolverTest {

    static final String SECRET = "SECRET-TOKEN-do-not-leak";
    static final long LIMIT = 1 << 20;

    @TempDir
    Path tmp;
    Path root;
    Path outside;

    @BeforeEach
    void layout() throws Exception {
        root = Files.createDirectories(tmp.resolve("root"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.write(root.resolve("ok.png"), png());
        Files.write(outside.resolve("private.png"), png());
        Files.writeString(outside.resolve("secret.txt"), SECRET);
        Files.createSymbolicLink(root.resolve("link-out.png"), outside.resolve("private.png"));
        Files.createSymbolicLink(root.resolve("dir-out"), outside);
        Files.createSymbolicLink(root.resolve("secret.png"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("zero.png"), Path.of("/dev/zero"));
        Files.createSymbolicLink(root.resolve("loop.png"), root.resolve("loop.png"));
        Files.createDirectories(root.resolve("folder.png"));
        Files.createDirectories(root.resolve("sub"));
        Files.write(root.resolve("sub/inner.png"), png());
        Files.createSymbolicLink(root.resolve("link-in.png"), root.resolve("sub/inner.png"));
        mkfifo(root.resolve("fifo.png"));
    }

    ImageResolver resolver(long limit) {
        return new ImageResolver(root.toString(), new Configuration(), limit);
    }

    @Test
    void aRegularImageAndALinkInsideTheRootAreRead() throws Exception {
        assertThat(resolver(LIMIT).read("ok.png").bytes()).isEqualTo(png());
        assertThat(resolver(LIMIT).read("link-in.png").bytes()).isEqualTo(png());
        assertThat(resolver(LIMIT).read("sub/inner.png").status()).isNull();
    }

    @Test
    void linksOutOfTheRootAreMissingWithoutTheTargetsContent() {
        for (String ref : new String[] {"link-out.png", "dir-out/private.png", "secret.png", "zero.png"}) {
            ImageResolver.Result r = resolver(LIMIT).read(ref);
            assertThat(r.bytes()).as(ref).isNull();
            assertThat(r.status()).as(ref).isEqualTo(RowStatus.IMAGE_MISSING);
            assertThat(r.problem()).as(ref).contains("resolves outside --image-root").doesNotContain(SECRET)
                    .doesNotContain(outside.toString());
        }
    }

    @Test
    void nonRegularFilesAreRefusedBeforeOpening() {
        for (String ref : new String[] {"fifo.png", "folder.png"}) {
            ImageResolver.Result r = resolver(LIMIT).read(ref);
            assertThat(r.status()).as(ref).isEqualTo(RowStatus.IMAGE_MISSING);
            assertThat(r.problem()).as(ref).contains("is not a regular file");
        }
        // without a root, a device is still refused (it would otherwise be read to the limit)
        ImageResolver.Result dev = new ImageResolver(null, new Configuration(), LIMIT).read("/dev/zero");
        assertThat(dev.status()).isEqualTo(RowStatus.IMAGE_MISSING);
        assertThat(dev.problem()).contains("is not a regular file");
    }

    @Test
    void missingDanglingAndLoopingPathsAreMissing() throws Exception {
        Files.createSymbolicLink(root.resolve("dangling.png"), outside.resolve("gone.png"));
        assertThat(resolver(LIMIT).read("nope.png").problem()).contains("does not exist");
        assertThat(resolver(LIMIT).read("dangling.png").problem()).contains("does not exist");
        assertThat(resolver(LIMIT).read("loop.png").status()).isEqualTo(RowStatus.IMAGE_MISSING);
        assertThat(resolver(LIMIT).read("../outside/private.png").problem()).contains("escapes --image-root");
    }

    @Test
    void anImageOverTheByteLimitIsTooLarge() throws Exception {
        byte[] png = png();
        ImageResolver.Result r = resolver(png.length - 1).read("ok.png");
        assertThat(r.bytes()).isNull();
        assertThat(r.status()).isEqualTo(RowStatus.IMAGE_TOO_LARGE);
        assertThat(r.problem()).contains("--max-image-bytes").contains(String.valueOf(png.length));
        assertThat(resolver(png.length).read("ok.png").bytes()).hasSize(png.length);
    }

    @Test
    void aStorageThatDoesNotAnswerFailsTheReadInsteadOfGivingAStatus() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: connections to it are refused
        }
        Configuration c = s3aAt(new Configuration(), port);
        c.setInt("fs.s3a.attempts.maximum", 1);
        c.setInt("fs.s3a.retry.limit", 1);
        c.set("fs.s3a.retry.interval", "10ms");
        ImageResolver s3 = new ImageResolver("s3a://bucket/images", c, LIMIT);
        assertThatThrownBy(() -> s3.read("a.png"))
                .isInstanceOf(ImageResolver.ImageReadFailure.class)
                .hasMessageContaining("reading image s3a://bucket/images/a.png failed")
                .hasMessageNotContaining("\n");
    }

    /** S3A pointed at a loopback port: path style, static keys, no bucket probe, no cached filesystem. */
    static Configuration s3aAt(Configuration c, int port) {
        c.set("fs.s3a.endpoint", "http://127.0.0.1:" + port);
        c.set("fs.s3a.endpoint.region", "us-east-1");
        c.setBoolean("fs.s3a.path.style.access", true);
        c.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        c.set("fs.s3a.access.key", "k");
        c.set("fs.s3a.secret.key", "s");
        c.setInt("fs.s3a.bucket.probe", 0);
        c.setBoolean("fs.s3a.impl.disable.cache", true);
        return c;
    }

    static void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", p.toString()).inheritIO().start();
        assertThat(mk.waitFor()).isZero();
    }

    static byte[] png() throws Exception {
        java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(8, 8, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
