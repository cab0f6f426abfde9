package dev.pnn.tensor;

/**
 * Element-wise comparison of two tensors within a stated tolerance, in the manner of llm.c's
 * {@code check_tensor} and {@code torch.testing.assert_close}: the parity suite, the gradient
 * checks and the benchmarks' pre-timing checks all use it.
 */
public final class Comparison {

    private Comparison() {}

    /** The largest error an element may have, given its row-major index. */
    @FunctionalInterface
    public interface Bound {
        double at(long i);

        /** The same bound for every element. */
        static Bound absolute(double bound) {
            return i -> bound;
        }

        /** {@code relative} times the largest magnitude in {@code expected}, for every element. */
        static Bound relativeToMax(double relative, Tensor expected) {
            double max = maxAbs(expected);
            return i -> relative * max;
        }
    }

    /**
     * Throws unless every element of {@code actual} is within {@code bound} of {@code expected}.
     * NaN matches NaN only; equal infinities match. The message names the worst element (by its
     * ratio to the bound), both values, the difference and the bound.
     *
     * @throws AssertionError when the tensors differ in shape or some element is out of bounds
     */
    public static void assertClose(String what, Tensor actual, Tensor expected, Bound bound) {
        if (!actual.shape().equals(expected.shape())) {
            throw new AssertionError(what + ": shape " + actual.shape() + " vs expected " + expected.shape());
        }
        long worst = -1;
        double worstRatio = 0;
        double maxDiff = 0;
        for (long i = 0, n = actual.size(); i < n; i++) {
            double a = actual.getFlat(i);
            double e = expected.getFlat(i);
            if (Double.isNaN(a) || Double.isNaN(e)) {
                if (Double.isNaN(a) != Double.isNaN(e)) {
                    throw new AssertionError(what + ": element " + where(actual, i) + " is " + a + ", expected " + e);
                }
                continue;
            }
            if (a == e) {
                continue;
            }
            double diff = Math.abs(a - e);
            double ratio = diff / bound.at(i);
            maxDiff = Math.max(maxDiff, diff);
            if (!(ratio <= worstRatio)) {
                worstRatio = ratio;
                worst = i;
            }
        }
        if (worstRatio > 1) {
            throw new AssertionError(String.format(
                    "%s: max |diff| %.3g; worst element %s is %s, expected %s, |diff| %.3g > bound %.3g", what, maxDiff,
                    where(actual, worst), actual.getFlat(worst), expected.getFlat(worst),
                    Math.abs(actual.getFlat(worst) - expected.getFlat(worst)), bound.at(worst)));
        }
    }

    /** The largest {@code |a[i] - b[i]|}; NaN when some difference is NaN. */
    public static double maxAbsDifference(Tensor a, Tensor b) {
        if (!a.shape().equals(b.shape())) {
            throw new ShapeMismatchException("maxAbsDifference: " + a.shape() + " vs " + b.shape());
        }
        double max = 0;
        for (long i = 0, n = a.size(); i < n; i++) {
            double d = Math.abs((double) a.getFlat(i) - b.getFlat(i));
            if (!(d <= max)) {
                max = d;
            }
        }
        return max;
    }

    /** The largest magnitude in {@code t}. */
    public static double maxAbs(Tensor t) {
        double max = 0;
        for (long i = 0, n = t.size(); i < n; i++) {
            max = Math.max(max, Math.abs(t.getFlat(i)));
        }
        return max;
    }

    private static String where(Tensor t, long i) {
        return t.shape().rank() == 1 ? "[" + i + "]" : "[" + (i / t.cols()) + "][" + (i % t.cols()) + "]";
    }
}
