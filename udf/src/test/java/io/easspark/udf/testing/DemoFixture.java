package io.easspark.udf.testing;

import ai.djl.Device;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.loader.nativeformat.DemoModel;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;

/** The demo model (seed 7) written to a temporary directory and loaded on the CPU, and small test images. */
public record DemoFixture(Path dir, LavinModel model, LlamaTokenizer tokenizer) implements AutoCloseable {

    public static DemoFixture load() throws Exception {
        Path dir = Files.createTempDirectory("demo-model");
        DemoModel.write(dir, 7);
        NativeModelDirectory d = NativeModelDirectory.open(dir.toUri().toString(), new Configuration());
        LavinModel model = d.load(d.storedPlan(), ReparamMode.LOWRANK, Device.cpu());
        return new DemoFixture(dir, model, d.tokenizer());
    }

    /** A PNG of a filled oval in one colour on black. */
    public static byte[] png(Color color) throws Exception {
        BufferedImage img = new BufferedImage(80, 60, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(color);
        g.fillOval(10, 10, 40, 30);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    @Override
    public void close() {
        tokenizer.close();
        model.close();
    }
}
