package io.easspark.loader.s3;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;

/**
 * s3proxy (filesystem backend) in its own JVM on 127.0.0.1 and a free port, started and stopped by the test. Buckets
 * are folders under the base directory.
 */
public final class S3Proxy implements AutoCloseable {

    public static final String ACCESS_KEY = "local-identity";
    public static final String SECRET_KEY = "local-credential";

    private volatile Process process;
    final int port;
    final Path baseDir;
    private final Path jar;
    private final Path work;

    private S3Proxy(Process process, int port, Path baseDir, Path jar, Path work) {
        this.process = process;
        this.port = port;
        this.baseDir = baseDir;
        this.jar = jar;
        this.work = work;
    }

    public static S3Proxy start(Path work, String... buckets) throws IOException, InterruptedException {
        // Surefire runs in the module folder (this one's, or jobs' next to it); the load benchmark from the root
        Path jar = Path.of("target/s3proxy/s3proxy.jar");
        for (String other : new String[] {"model-loader/target/s3proxy/s3proxy.jar", "../model-loader/target/s3proxy/s3proxy.jar"}) {
            if (!Files.isRegularFile(jar)) {
                jar = Path.of(other);
            }
        }
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " is missing: the build copies it at process-test-resources");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path base = work.resolve("s3");
        for (String b : buckets) {
            Files.createDirectories(base.resolve(b));
        }
        return new S3Proxy(launch(jar, work, port, base), port, base, jar, work);
    }

    private static Process launch(Path jar, Path work, int port, Path base) throws IOException, InterruptedException {
        Path props = work.resolve("s3proxy.conf");
        Files.writeString(props, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + SECRET_KEY,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + base.toAbsolutePath()) + "\n");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx256m", "-jar", jar.toString(), "--properties", props.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("s3proxy.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("s3proxy exited: " + Files.readString(work.resolve("s3proxy.log")));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return p;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("s3proxy did not listen on 127.0.0.1:" + port + " within 60 s");
    }

    /** S3A settings for this endpoint: path-style, plain HTTP, static keys, few retries (a test should fail fast). */
    public Configuration hadoopConf() {
        Configuration c = new Configuration();
        c.set("fs.s3a.endpoint", "http://127.0.0.1:" + port);
        c.set("fs.s3a.endpoint.region", "us-east-1");
        c.setBoolean("fs.s3a.path.style.access", true);
        c.setBoolean("fs.s3a.connection.ssl.enabled", false);
        c.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        c.set("fs.s3a.access.key", ACCESS_KEY);
        c.set("fs.s3a.secret.key", SECRET_KEY);
        c.setInt("fs.s3a.attempts.maximum", 1);
        c.setInt("fs.s3a.retry.limit", 1);
        c.set("fs.s3a.retry.interval", "100ms");
        c.setInt("fs.s3a.bucket.probe", 0);
        c.set("fs.s3a.change.detection.mode", "none");
        c.setBoolean("fs.s3a.impl.disable.cache", true);
        return c;
    }

    /** An outage: the endpoint refuses connections until {@link #restart()}; the bucket's files stay. */
    public void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    /** The endpoint back, on the same port and the same folder, after {@link #stop()}. */
    public void restart() throws IOException, InterruptedException {
        process = launch(jar, work, port, baseDir);
    }

    /** The filesystem backend's folder: one subfolder per bucket. */
    public Path baseDir() {
        return baseDir;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
