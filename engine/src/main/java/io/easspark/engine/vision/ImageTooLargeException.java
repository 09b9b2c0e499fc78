package io.easspark.engine.vision;

/**
 * An image whose header declares more pixels than any decode may produce (a decompression bomb, or a file far
 * larger than a photo): status {@code image_too_large}, not {@code image_corrupt}, because the file may be valid.
 */
public final class ImageTooLargeException extends ImageDecodeException {

    public ImageTooLargeException(String message) {
        super(message);
    }
}
