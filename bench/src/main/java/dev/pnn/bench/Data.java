package dev.pnn.bench;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Backends;
import dev.pnn.tensor.Comparison;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.Rng;
import dev.pnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.Locale;

/** Seeded benchmark inputs, and the check that runs before anything is timed. */
final class Data {

    private Data() {}

    /** The backend named (native or reference); a native one runs its products as {@code products} says (auto or blas). */
    static Backend backend(String name, String products) {
        Backend b = Backends.named(name);
        return b instanceof NativeBackend
                ? NativeBackend.instance(NativeBackend.Products.valueOf(products.toUpperCase(Locale.ROOT))) : b;
    }

    static Tensor random(Arena arena, int rows, int cols, long seed) {
        Rng rng = new Rng(seed);
        Tensor t = Tensor.allocate(arena, rows, cols);
        for (long i = 0; i < t.size(); i++) {
            t.setFlat(i, (float) rng.uniform(-1, 1));
        }
        return t;
    }

    static IntVector labels(Arena arena, int n, int classes, long seed) {
        Rng rng = new Rng(seed);
        IntVector v = IntVector.allocate(arena, n);
        for (int i = 0; i < n; i++) {
            v.set(i, rng.nextInt(classes));
        }
        return v;
    }

    /**
     * Throws unless every element of {@code actual} is within {@code relative} of the largest
     * magnitude in {@code expected}: a benchmark of a wrong kernel measures nothing.
     */
    static void check(String what, Tensor actual, Tensor expected, double relative) {
        Comparison.assertClose(what + " (native against reference; not benchmarking a wrong result)", actual, expected,
                Comparison.Bound.relativeToMax(relative, expected));
    }
}
