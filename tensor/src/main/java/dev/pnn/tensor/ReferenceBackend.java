package dev.pnn.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The control: every operation as plain Java loops, written to be obviously correct rather than
 * fast. Each result element is computed in double from the float inputs and rounded to float
 * once; every sum is accumulated in double. {@link NativeBackend} is tested against this class.
 *
 * <p>Stateless and thread-safe; {@link #INSTANCE} is the one to use.
 */
public final class ReferenceBackend extends CheckedBackend {

    public static final ReferenceBackend INSTANCE = new ReferenceBackend();

    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;

    private ReferenceBackend() {}

    @Override
    public String name() {
        return "reference";
    }

    private static double get(Tensor t, long i) {
        return t.segment().getAtIndex(F, i);
    }

    private static void put(Tensor t, long i, double value) {
        t.segment().setAtIndex(F, i, (float) value);
    }

    private static int label(IntVector labels, int r) {
        return labels.segment().getAtIndex(I, r);
    }

    // ---- linear algebra ----------------------------------------------------------------------

    @Override
    protected void gemmImpl(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b,
                            float beta, Tensor c) {
        // op(a) as m rows of k, op(b) transposed as n rows of k: every c[i][j] is then a plain dot product
        double[][] rowsA = new double[m][k];
        double[][] colsB = new double[n][k];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                rowsA[i][p] = transA ? get(a, (long) p * a.cols() + i) : get(a, (long) i * a.cols() + p);
            }
        }
        for (int j = 0; j < n; j++) {
            for (int p = 0; p < k; p++) {
                colsB[j][p] = transB ? get(b, (long) j * b.cols() + p) : get(b, (long) p * b.cols() + j);
            }
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double dot = 0;
                for (int p = 0; p < k; p++) {
                    dot += rowsA[i][p] * colsB[j][p];
                }
                long at = (long) i * n + j;
                // BLAS semantics: with beta == 0, c is not read; with alpha == 0, a and b are not
                double product = alpha == 0 ? 0 : alpha * dot;
                put(c, at, beta == 0 ? product : product + beta * get(c, at));
            }
        }
    }

    @Override
    protected void axpyImpl(float alpha, Tensor x, Tensor y) {
        for (long i = 0, n = x.size(); i < n; i++) {
            put(y, i, get(y, i) + (double) alpha * get(x, i));
        }
    }

    @Override
    protected void scaleImpl(float alpha, Tensor x) {
        for (long i = 0, n = x.size(); i < n; i++) {
            put(x, i, (double) alpha * get(x, i));
        }
    }

    // ---- forward -----------------------------------------------------------------------------

    private static double relu(double x) {
        return x < 0 ? 0 : x; // NaN passes through
    }

    @Override
    protected void biasAddImpl(Tensor x, Tensor bias, Tensor out) {
        for (int r = 0; r < x.rows(); r++) {
            for (int c = 0; c < x.cols(); c++) {
                long i = (long) r * x.cols() + c;
                put(out, i, get(x, i) + get(bias, c));
            }
        }
    }

    @Override
    protected void biasAddReluImpl(Tensor x, Tensor bias, Tensor out) {
        for (int r = 0; r < x.rows(); r++) {
            for (int c = 0; c < x.cols(); c++) {
                long i = (long) r * x.cols() + c;
                // round the sum to float first, as biasAdd followed by relu would
                put(out, i, relu((float) (get(x, i) + get(bias, c))));
            }
        }
    }

    @Override
    protected void reluImpl(Tensor x, Tensor out) {
        for (long i = 0, n = x.size(); i < n; i++) {
            put(out, i, relu(get(x, i)));
        }
    }

    @Override
    protected void reluBackwardImpl(Tensor out, Tensor dout, Tensor dinp) {
        for (long i = 0, n = out.size(); i < n; i++) {
            put(dinp, i, get(out, i) > 0 ? get(dout, i) : 0);
        }
    }

    @Override
    protected void sigmoidImpl(Tensor x, Tensor out) {
        for (long i = 0, n = x.size(); i < n; i++) {
            put(out, i, 1 / (1 + Math.exp(-get(x, i))));
        }
    }

    @Override
    protected void sigmoidBackwardImpl(Tensor out, Tensor dout, Tensor dinp) {
        for (long i = 0, n = out.size(); i < n; i++) {
            double y = get(out, i);
            put(dinp, i, get(dout, i) * y * (1 - y));
        }
    }

    /**
     * The row maximum; NaN when the row's softmax is undefined: a NaN, a +inf, or nothing but -inf.
     * A -inf among finite values is a probability of 0 and needs nothing special.
     */
    private static double rowMax(Tensor x, int r) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < x.cols(); c++) {
            double v = get(x, (long) r * x.cols() + c);
            if (Double.isNaN(v) || v == Double.POSITIVE_INFINITY) {
                return Double.NaN;
            }
            max = Math.max(max, v);
        }
        return max == Double.NEGATIVE_INFINITY ? Double.NaN : max;
    }

    private static double rowSumExp(Tensor x, int r, double max) {
        double sum = 0;
        for (int c = 0; c < x.cols(); c++) {
            sum += Math.exp(get(x, (long) r * x.cols() + c) - max);
        }
        return sum;
    }

    @Override
    protected void logSoftmaxImpl(Tensor logits, Tensor out) {
        int cols = logits.cols();
        for (int r = 0; r < logits.rows(); r++) {
            double max = rowMax(logits, r);
            double logSum = Math.log(rowSumExp(logits, r, max));
            for (int c = 0; c < cols; c++) {
                long i = (long) r * cols + c;
                put(out, i, get(logits, i) - max - logSum);
            }
        }
    }

    @Override
    protected void logSoftmaxBackwardImpl(Tensor out, Tensor dout, Tensor dinp) {
        int cols = out.cols();
        for (int r = 0; r < out.rows(); r++) {
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += get(dout, (long) r * cols + c);
            }
            for (int c = 0; c < cols; c++) {
                long i = (long) r * cols + c;
                put(dinp, i, get(dout, i) - Math.exp(get(out, i)) * sum);
            }
        }
    }

    // ---- losses ------------------------------------------------------------------------------

    @Override
    protected double crossEntropyImpl(Tensor logits, IntVector labels, Tensor dlogits) {
        int rows = logits.rows();
        int cols = logits.cols();
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double max = rowMax(logits, r);
            double sum = rowSumExp(logits, r, max);
            int y = label(labels, r);
            total += max + Math.log(sum) - get(logits, (long) r * cols + y);
            if (dlogits != null) {
                double[] p = new double[cols];
                for (int c = 0; c < cols; c++) {
                    p[c] = Math.exp(get(logits, (long) r * cols + c) - max) / sum;
                }
                for (int c = 0; c < cols; c++) {
                    put(dlogits, (long) r * cols + c, (p[c] - (c == y ? 1 : 0)) / rows);
                }
            }
        }
        return total / rows;
    }

    @Override
    protected double nllImpl(Tensor logprobs, IntVector labels, Tensor dlogprobs) {
        int rows = logprobs.rows();
        int cols = logprobs.cols();
        double total = 0;
        for (int r = 0; r < rows; r++) {
            total -= get(logprobs, (long) r * cols + label(labels, r));
        }
        if (dlogprobs != null) {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    put(dlogprobs, (long) r * cols + c, c == label(labels, r) ? -1.0 / rows : 0);
                }
            }
        }
        return total / rows;
    }

    @Override
    protected double mseImpl(Tensor out, Tensor target, Tensor dout) {
        long n = out.size();
        double total = 0;
        double[] diff = new double[Math.toIntExact(n)];
        for (int i = 0; i < n; i++) {
            diff[i] = get(out, i) - get(target, i);
            total += diff[i] * diff[i];
        }
        if (dout != null) {
            for (int i = 0; i < n; i++) {
                put(dout, i, 2 * diff[i] / n);
            }
        }
        return total / n;
    }

    @Override
    protected double mseOneHotImpl(Tensor out, IntVector labels, Tensor dout) {
        double n = (double) out.rows() * out.cols();
        double total = 0;
        for (int r = 0; r < out.rows(); r++) {
            for (int c = 0; c < out.cols(); c++) {
                long i = (long) r * out.cols() + c;
                double diff = get(out, i) - (c == label(labels, r) ? 1 : 0);
                total += diff * diff;
                if (dout != null) {
                    put(dout, i, 2 * diff / n);
                }
            }
        }
        return total / n;
    }

    // ---- metrics -----------------------------------------------------------------------------

    @Override
    protected int countCorrectImpl(Tensor scores, IntVector labels) {
        int cols = scores.cols();
        int correct = 0;
        rows:
        for (int r = 0; r < scores.rows(); r++) {
            int best = 0;
            for (int c = 0; c < cols; c++) {
                double v = get(scores, (long) r * cols + c);
                if (Double.isNaN(v)) {
                    continue rows;
                }
                if (v > get(scores, (long) r * cols + best)) {
                    best = c;
                }
            }
            if (best == label(labels, r)) {
                correct++;
            }
        }
        return correct;
    }

    // ---- backward ----------------------------------------------------------------------------

    @Override
    protected void biasBackwardImpl(Tensor dout, Tensor dbias) {
        for (int c = 0; c < dout.cols(); c++) {
            double sum = 0;
            for (int r = 0; r < dout.rows(); r++) {
                sum += get(dout, (long) r * dout.cols() + c);
            }
            put(dbias, c, get(dbias, c) + sum);
        }
    }

    // ---- optimizers --------------------------------------------------------------------------

    /** Optimizer state below Float.MIN_NORMAL is stored as 0, as the kernels do (see pnn_kernels.h). */
    private static float flushSubnormal(float x) {
        return Math.abs(x) < Float.MIN_NORMAL ? 0f : x;
    }

    @Override
    protected void sgdImpl(Tensor params, Tensor grads, float lr, float weightDecay) {
        for (long i = 0, n = params.size(); i < n; i++) {
            double p = get(params, i);
            double g = weightDecay == 0 ? get(grads, i) : get(grads, i) + (double) weightDecay * p;
            put(params, i, p - lr * g);
        }
    }

    @Override
    protected void sgdMomentumImpl(Tensor params, Tensor velocity, Tensor grads, float lr, float momentum,
                                   float weightDecay, boolean nesterov) {
        for (long i = 0, n = params.size(); i < n; i++) {
            double p = get(params, i);
            double g = get(grads, i) + (double) weightDecay * p;
            double v = flushSubnormal((float) ((double) momentum * get(velocity, i) + g)); // stored as float
            put(velocity, i, v);
            put(params, i, p - lr * (nesterov ? g + momentum * v : v));
        }
    }

    @Override
    protected void adamImpl(Tensor params, Tensor m, Tensor v, Tensor grads, float lr, float beta1, float beta2,
                            float eps, float weightDecay, boolean decoupled, float stepSize, float bc2Sqrt) {
        for (long i = 0, n = params.size(); i < n; i++) {
            double p = get(params, i);
            double g = get(grads, i) + (decoupled ? 0 : (double) weightDecay * p);
            // m and v are stored as float: round them before they are used, as the kernel does
            double mi = flushSubnormal((float) (beta1 * get(m, i) + (1.0 - beta1) * g));
            double vi = flushSubnormal((float) (beta2 * get(v, i) + (1.0 - beta2) * g * g));
            put(m, i, mi);
            put(v, i, vi);
            double shrink = decoupled ? 1.0 - (double) lr * weightDecay : 1.0;
            put(params, i, p * shrink - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps));
        }
    }

    // ---- data --------------------------------------------------------------------------------

    // ---- convolution, pooling, dropout: plain loops, obviously the definitions -------------------

    @Override
    protected void im2colImpl(Tensor inp, Window w, Tensor col) {
        int oh = w.oh();
        int ow = w.ow();
        long cols = w.columnCols();
        for (int i = 0; i < w.n(); i++) {
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    long row = ((long) i * oh + y) * ow + x;
                    for (int ky = 0; ky < w.kh(); ky++) {
                        for (int kx = 0; kx < w.kw(); kx++) {
                            int sy = y * w.stride() - w.pad() + ky;
                            int sx = x * w.stride() - w.pad() + kx;
                            for (int ch = 0; ch < w.c(); ch++) {
                                boolean inside = sy >= 0 && sy < w.h() && sx >= 0 && sx < w.w();
                                double v = inside ? get(inp, (((long) i * w.h() + sy) * w.w() + sx) * w.c() + ch) : 0;
                                put(col, row * cols + ((long) ky * w.kw() + kx) * w.c() + ch, v);
                            }
                        }
                    }
                }
            }
        }
    }

    @Override
    protected void col2imImpl(Tensor dcol, Window w, Tensor dinp) {
        int oh = w.oh();
        int ow = w.ow();
        long cols = w.columnCols();
        double[] acc = new double[Math.toIntExact(w.inputSize())];
        for (int i = 0; i < w.n(); i++) {
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    long row = ((long) i * oh + y) * ow + x;
                    for (int ky = 0; ky < w.kh(); ky++) {
                        for (int kx = 0; kx < w.kw(); kx++) {
                            int sy = y * w.stride() - w.pad() + ky;
                            int sx = x * w.stride() - w.pad() + kx;
                            if (sy < 0 || sy >= w.h() || sx < 0 || sx >= w.w()) {
                                continue;
                            }
                            for (int ch = 0; ch < w.c(); ch++) {
                                acc[(int) ((((long) i * w.h() + sy) * w.w() + sx) * w.c() + ch)] +=
                                        get(dcol, row * cols + ((long) ky * w.kw() + kx) * w.c() + ch);
                            }
                        }
                    }
                }
            }
        }
        for (int j = 0; j < acc.length; j++) {
            put(dinp, j, acc[j]);
        }
    }

    @Override
    protected void maxPoolImpl(Tensor inp, Window w, IntVector argmax, Tensor out) {
        int oh = w.oh();
        int ow = w.ow();
        for (int i = 0; i < w.n(); i++) {
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    for (int ch = 0; ch < w.c(); ch++) {
                        long at = -1;
                        double best = 0;
                        for (int ky = 0; ky < w.kh(); ky++) {
                            for (int kx = 0; kx < w.kw(); kx++) {
                                long j = (((long) i * w.h() + y * w.stride() + ky) * w.w() + x * w.stride() + kx) * w.c()
                                        + ch;
                                double v = get(inp, j);
                                if (at < 0 || v > best || Double.isNaN(v) && !Double.isNaN(best)) {
                                    best = v;
                                    at = j;
                                }
                            }
                        }
                        int o = (int) ((((long) i * oh + y) * ow + x) * w.c() + ch);
                        put(out, o, best);
                        argmax.set(o, (int) at);
                    }
                }
            }
        }
    }

    @Override
    protected long maxPoolBackwardImpl(Tensor dout, IntVector argmax, Tensor dinp) {
        for (int j = 0; j < argmax.size(); j++) {
            if (argmax.get(j) < 0 || argmax.get(j) >= dinp.size()) {
                return j;
            }
        }
        double[] acc = new double[Math.toIntExact(dinp.size())];
        for (int j = 0; j < argmax.size(); j++) {
            acc[argmax.get(j)] += get(dout, j);
        }
        for (int j = 0; j < acc.length; j++) {
            put(dinp, j, acc[j]);
        }
        return -1;
    }

    @Override
    protected void dropoutMaskImpl(float p, long seed, long offset, Tensor mask) {
        float keep = 1.0f / (1.0f - p);
        for (long i = 0; i < mask.size(); i++) {
            float u = (float) (splitMix64(seed ^ splitMix64(offset + i)) >>> 40) * 0x1p-24f;
            mask.setFlat(i, u < p ? 0.0f : keep);
        }
    }

    /** SplitMix64's output function of {@code z + golden gamma}, as the C kernel computes it. */
    private static long splitMix64(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    protected void multiplyImpl(Tensor a, Tensor b, Tensor out) {
        for (long i = 0; i < a.size(); i++) {
            put(out, i, get(a, i) * get(b, i));
        }
    }

    @Override
    protected void prefetchRowsImpl(ByteMatrix src, IntVector indices, int offset, int rows, int column, int cols) {
        // the reference computes, it does not tune: nothing to ask for
    }

    @Override
    protected void gatherRowsImpl(ByteMatrix src, IntVector indices, int offset, int column, float scale,
                                  float shift, Tensor out) {
        MemorySegment pixels = src.segment();
        int cols = out.cols();
        for (int b = 0; b < out.rows(); b++) {
            long row = label(indices, offset + b);
            for (int c = 0; c < cols; c++) {
                int pixel = Byte.toUnsignedInt(pixels.get(ValueLayout.JAVA_BYTE, row * src.cols() + column + c));
                put(out, (long) b * cols + c, pixel * (double) scale + shift);
            }
        }
    }
}
