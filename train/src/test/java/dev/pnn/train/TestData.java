package dev.pnn.train;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Rng;
import dev.pnn.tensor.Tensor;

import java.lang.foreign.Arena;

/** Seeded inputs and labels for tests: the same seed gives the same values on every run. */
public final class TestData {

    private TestData() {}

    /** A {@code rows x cols} tensor of values drawn uniformly from {@code [lo, hi)}. */
    public static Tensor uniform(Arena arena, int rows, int cols, double lo, double hi, long seed) {
        Rng rng = new Rng(seed);
        Tensor x = Tensor.allocate(arena, rows, cols);
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, (float) rng.uniform(lo, hi));
        }
        return x;
    }

    /** {@code n} labels drawn uniformly from {@code [0, classes)}. */
    public static IntVector labels(Arena arena, int n, int classes, long seed) {
        Rng rng = new Rng(seed);
        IntVector y = IntVector.allocate(arena, n);
        for (int i = 0; i < n; i++) {
            y.set(i, rng.nextInt(classes));
        }
        return y;
    }
}
