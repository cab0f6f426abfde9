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
final class MnistFixture {

    private MnistFixture() {}

    static Path dir() {
        Path dir = Path.of(System.getProperty("pnn.mnist.dir", "../data/mnist"));
        if (!Files.isDirectory(dir)) {
            fail("MNIST is not in " + dir.toAbsolutePath() + ": run 'make data' (make test does it for you)");
        }
        return dir;
    }

    static Mnist load(Arena arena) {
        try {
            return Mnist.load(dir(), arena);
        } catch (IOException e) {
            return fail("cannot load MNIST from " + dir() + ": " + e.getMessage(), e);
        }
    }
}
