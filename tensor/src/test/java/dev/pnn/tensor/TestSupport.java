package dev.pnn.tensor;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/** Shared test fixtures: both backends, seeded random tensors, and tolerance checks. */
final class TestSupport {

    /** Unit roundoff of float32: half an ulp of 1, the relative error of one correctly rounded operation. */
    static final double U = 0x1p-24;

    private TestSupport() {}

    static Stream<Backend> backends() {
        return Stream.of(NativeBackend.instance(), ReferenceBackend.INSTANCE);
    }

    static Tensor random(Arena arena, int rows, int cols, SplittableRandom rnd, double lo, double hi) {
        Tensor t = Tensor.allocate(arena, rows, cols);
        for (long i = 0; i < t.size(); i++) {
            t.setFlat(i, (float) (lo + (hi - lo) * rnd.nextDouble()));
        }
        return t;
    }

    static Tensor random(Arena arena, int rows, int cols, SplittableRandom rnd) {
        return random(arena, rows, cols, rnd, -1, 1);
    }

    static IntVector randomLabels(Arena arena, int n, int classes, SplittableRandom rnd) {
        IntVector v = IntVector.allocate(arena, n);
        for (int i = 0; i < n; i++) {
            v.set(i, rnd.nextInt(classes));
        }
        return v;
    }

    static Tensor copy(Arena arena, Tensor t) {
        return Tensor.allocate(arena, t.rows(), t.cols()).copyFrom(t);
    }

    /** Every element of {@code actual} within {@code bound} of {@code expected}: see {@link Comparison#assertClose}. */
    static void assertClose(String what, Tensor actual, Tensor expected, Comparison.Bound bound) {
        Comparison.assertClose(what, actual, expected, bound);
    }

    /** Every element has exactly the same bits. */
    static void assertBitIdentical(String what, Tensor actual, Tensor expected) {
        Comparison.assertClose(what, actual, expected, Comparison.Bound.absolute(0));
        for (long i = 0; i < actual.size(); i++) {
            if (Float.floatToRawIntBits(actual.getFlat(i)) != Float.floatToRawIntBits(expected.getFlat(i))) {
                fail(what + ": element " + i + " has bits " + Float.floatToRawIntBits(actual.getFlat(i))
                        + ", expected " + Float.floatToRawIntBits(expected.getFlat(i)));
            }
        }
    }

    static void assertClose(String what, double actual, double expected, double bound) {
        if (Double.isNaN(expected) ? !Double.isNaN(actual) : !(Math.abs(actual - expected) <= bound)) {
            fail(String.format("%s: %s, expected %s, |diff| %.3g > bound %.3g", what, actual, expected,
                    Math.abs(actual - expected), bound));
        }
    }

}
