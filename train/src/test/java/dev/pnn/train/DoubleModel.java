package dev.pnn.train;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Tensor;

import java.util.List;

/**
 * An independent, double-precision evaluation of a {@link Model}'s mean loss, written with no
 * code from the library: the control for finite differences, which need more precision than
 * float32 gives.
 */
final class DoubleModel {

    private final Model model;

    DoubleModel(Model model) {
        this.model = model;
    }

    /** Mean loss of the model with flat parameters {@code theta} (the layout of Network.parameters()). */
    double loss(double[] theta, double[][] x, int[] labels, Loss loss) {
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
            }
        }
        double total = 0;
        for (int r = 0; r < h.length; r++) {
            total += switch (loss) {
                case Loss.Nll n -> -h[r][labels[r]];
                case Loss.CrossEntropy c -> -logSoftmax(new double[][] {h[r]})[0][labels[r]];
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

    private static double[][] map(double[][] h, java.util.function.DoubleUnaryOperator f) {
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

    static double[] toDoubles(Tensor t) {
        double[] d = new double[(int) t.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.getFlat(i);
        }
        return d;
    }

    static double[][] rows(Tensor t) {
        double[][] d = new double[t.rows()][t.cols()];
        for (int r = 0; r < t.rows(); r++) {
            for (int c = 0; c < t.cols(); c++) {
                d[r][c] = t.get(r, c);
            }
        }
        return d;
    }

    static int[] ints(IntVector v) {
        return v.toArray();
    }
}
