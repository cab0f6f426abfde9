package dev.pnn.train;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.model.Conv2d;
import dev.pnn.train.model.Flatten;
import dev.pnn.train.model.Layer;
import dev.pnn.train.model.MaxPool2d;
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
        for (int li = 0; li < layers.size(); li++) {
            Layer layer = layers.get(li);
            dev.pnn.tensor.Shape in = model.shape(li);
            switch (layer) {
                case Conv2d conv -> {
                    int hh = in.dim(0);
                    int ww = in.dim(1);
                    int c = in.dim(2);
                    int k = conv.kernel();
                    dev.pnn.tensor.Shape o = model.shape(li + 1);
                    int oh = o.dim(0);
                    int ow = o.dim(1);
                    int oc = conv.out();
                    int bias = offset + k * k * c * oc;
                    double[][] y = new double[h.length][oh * ow * oc];
                    for (int r = 0; r < h.length; r++) {
                        for (int yy = 0; yy < oh; yy++) {
                            for (int xx = 0; xx < ow; xx++) {
                                for (int co = 0; co < oc; co++) {
                                    double s = theta[bias + co];
                                    for (int ky = 0; ky < k; ky++) {
                                        for (int kx = 0; kx < k; kx++) {
                                            int sy = yy * conv.stride() - conv.padding() + ky;
                                            int sx = xx * conv.stride() - conv.padding() + kx;
                                            if (sy < 0 || sy >= hh || sx < 0 || sx >= ww) {
                                                continue;
                                            }
                                            for (int ci = 0; ci < c; ci++) {
                                                s += h[r][(sy * ww + sx) * c + ci]
                                                        * theta[offset + ((ky * k + kx) * c + ci) * oc + co];
                                            }
                                        }
                                    }
                                    y[r][(yy * ow + xx) * oc + co] = s;
                                }
                            }
                        }
                    }
                    offset = bias + oc;
                    h = y;
                }
                case MaxPool2d pool -> {
                    int ww = in.dim(1);
                    int c = in.dim(2);
                    dev.pnn.tensor.Shape o = model.shape(li + 1);
                    double[][] y = new double[h.length][(int) o.size()];
                    for (int r = 0; r < h.length; r++) {
                        for (int yy = 0; yy < o.dim(0); yy++) {
                            for (int xx = 0; xx < o.dim(1); xx++) {
                                for (int ch = 0; ch < c; ch++) {
                                    double best = Double.NEGATIVE_INFINITY;
                                    for (int ky = 0; ky < pool.kernel(); ky++) {
                                        for (int kx = 0; kx < pool.kernel(); kx++) {
                                            int sy = yy * pool.stride() + ky;
                                            int sx = xx * pool.stride() + kx;
                                            best = Math.max(best, h[r][(sy * ww + sx) * c + ch]);
                                        }
                                    }
                                    y[r][(yy * o.dim(1) + xx) * c + ch] = best;
                                }
                            }
                        }
                    }
                    h = y;
                }
                case Flatten f -> {
                    if (in.rank() == 3) {
                        int pixels = in.dim(0) * in.dim(1);
                        int c = in.dim(2);
                        double[][] y = new double[h.length][pixels * c];
                        for (int r = 0; r < h.length; r++) {
                            for (int p = 0; p < pixels; p++) {
                                for (int ch = 0; ch < c; ch++) {
                                    y[r][ch * pixels + p] = h[r][p * c + ch];
                                }
                            }
                        }
                        h = y;
                    }
                }
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
