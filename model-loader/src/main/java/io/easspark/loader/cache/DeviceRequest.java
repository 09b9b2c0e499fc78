package io.easspark.loader.cache;

import java.util.Locale;

/** The device a user asked for; {@link DeviceChoice} turns it into a real one inside each task. */
public enum DeviceRequest {
    CPU,
    GPU,
    /** The task's GPU when Spark assigned one, the CPU otherwise. */
    AUTO;

    /**
     * @param flag the setting's name for the error message ({@code --device}, {@code spark.eas.device})
     */
    public static DeviceRequest parse(String text, String flag) {
        String t = text == null ? "auto" : text.trim().toUpperCase(Locale.ROOT);
        try {
            return valueOf(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown " + flag + " " + text + ": expected cpu, gpu or auto");
        }
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
