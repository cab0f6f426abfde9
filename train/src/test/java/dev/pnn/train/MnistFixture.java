package dev.pnn.train;

import static org.junit.jupiter.api.Assertions.fail;

import dev.pnn.train.data.Mnist;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real MNIST files fetched by {@code make data}, for the tests that need them. Their absence
 * fails those tests (it never skips them): {@code make test} fetches the files first.
 */
public final class MnistFixture {

    private MnistFixture() {}

    public static Path dir() {
        Path dir = Path.of(System.getProperty("pnn.mnist.dir", "../data/mnist"));
        if (!Files.isDirectory(dir)) {
            fail("MNIST is not in " + dir.toAbsolutePath() + ": run 'make data' (make test does it for you)");
        }
        return dir;
    }

    private static Mnist shared;

    /**
     * The four files, loaded once for the whole test run into an arena that lives as long as the
     * test JVM (read-only for every test, and freed when the JVM exits).
     */
    public static synchronized Mnist shared() {
        if (shared == null) {
            try {
                shared = Mnist.load(dir(), Arena.ofShared());
            } catch (IOException e) {
                return fail("cannot load MNIST from " + dir() + ": " + e.getMessage(), e);
            }
        }
        return shared;
    }
}
