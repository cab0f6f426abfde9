package dev.pnn.train;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pnn.tensor.Comparison;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Rng;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Parameters;
import dev.pnn.train.fit.TrainingStep;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Sgd;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * Gradient checks of whole networks: analytic gradients (the library's pullbacks through the
 * real training path) against central finite differences of {@link DoubleModel} in double.
 *
 * <p>Central differences with h = 1e-5 of a loss evaluated in double carry truncation error
 * ~h^2 = 1e-10 and roundoff ~1e-16/h = 1e-11: to float32's eyes they are exact. The analytic
 * gradient is float32: every value is a dot product of at most 784 terms, each rounding adds at
 * most U = 6e-8 relative, so one layer gives at most ~784 U = 5e-5 relative to the sum of
 * magnitudes, and three layers compound to ~1.5e-4. Bound: |analytic - numeric| <= 1e-3
 * |numeric| + 1e-5 max|group|, a 5x margin on the relative part; the absolute part covers
 * entries that are sums which cancel to near zero.
 */
public final class GradientChecks {

    public static final int BATCH = 8;

    private GradientChecks() {}

    /** Inputs in the range of normalized MNIST pixels. */
    public static Tensor input(Arena arena, Model model, long seed) {
        return TestData.uniform(arena, BATCH, model.inputs(), -0.45, 2.8, seed);
    }

    public static IntVector labels(Arena arena, int classes, long seed) {
        return TestData.labels(arena, BATCH, classes, seed);
    }

    /** The gradients of a training step (forward, zero grads, loss, pullback) from the network's parameters. */
    public static double[] analytic(Network net, Tensor x, IntVector y, Loss loss) {
        try (TrainingStep step = new TrainingStep(net, loss, Sgd.plain())) {
            step.gradients(x, y);
            return DoubleModel.toDoubles(step.workspace().gradients());
        }
    }

    /** A named parameter's place in the flat layout. */
    public record Group(String name, int offset, int size) {}

    public static List<Group> groups(Parameters p) {
        List<Group> groups = new ArrayList<>();
        long base = p.flat().segment().address();
        for (String name : p.names()) {
            Tensor t = p.get(name);
            groups.add(new Group(name, (int) ((t.segment().address() - base) / Float.BYTES), (int) t.size()));
        }
        return groups;
    }

    /**
     * Checks 25 sampled entries of every parameter group, and 5 random directions over all
     * parameters, of {@code model} with {@code loss} through the reference backend.
     */
    public static void checkAgainstDoublePrecision(Model model, Loss loss, Init init) {
        try (Arena arena = Arena.ofConfined();
             Network net = Network.create(model, ReferenceBackend.INSTANCE, init, 7)) {
            Tensor x = input(arena, model, 11);
            IntVector y = labels(arena, model.outputs(), 13);
            double[] analytic = analytic(net, x, y, loss);
            double[] theta = DoubleModel.toDoubles(net.parameters().flat());
            double[][] xs = DoubleModel.rows(x);
            int[] ys = DoubleModel.ints(y);
            DoubleModel exact = new DoubleModel(model);
            double h = 1e-5;
            Rng rng = new Rng(17);
            int checked = 0;
            List<Group> groups = groups(net.parameters());
            for (Group g : groups) {
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
            assertTrue(checked >= Math.min(20, groups.stream().mapToInt(Group::size).min().orElse(0)) * groups.size(),
                    "checked only " + checked + " entries");
        }
    }

    /** Central difference in double of the loss at theta along the unit vector {@code direction}. */
    public static double directional(DoubleModel exact, Loss loss, double[] theta, double[] direction, double h,
                                     double[][] xs, int[] ys) {
        double[] plus = theta.clone();
        double[] minus = theta.clone();
        for (int i = 0; i < theta.length; i++) {
            plus[i] += h * direction[i];
            minus[i] -= h * direction[i];
        }
        return (exact.loss(plus, xs, ys, loss) - exact.loss(minus, xs, ys, loss)) / (2 * h);
    }

    /** Every element within {@code relative} of the largest magnitude in {@code expected}. */
    public static void assertClose(String what, Tensor actual, Tensor expected, double relative) {
        Comparison.assertClose(what, actual, expected, Comparison.Bound.relativeToMax(relative, expected));
    }
}
