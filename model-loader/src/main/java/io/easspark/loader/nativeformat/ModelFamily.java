package io.easspark.loader.nativeformat;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.easspark.loader.hadoop.HadoopInputFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Which model a native directory holds, from {@code config.json}'s {@code "family"}: LaVIN directories written before
 * METER existed have no such field and stay LaVIN.
 */
public enum ModelFamily {
    LAVIN("lavin"),
    METER("meter");

    private final String id;

    ModelFamily(String id) {
        this.id = id;
    }

    /** The value of {@code "family"} in config.json and of {@code --family}. */
    public String id() {
        return id;
    }

    /** The family a config.json names; none named is LaVIN. */
    public static ModelFamily ofConfig(String configJson, String location) {
        JsonElement family;
        try {
            JsonElement root = JsonParser.parseString(configJson);
            if (root == null || !root.isJsonObject()) {
                return LAVIN; // not an object: LavinConfig reports what is wrong with it
            }
            family = root.getAsJsonObject().get("family");
        } catch (RuntimeException e) {
            return LAVIN; // not JSON: LavinConfig reports it, as before families existed
        }
        if (family == null || family.isJsonNull()) {
            return LAVIN;
        }
        String name = family.isJsonPrimitive() ? family.getAsString() : family.toString();
        for (ModelFamily f : values()) {
            if (f.id.equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException(location + ": 'family' must be \"lavin\" or \"meter\" but found " + family);
    }

    /** The family of the model directory at {@code uri}. */
    public static ModelFamily ofDirectory(String uri, Configuration conf) throws IOException {
        Path dir = new Path(uri);
        FileSystem fs = dir.getFileSystem(conf);
        if (!fs.exists(dir)) {
            throw new FileNotFoundException("model directory " + uri + " does not exist");
        }
        Path config = new Path(dir, NativeModelWriter.CONFIG);
        if (!fs.exists(config)) {
            throw new FileNotFoundException("model directory " + uri + " has no " + NativeModelWriter.CONFIG
                    + " (convert original checkpoints with the convert command first)");
        }
        return ofConfig(new String(NativeModelDirectory.readSmall(new HadoopInputFile(fs, config)), StandardCharsets.UTF_8),
                config.toString());
    }

    /** A family parsed from {@code --family}; an unknown name fails naming the flag. */
    public static ModelFamily ofFlag(String value) {
        for (ModelFamily f : values()) {
            if (f.id.equalsIgnoreCase(value)) {
                return f;
            }
        }
        throw new IllegalArgumentException("--family must be lavin or meter: " + value);
    }
}
