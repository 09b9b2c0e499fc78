package io.easspark.clusterit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * eas-jobs-spark.jar is the thin jar's runtime classpath minus what a Spark installation has: every class the job
 * needs is in it or in {@code $SPARK_HOME/jars}, and none is in both (executors would load Spark's copy, or ours under
 * {@code spark.executor.userClassPathFirst}, so the job would run against versions it was not built with).
 */
class ShadedJarIT {

    /**
     * Jars of the thin classpath whose API Spark serves from another jar: commons-logging comes through
     * jcl-over-slf4j, which has the API but not commons-logging's own back-ends.
     */
    private static final Set<String> REPLACED_BY_SPARK = Set.of("commons-logging");

    private final Path shaded = LocalCluster.file("eas.spark.job.jar");

    @Test
    void holdsNoClassThatSparkHasAndEveryClassTheJobNeedsThatSparkLacks() throws IOException {
        Set<String> mine = classes(shaded);
        Map<String, String> spark = new HashMap<>();
        for (Path jar : jars(LocalCluster.sparkHome().resolve("jars"))) {
            classes(jar).forEach(c -> spark.put(c, jar.getFileName().toString()));
        }
        Map<String, List<String>> both = new TreeMap<>();
        mine.stream().filter(spark::containsKey).forEach(c -> both.computeIfAbsent(spark.get(c), j -> new ArrayList<>()).add(c));
        assertThat(summary(both)).as("Spark jars with classes that eas-jobs-spark.jar has too (exclude them in jobs/pom.xml)")
                .isEmpty();

        Map<String, List<String>> missing = new TreeMap<>();
        for (Path jar : thinClasspath(LocalCluster.file("eas.jobs.thin.jar"))) {
            String name = jar.getFileName().toString();
            if (REPLACED_BY_SPARK.stream().noneMatch(name::startsWith)) {
                classes(jar).stream().filter(c -> !mine.contains(c) && !spark.containsKey(c))
                        .forEach(c -> missing.computeIfAbsent(name, j -> new ArrayList<>()).add(c));
            }
        }
        assertThat(summary(missing)).as("jars of the thin classpath with classes in neither eas-jobs-spark.jar nor Spark")
                .isEmpty();
    }

    @Test
    void carriesLibtorchAndMergedServiceFilesButNoSignatures() throws IOException {
        try (JarFile jar = new JarFile(shaded.toFile())) {
            assertThat(jar.getEntry("pytorch/cpu/linux-x86_64/libtorch_cpu.so")).as("CPU libtorch").isNotNull();
            assertThat(jar.getEntry("jnilib/linux-x86_64/cpu/libdjl_torch.so")).as("DJL's JNI bridge").isNotNull();
            assertThat(jar.getEntry("native/lib/linux-x86_64/libsentencepiece_native.so")).as("SentencePiece").isNotNull();
            // DJL finds its engine, and ImageIO the JPEG and WebP readers, through these
            assertThat(text(jar, "META-INF/services/ai.djl.engine.EngineProvider")).contains("ai.djl.pytorch.engine.PtEngineProvider");
            assertThat(text(jar, "META-INF/services/javax.imageio.spi.ImageReaderSpi"))
                    .contains("com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi")
                    .contains("com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi");
            assertThat(jar.stream().map(ZipEntry::getName).filter(n -> n.matches("META-INF/[^/]+\\.(SF|DSA|RSA|EC)")))
                    .as("signature files").isEmpty();
            Attributes manifest = jar.getManifest().getMainAttributes();
            assertThat(manifest.getValue("Main-Class")).isEqualTo("io.easspark.jobs.EasCli");
            assertThat(manifest.getValue("Class-Path")).as("the thin jar's lib/ classpath").isNull();
        }
    }

    /** One line per jar: its name, how many classes, one of them. */
    private static List<String> summary(Map<String, List<String>> classesByJar) {
        return classesByJar.entrySet().stream()
                .map(e -> e.getKey() + ": " + e.getValue().size() + " classes, e.g. " + e.getValue().get(0)).toList();
    }

    /** What {@code java -jar eas-jobs.jar} runs: the jar and its manifest's Class-Path (lib/ may hold stale jars). */
    private static List<Path> thinClasspath(Path thinJar) throws IOException {
        try (JarFile jar = new JarFile(thinJar.toFile())) {
            String classPath = jar.getManifest().getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            return Stream.concat(Stream.of(thinJar), Arrays.stream(classPath.split(" ")).map(thinJar::resolveSibling)).toList();
        }
    }

    private static List<Path> jars(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
        }
    }

    /** Class files by entry name, without module descriptors (a merged jar drops them; see jobs/pom.xml). */
    private static Set<String> classes(Path jar) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            Set<String> names = new TreeSet<>();
            zip.stream().map(ZipEntry::getName).filter(n -> n.endsWith(".class") && !n.endsWith("module-info.class"))
                    .forEach(names::add);
            return names;
        }
    }

    private static String text(JarFile jar, String entry) throws IOException {
        ZipEntry e = jar.getEntry(entry);
        assertThat(e).as(entry).isNotNull();
        try (InputStream in = jar.getInputStream(e)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
