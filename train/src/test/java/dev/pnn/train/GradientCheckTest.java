package dev.pnn.train;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Gradient checks of whole networks: analytic gradients (the library's pullbacks through the
 * real training path) against central finite differences.
 *
 * <p>Main check, double precision: {@link DoubleModel} evaluates the loss in double, so central
 * differences with h = 1e-5 carry truncation error ~h^2 = 1e-10 and roundoff ~1e-16/h = 1e-11:
 * they are, to float32's eyes, exact. The analytic gradient is float32: every value is a dot
 * product of at most 784 terms, each rounding adds at most U = 6e-8 relative, so one layer gives
 * at most ~784 U = 5e-5 relative to the sum of magnitudes, and three layers compound to ~1.5e-4.
 * Bound: |analytic - numeric| <= 1e-3 |numeric| + 1e-5 max|group|, a 5x margin on the relative
 * part; the absolute part covers entries that are sums which cancel to near zero.
 */
class GradientCheckTest {

    private static final int BATCH = 8;

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private Tensor input(Model model, long seed) {
        Rng rng = new Rng(seed);
        Tensor x = Tensor.allocate(arena, BATCH, model.inputs());
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, (float) rng.uniform(-0.45, 2.8)); // the range of normalized MNIST pixels
        }
        return x;
    }

    private IntVector labels(int classes, long seed) {
        Rng rng = new Rng(seed);
        IntVector y = IntVector.allocate(arena, BATCH);
        for (int i = 0; i < BATCH; i++) {
            y.set(i, rng.nextInt(classes));
        }
        return y;
    }

    /** The gradients of the training step (forward, zero grads, loss, pullback), left in net.gradients(). */
    private static double gradients(Network net, Tensor x, IntVector y, Loss loss) {
        try (TrainingStep step = new TrainingStep(net, loss, Sgd.plain())) {
            return step.gradients(x, y);
        }
    }

    private record Group(String name, int offset, int size) {}

    private static List<Group> groups(Network net) {
        List<Group> groups = new java.util.ArrayList<>();
        long base = net.parameters().segment().address();
        for (int i = 0; i < net.model().layers().size(); i++) {
            if (net.model().layers().get(i) instanceof Linear) {
                Tensor w = net.weight(i);
                Tensor b = net.bias(i);
                groups.add(new Group("W" + i, (int) ((w.segment().address() - base) / 4), (int) w.size()));
                groups.add(new Group("b" + i, (int) ((b.segment().address() - base) / 4), (int) b.size()));
            }
        }
        return groups;
    }

    private void checkAgainstDoublePrecision(Model model, Loss loss, Init init) {
        try (Network net = Network.create(model, ReferenceBackend.INSTANCE, init, 7)) {
            Tensor x = input(model, 11);
            IntVector y = labels(model.outputs(), 13);
            gradients(net, x, y, loss);
            double[] analytic = DoubleModel.toDoubles(net.gradients());
            double[] theta = DoubleModel.toDoubles(net.parameters());
            double[][] xs = DoubleModel.rows(x);
            int[] ys = DoubleModel.ints(y);
            DoubleModel exact = new DoubleModel(model);
            double h = 1e-5;
            Rng rng = new Rng(17);
            int checked = 0;
            for (Group g : groups(net)) {
                double groupMax = 0;
                for (int i = g.offset(); i < g.offset() + g.size(); i++) {
                    groupMax = Math.max(groupMax, Math.abs(analytic[i]));
                }
                assertTrue(groupMax > 0, g.name() + " has an all-zero gradient");
                for (int s = 0; s < Math.min(25, g.size()); s++) {
                    int i = g.offset() + rng.nextInt(g.size());
                    double saved = theta[i];
                    theta[i] = saved + h;
                    double up = exact.loss(theta, xs, ys, loss);
                    theta[i] = saved - h;
                    double down = exact.loss(theta, xs, ys, loss);
                    theta[i] = saved;
                    double numeric = (up - down) / (2 * h);
                    double bound = 1e-3 * Math.abs(numeric) + 1e-5 * groupMax;
                    if (!(Math.abs(analytic[i] - numeric) <= bound)) {
                        fail(String.format("%s %s: d loss / d %s[%d] analytic %.9g, numeric %.9g, |diff| %.3g > %.3g",
                                model.widths(), loss, g.name(), i - g.offset(), analytic[i], numeric,
                                Math.abs(analytic[i] - numeric), bound));
                    }
                    checked++;
                }
            }
            // directional derivatives along random unit directions over every parameter at once
            double gNorm = 0;
            for (double a : analytic) {
                gNorm += a * a;
            }
            gNorm = Math.sqrt(gNorm);
            for (int k = 0; k < 5; k++) {
                double[] d = new double[theta.length];
                double norm = 0;
                for (int i = 0; i < d.length; i++) {
                    d[i] = rng.nextGaussian();
                    norm += d[i] * d[i];
                }
                double dot = 0;
                for (int i = 0; i < d.length; i++) {
                    d[i] /= Math.sqrt(norm);
                    dot += d[i] * analytic[i];
                }
                double numeric = directional(exact, loss, theta, d, h, xs, ys);
                double bound = 1e-3 * Math.abs(numeric) + 1e-5 * gNorm;
                assertTrue(Math.abs(dot - numeric) <= bound, String.format(
                        "direction %d: analytic %.9g, numeric %.9g, |diff| %.3g > %.3g", k, dot, numeric,
                        Math.abs(dot - numeric), bound));
            }
            assertTrue(checked >= 20 * groups(net).size(), "checked only " + checked + " entries");
        }
    }

    @Test
    void defaultNetworkWithFusedCrossEntropyMatchesDoublePrecisionFiniteDifferences() {
        checkAgainstDoublePrecision(Model.mnist(), Loss.nll(), Init.PYTORCH_DEFAULT);
    }

    @Test
    void sigmoidNetworkWithMseMatchesDoublePrecisionFiniteDifferences() {
        Model sigmoid = new Model(784, List.of(new Linear(784, 32), new Sigmoid(), new Linear(32, 10), new Sigmoid()));
        checkAgainstDoublePrecision(sigmoid, Loss.mse(), Init.HE_NORMAL);
    }

    @Test
    void crossEntropyOnLogitsMatchesDoublePrecisionFiniteDifferences() {
        Model logits = new Model(784, List.of(new Linear(784, 64), new ReLU(), new Linear(64, 10)));
        checkAgainstDoublePrecision(logits, Loss.crossEntropy(), Init.HE_NORMAL);
    }

    /**
     * The unfused path (LogSoftMax's own pullback after NLL's gradient) gives the fused path's
     * gradients: both compute (softmax - onehot) / rows, in a different order of roundings.
     */
    @Test
    void unfusedLogSoftMaxAndNllGiveTheFusedGradients() {
        Model model = Model.mnist();
        try (Network net = Network.create(model, ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 7)) {
            Tensor x = input(model, 11);
            IntVector y = labels(10, 13);
            double fused = gradients(net, x, y, Loss.nll());
            Tensor g1 = Tensor.allocate(arena, 1, (int) net.gradients().size()).copyFrom(net.gradients());
            Vjp v = net.forward(x);
            net.zeroGradients();
            Tensor dy = Tensor.allocate(arena, BATCH, 10);
            double unfused = Loss.nll().valueAndGradient(net.backend(), v.output(), y, dy);
            v.pullback().apply(dy);
            assertTrue(Math.abs(fused - unfused) <= 1e-6 * Math.abs(fused), fused + " vs " + unfused);
            assertClose("fused vs unfused gradients", net.gradients(), g1, 1e-5);
        }
    }

    /**
     * Float32 finite differences through the reference backend itself, along the normalized
     * gradient (where the derivative is |g|, of order 1).
     *
     * <p>The float32 loss carries an error eps_L of about 1e-6 (float activations; the loss itself
     * is summed in double), so a float32 central difference with step h errs by at most
     * eps_L / h = 1e-3 for h = 1e-3 relative to the same difference taken in double precision.
     * It cannot be compared with |g| directly at that step: along its steepest direction the loss
     * is far from linear over 1e-3 (first-layer pre-activations move by ~5e-3 and cross ReLU
     * kinks), which moves the difference by ~0.5%; the double-precision difference shows this, and
     * at h = 1e-5 it matches |g| (truncation ~h^2, roundoff ~1e-11).
     */
    @Test
    void float32FiniteDifferencesThroughTheReferenceBackendAgree() {
        Model model = Model.mnist();
        try (Network net = Network.create(model, ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 7)) {
            Tensor x = input(model, 11);
            IntVector y = labels(10, 13);
            gradients(net, x, y, Loss.nll());
            double[] g = DoubleModel.toDoubles(net.gradients());
            double norm = Math.sqrt(java.util.Arrays.stream(g).map(v -> v * v).sum());
            double[] theta = DoubleModel.toDoubles(net.parameters());
            DoubleModel exact = new DoubleModel(model);
            double[][] xs = DoubleModel.rows(x);
            int[] ys = y.toArray();

            double h = 1e-3;
            double[] losses = new double[2];
            for (int side = 0; side < 2; side++) {
                double sign = side == 0 ? 1 : -1;
                for (int i = 0; i < theta.length; i++) {
                    net.parameters().setFlat(i, (float) (theta[i] + sign * h * g[i] / norm));
                }
                losses[side] = Loss.nll().value(net.backend(), net.forward(x).output(), y);
            }
            double float32 = (losses[0] - losses[1]) / (2 * h);
            double[] unit = java.util.Arrays.stream(g).map(v -> v / norm).toArray();
            double float64 = directional(exact, Loss.nll(), theta, unit, h, xs, ys);
            assertTrue(Math.abs(float32 - float64) <= 1e-6 / h, "float32 central difference " + float32
                    + " vs double " + float64 + " at h = " + h + ": |diff| " + Math.abs(float32 - float64));
            double limit = directional(exact, Loss.nll(), theta, unit, 1e-5, xs, ys);
            assertTrue(Math.abs(limit - norm) <= 1e-3 * norm, "double central difference at h = 1e-5 " + limit
                    + " vs analytic |g| " + norm);
        }
    }

    /** Central difference in double of the loss at theta along the unit vector {@code direction}. */
    private static double directional(DoubleModel exact, Loss loss, double[] theta, double[] direction, double h,
                                      double[][] xs, int[] ys) {
        double[] plus = theta.clone();
        double[] minus = theta.clone();
        for (int i = 0; i < theta.length; i++) {
            plus[i] += h * direction[i];
            minus[i] -= h * direction[i];
        }
        return (exact.loss(plus, xs, ys, loss) - exact.loss(minus, xs, ys, loss)) / (2 * h);
    }

    /**
     * Native against reference analytic gradients from the same parameters and batch: both are
     * float32 with different summation orders (OpenBLAS blocks its sums), so they agree to the
     * same ~1.5e-4 relative error budget as above, here against the group's largest entry.
     */
    @Test
    void nativeAndReferenceGradientsAgree() {
        Model model = Model.mnist();
        try (Network nat = Network.create(model, NativeBackend.instance(), Init.PYTORCH_DEFAULT, 7);
             Network ref = Network.create(model, ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 7)) {
            Tensor x = input(model, 11);
            IntVector y = labels(10, 13);
            double ln = gradients(nat, x, y, Loss.nll());
            double lr = gradients(ref, x, y, Loss.nll());
            assertTrue(Math.abs(ln - lr) <= 1e-5 * Math.abs(lr), "loss " + ln + " vs " + lr);
            for (int i = 0; i < model.layers().size(); i++) {
                if (model.layers().get(i) instanceof Linear) {
                    assertClose("W" + i, nat.weightGradient(i), ref.weightGradient(i), 2e-4);
                    assertClose("b" + i, nat.biasGradient(i), ref.biasGradient(i), 2e-4);
                }
            }
        }
    }

    /** Every element within {@code relative} of the largest magnitude in {@code expected}. */
    static void assertClose(String what, Tensor actual, Tensor expected, double relative) {
        double max = 0;
        for (long i = 0; i < expected.size(); i++) {
            max = Math.max(max, Math.abs(expected.getFlat(i)));
        }
        double worst = 0;
        long at = -1;
        for (long i = 0; i < expected.size(); i++) {
            double d = Math.abs(actual.getFlat(i) - expected.getFlat(i));
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        if (!(worst <= relative * max)) {
            fail(String.format("%s: element %d is %s, expected %s: |diff| %.3g > %.3g (%.1g of the largest, %.3g)",
                    what, at, actual.getFlat(at), expected.getFlat(at), worst, relative * max, relative, max));
        }
    }
}
