package io.easspark.engine.text;

/**
 * Reads how many pieces a SentencePiece {@code tokenizer.model} holds, straight from its protobuf bytes. DJL's
 * processor has no piece count, and asking it for an id past the end aborts the JVM inside the native library, so
 * the count must come from the file. {@code ModelProto} field 1 is {@code repeated SentencePiece pieces}: one
 * length-delimited record per piece, at the top level.
 */
final class SentencePieceModelFile {

    private static final int PIECES_FIELD = 1;
    private static final int VARINT = 0;
    private static final int FIXED64 = 1;
    private static final int LENGTH_DELIMITED = 2;
    private static final int FIXED32 = 5;

    private SentencePieceModelFile() {
    }

    /** The number of pieces; IllegalArgumentException when the bytes are not a well-formed protobuf message. */
    static int pieceCount(byte[] model) {
        int pieces = 0;
        int at = 0;
        while (at < model.length) {
            long[] tag = varint(model, at);
            at = (int) tag[1];
            int field = (int) (tag[0] >>> 3);
            int wire = (int) (tag[0] & 7);
            switch (wire) {
                case VARINT -> at = (int) varint(model, at)[1];
                case FIXED64 -> at = skip(model, at, 8);
                case FIXED32 -> at = skip(model, at, 4);
                case LENGTH_DELIMITED -> {
                    long[] length = varint(model, at);
                    at = skip(model, (int) length[1], length[0]);
                    if (field == PIECES_FIELD) {
                        pieces++;
                    }
                }
                default -> throw new IllegalArgumentException("not a SentencePiece model: wire type " + wire + " at byte " + at);
            }
        }
        return pieces;
    }

    private static int skip(byte[] b, int at, long n) {
        if (n < 0 || n > b.length - at) {
            throw new IllegalArgumentException("not a SentencePiece model: a field of " + n + " bytes at byte " + at
                    + " runs past the end (" + b.length + " bytes)");
        }
        return (int) (at + n);
    }

    /** {value, next offset}. */
    private static long[] varint(byte[] b, int at) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at >= b.length) {
                throw new IllegalArgumentException("not a SentencePiece model: truncated varint at byte " + at);
            }
            int x = b[at++];
            value |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return new long[] {value, at};
            }
        }
        throw new IllegalArgumentException("not a SentencePiece model: varint over 10 bytes at byte " + at);
    }
}
