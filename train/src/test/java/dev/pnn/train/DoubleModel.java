package dev.pnn.train;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.model.Layer;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.LogSoftMax;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.ReLU;
import dev.pnn.train.model.Sigmoid;

import java.util.List;

/**
 * An independent, double-precision evaluation of a {@link Model}'s mean loss, written with no
 * code from the library: the control for finite differences, which need more precision than
 * float32 gives. A layer it does not know evaluates itself in double by implementing {@link Exact}.
 */
public final class DoubleModel {

    /** A layer's function in double, for layers defined outside the library. */
    public interface Exact {
        /** The layer's output for rows {@code h}, its parameters starting at {@code theta[offset]}. */
        double[][] apply(double[][] h, double[] theta, int offset);
    }

    private final Model model;

    public DoubleModel(Model model) {
        this.model = model;
    }

    /** Mean loss of the model with flat parameters {@code theta} (the layout of Parameters.flat()). */
    public double loss(double[] theta, double[][] x, int[] labels, Loss loss) {
        double[][] h = x;
        int offset = 0;
        List<Layer> layers = model.layers();
        for (Layer layer : layers) {
            switch (layer) {
                case Linear l -> {
                    double[][] y = new double[h.length][l.out()];
                    int bias = offset + l.in() * l.out();
                    for (int r = 0; r < h.length; r++) {
                        for (int o = 0; o < l.out(); o++) {
                            double s = theta[bias + o];
                            for (int i = 0; i < l.in(); i++) {
                                s += h[r][i] * theta[offset + i * l.out() + o];
                            }
                            y[r][o] = s;
                        }
                    }
                    offset = bias + l.out();
                    h = y;
                }
                case ReLU r -> h = map(h, v -> Math.max(v, 0));
                case Sigmoid s -> h = map(h, v -> 1 / (1 + Math.exp(-v)));
                case LogSoftMax s -> h = logSoftmax(h);
                case Exact e -> {
                    h = e.apply(h, theta, offset);
                    offset += (int) layer.parameterCount();
                }
                default -> throw new IllegalArgumentException("no double-precision version of " + layer);
            }
        }
        double total = 0;
        for (int r = 0; r < h.length; r++) {
            total += switch (loss) {
                case Loss.Nll n -> -h[r][labels[r]];
                case Loss.CrossEntropy c -> -logSoftmax(new double[][] {h[r]})[0][labels[r]];
                case Loss.Quadratic q -> {
                    double s = 0;
                    for (int c = 0; c < h[r].length; c++) {
                        double d = h[r][c] - (c == labels[r] ? 1 : 0);
                        s += d * d;
                    }
                    yield s / 2;
                }
                case Loss.Mse m -> {
                    double s = 0;
                    for (int c = 0; c < h[r].length; c++) {
                        double d = h[r][c] - (c == labels[r] ? 1 : 0);
                        s += d * d;
                    }
                    yield s / h[r].length;
                }
            };
        }
        return total / h.length;
    }

    public static double[][] map(double[][] h, java.util.function.DoubleUnaryOperator f) {
        double[][] y = new double[h.length][];
        for (int r = 0; r < h.length; r++) {
            y[r] = java.util.Arrays.stream(h[r]).map(f).toArray();
        }
        return y;
    }

    private static double[][] logSoftmax(double[][] h) {
        double[][] y = new double[h.length][];
        for (int r = 0; r < h.length; r++) {
            double max = java.util.Arrays.stream(h[r]).max().orElseThrow();
            double sum = 0;
            for (double v : h[r]) {
                sum += Math.exp(v - max);
            }
            double lse = max + Math.log(sum);
            y[r] = java.util.Arrays.stream(h[r]).map(v -> v - lse).toArray();
        }
        return y;
    }

    public static double[] toDoubles(Tensor t) {
        double[] d = new double[(int) t.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.getFlat(i);
        }
        return d;
    }

    public static double[][] rows(Tensor t) {
        double[][] d = new double[t.rows()][t.cols()];
        for (int r = 0; r < t.rows(); r++) {
            for (int c = 0; c < t.cols(); c++) {
                d[r][c] = t.get(r, c);
            }
        }
        return d;
    }

    public static int[] ints(IntVector v) {
        return v.toArray();
    }
}
