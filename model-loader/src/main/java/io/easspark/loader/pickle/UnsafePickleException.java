package io.easspark.loader.pickle;

import java.io.IOException;

/**
 * A checkpoint pickle that asks for something outside the allow-list: a global such as {@code os.system}, an opcode
 * we do not implement, or a call the allow-list does not permit. Nothing it names is ever run.
 */
public class UnsafePickleException extends IOException {

    private final String refused;
    private final long offset;

    public UnsafePickleException(String message, String refused, long offset) {
        super(message);
        this.refused = refused;
        this.offset = offset;
    }

    /** What was refused: a dotted global name such as {@code os.system}, or an opcode such as {@code opcode 0x69 INST}. */
    public String refused() {
        return refused;
    }

    /** Byte offset of the refused opcode inside the pickle. */
    public long offset() {
        return offset;
    }
}
