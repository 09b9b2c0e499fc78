package io.easspark.loader.io;

import java.io.IOException;
import java.nio.file.Path;

/** Named pipes for tests: opening one for reading blocks until a writer comes, which is how a FIFO input hangs a job. */
public final class Fifo {

    private Fifo() {
    }

    public static Path make(Path path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("mkfifo " + path + " failed with exit " + p.exitValue());
        }
        return path;
    }
}
