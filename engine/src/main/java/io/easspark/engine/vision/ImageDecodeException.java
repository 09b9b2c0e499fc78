package io.easspark.engine.vision;

/**
 * Bytes that do not decode to an image: empty, an unknown format, or truncated/corrupt data.
 * Checked, because a bad image is an expected per-row outcome (status {@code image_corrupt}),
 * never a reason to fail a job.
 */
public class ImageDecodeException extends Exception {

    public ImageDecodeException(String message) {
        super(message);
    }

    public ImageDecodeException(String message, Throwable cause) {
        super(message, cause);
    }
}
