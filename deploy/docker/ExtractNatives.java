import ai.djl.engine.Engine;

/**
 * Loads the native libraries the job uses (DJL's PyTorch engine and the SentencePiece tokenizer) once, so that
 * libtorch, DJL's JNI library and the tokenizer library are extracted into DJL_CACHE_DIR.
 * deploy/docker/Dockerfile runs it at image build time when PREEXTRACT_DJL=true, with Java's single-file launcher
 * and the executors' classpath (the shaded job jar and Spark's jars).
 */
public final class ExtractNatives {

    private ExtractNatives() {
    }

    public static void main(String[] args) {
        Engine engine = Engine.getEngine("PyTorch");
        ai.djl.sentencepiece.jni.LibUtils.loadLibrary();
        System.out.println("extracted DJL " + engine.getEngineName() + " " + engine.getVersion()
                + " and SentencePiece into " + System.getenv("DJL_CACHE_DIR"));
    }
}
