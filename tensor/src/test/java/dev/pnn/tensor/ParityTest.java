package dev.pnn.tensor;

import static dev.pnn.tensor.TestSupport.U;
import static dev.pnn.tensor.TestSupport.assertBitIdentical;
import static dev.pnn.tensor.TestSupport.assertClose;
import static dev.pnn.tensor.TestSupport.copy;
import static dev.pnn.tensor.TestSupport.random;
import static dev.pnn.tensor.TestSupport.randomLabels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * NativeBackend equals ReferenceBackend within a tolerance stated per operation.
 *
 * <p>Tolerances come from float32 error analysis, with {@code U = 2^-24} the unit roundoff: each
 * correctly rounded float operation has relative error at most U. The reference computes in
 * double and rounds once, so it is within U of the exact result; the bound covers the native
 * kernel's own roundings on top. Where a kernel does one correctly rounded operation per element
 * (bias add, ReLU and its gradient), the results must be bit-identical.
 *
 * <p>Shapes: fixed edge cases (1x1, sizes that are not multiples of 8 or 16, MNIST's 64x784 by
 * 128x784 layer, 1000 rows) and random ones from a fixed seed; the test name shows each.
 */
class ParityTest {

    private static final long SEED = 20261121L;

    private final Backend nat = NativeBackend.instance();
    private final Backend ref = ReferenceBackend.INSTANCE;
    private Arena arena;
    private SplittableRandom rnd;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
        rnd = new SplittableRandom(SEED);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    // ---- shapes ------------------------------------------------------------------------------

    /** (rows, cols): edge cases, then random sizes from 1 to 300. */
    static Stream<Arguments> shapes() {
        List<Arguments> list = new ArrayList<>(List.of(
                Arguments.of(1, 1), Arguments.of(1, 17), Arguments.of(17, 1), Arguments.of(7, 13),
                Arguments.of(33, 65), Arguments.of(64, 128), Arguments.of(64, 10), Arguments.of(1000, 10),
                Arguments.of(1000, 784), Arguments.of(3, 2500)));
        SplittableRandom r = new SplittableRandom(SEED + 1);
        for (int i = 0; i < 10; i++) {
            list.add(Arguments.of(1 + r.nextInt(300), 1 + r.nextInt(300)));
        }
        return list.stream();
    }

    /** (m, n, k) of op(a) m x k times op(b) k x n, every transpose pair, several alpha/beta. */
    static Stream<Arguments> gemmCases() {
        List<int[]> sizes = new ArrayList<>(List.of(
                new int[] {1, 1, 1}, new int[] {7, 13, 5}, new int[] {17, 33, 31}, new int[] {63, 65, 129},
                new int[] {64, 128, 784}, new int[] {1000, 10, 64}, new int[] {1000, 128, 784},
                new int[] {1100, 128, 784}, new int[] {40, 70, 300}));
        SplittableRandom r = new SplittableRandom(SEED + 2);
        for (int i = 0; i < 6; i++) {
            sizes.add(new int[] {1 + r.nextInt(200), 1 + r.nextInt(200), 1 + r.nextInt(200)});
        }
        float[][] alphaBeta = {{1, 0}, {-0.75f, 1}, {2.5f, -0.5f}, {0, 1.5f}};
        List<Arguments> list = new ArrayList<>();
        int i = 0;
        for (int[] s : sizes) {
            for (int t = 0; t < 4; t++) {
                float[] ab = alphaBeta[i++ % alphaBeta.length];
                list.add(Arguments.of(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, ab[0], ab[1]));
            }
        }
        return list.stream();
    }

    // ---- linear algebra ----------------------------------------------------------------------

    /**
     * Bound: Higham's gamma_k for a length-k dot product in any summation order, plus the alpha,
     * beta and final roundings: |diff| <= (k + 4) U (|alpha| (|op(a)| |op(b)|) + |beta| |c|).
     */
    @ParameterizedTest(name = "gemm {0}x{1}x{2} transA={3} transB={4} alpha={5} beta={6}")
    @MethodSource("gemmCases")
    void gemm(int m, int n, int k, boolean transA, boolean transB, float alpha, float beta) {
        Tensor a = transA ? random(arena, k, m, rnd) : random(arena, m, k, rnd);
        Tensor b = transB ? random(arena, n, k, rnd) : random(arena, k, n, rnd);
        Tensor c0 = random(arena, m, n, rnd);
        Tensor cr = ref.gemm(transA, transB, alpha, a, b, beta, copy(arena, c0));
        double[] absProduct = absProduct(a, b, transA, transB, m, n, k);
        // each way the native backend runs products: the own kernel where it applies (on one BLAS
        // thread), the BLAS on one thread and on two
        NativeBackend own = NativeBackend.instance(NativeBackend.Products.AUTO);
        int before = own.threads();
        try {
            for (int threads = 1; threads <= 2; threads++) {
                own.setThreads(threads);
                for (NativeBackend.Products products : NativeBackend.Products.values()) {
                    Tensor cn = NativeBackend.instance(products).gemm(transA, transB, alpha, a, b, beta,
                            copy(arena, c0));
                    assertClose("gemm (" + products + ", " + threads + " BLAS threads)", cn, cr,
                            i -> (k + 4) * U * (Math.abs(alpha) * absProduct[(int) i]
                                    + Math.abs(beta) * Math.abs(c0.getFlat(i))) + Float.MIN_VALUE);
                }
            }
        } finally {
            own.setThreads(Math.max(1, before));
        }
    }

    private static double[] absProduct(Tensor a, Tensor b, boolean transA, boolean transB, int m, int n, int k) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double av = Math.abs(transA ? a.get(p, i) : a.get(i, p));
                for (int j = 0; j < n; j++) {
                    out[i * n + j] += av * Math.abs(transB ? b.get(j, p) : b.get(p, j));
                }
            }
        }
        return out;
    }

    @Test
    void gemmIsBitIdenticalFromRunToRunAtAFixedThreadCount() {
        Tensor a = random(arena, 64, 784, rnd);
        Tensor b = random(arena, 128, 784, rnd);
        Tensor first = nat.gemm(false, true, 1, a, b, 0, Tensor.allocate(arena, 64, 128));
        for (int run = 0; run < 3; run++) {
            assertBitIdentical("gemm run " + run, nat.gemm(false, true, 1, a, b, 0, Tensor.allocate(arena, 64, 128)),
                    first);
        }
    }

    @ParameterizedTest(name = "axpy/scale {0}x{1}")
    @MethodSource("shapes")
    void axpyAndScale(int rows, int cols) {
        Tensor x = random(arena, rows, cols, rnd);
        Tensor y = random(arena, rows, cols, rnd);
        Tensor yn = nat.axpy(-1.25f, x, copy(arena, y));
        Tensor yr = ref.axpy(-1.25f, x, copy(arena, y));
        // one product and one sum (or one fused multiply-add) in float
        assertClose("axpy", yn, yr, i -> 2 * U * (1.25 * Math.abs(x.getFlat(i)) + Math.abs(y.getFlat(i))));
        assertBitIdentical("scale", nat.scale(0.3f, copy(arena, x)), ref.scale(0.3f, copy(arena, x)));
    }

    // ---- forward -----------------------------------------------------------------------------

    /** One correctly rounded float operation per element: bit-identical. */
    @ParameterizedTest(name = "bias and relu {0}x{1}")
    @MethodSource("shapes")
    void biasAndReluAreBitIdentical(int rows, int cols) {
        Tensor x = random(arena, rows, cols, rnd);
        Tensor bias = random(arena, 1, cols, rnd);
        Tensor dout = random(arena, rows, cols, rnd);
        assertBitIdentical("biasAdd", nat.biasAdd(x, bias, Tensor.allocate(arena, rows, cols)),
                ref.biasAdd(x, bias, Tensor.allocate(arena, rows, cols)));
        Tensor yn = nat.biasAddRelu(x, bias, Tensor.allocate(arena, rows, cols));
        assertBitIdentical("biasAddRelu", yn, ref.biasAddRelu(x, bias, Tensor.allocate(arena, rows, cols)));
        Tensor unfused = nat.relu(nat.biasAdd(x, bias, Tensor.allocate(arena, rows, cols)),
                Tensor.allocate(arena, rows, cols));
        assertBitIdentical("biasAddRelu == biasAdd then relu", yn, unfused);
        assertBitIdentical("relu", nat.relu(x, Tensor.allocate(arena, rows, cols)),
                ref.relu(x, Tensor.allocate(arena, rows, cols)));
        assertBitIdentical("reluBackward", nat.reluBackward(yn, dout, Tensor.allocate(arena, rows, cols)),
                ref.reluBackward(yn, dout, Tensor.allocate(arena, rows, cols)));
    }

    /** expf (1 ulp), an add and a division: 6U relative. */
    @ParameterizedTest(name = "sigmoid {0}x{1}")
    @MethodSource("shapes")
    void sigmoid(int rows, int cols) {
        Tensor x = random(arena, rows, cols, rnd, -20, 20);
        Tensor yr = ref.sigmoid(x, Tensor.allocate(arena, rows, cols));
        assertClose("sigmoid", nat.sigmoid(x, Tensor.allocate(arena, rows, cols)), yr,
                i -> 6 * U * Math.abs(yr.getFlat(i)));
        Tensor dout = random(arena, rows, cols, rnd);
        Tensor dr = ref.sigmoidBackward(yr, dout, Tensor.allocate(arena, rows, cols));
        // three products and 1 - out (exact for out >= 1/2, one rounding below)
        assertClose("sigmoidBackward", nat.sigmoidBackward(yr, dout, Tensor.allocate(arena, rows, cols)), dr,
                i -> 5 * U * Math.abs(dr.getFlat(i)));
    }

    /**
     * out = (x - m) - log(sum): the subtraction (U |x - m|), expf's 1-ulp errors turning into a
     * 2U absolute error of log(sum), the log's own rounding, and the final subtraction:
     * |diff| <= 4U (|x - m| + |log sum| + 1).
     */
    @ParameterizedTest(name = "logSoftmax {0}x{1}")
    @MethodSource("shapes")
    void logSoftmax(int rows, int cols) {
        Tensor x = random(arena, rows, cols, rnd, -30, 30);
        Tensor yr = ref.logSoftmax(x, Tensor.allocate(arena, rows, cols));
        double[] max = new double[rows];
        double[] logSum = new double[rows];
        for (int r = 0; r < rows; r++) {
            max[r] = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max[r] = Math.max(max[r], x.get(r, c));
            }
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += Math.exp(x.get(r, c) - max[r]);
            }
            logSum[r] = Math.log(s);
        }
        Tensor yn = nat.logSoftmax(x, Tensor.allocate(arena, rows, cols));
        assertClose("logSoftmax", yn, yr,
                i -> 4 * U * (Math.abs(x.getFlat(i) - max[(int) (i / cols)]) + logSum[(int) (i / cols)] + 1));
        // in place, block after block of rows (or a row at a time past 2048 classes): the same bits
        Tensor inPlace = Tensor.allocate(arena, rows, cols).copyFrom(x);
        assertArrayEquals(yn.toArray(), nat.logSoftmax(inPlace, inPlace).toArray(), "logSoftmax in place");
        Tensor dout = random(arena, rows, cols, rnd);
        Tensor dr = ref.logSoftmaxBackward(yr, dout, Tensor.allocate(arena, rows, cols));
        double[] rowSum = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                rowSum[r] += Math.abs(dout.get(r, c));
            }
        }
        // dout - exp(out) * s: expf, the product, the subtraction, and s rounded to float
        assertClose("logSoftmaxBackward", nat.logSoftmaxBackward(yr, dout, Tensor.allocate(arena, rows, cols)), dr,
                i -> 4 * U * (Math.abs(dout.getFlat(i)) + Math.exp(yr.getFlat(i)) * rowSum[(int) (i / cols)]));
    }

    // ---- losses ------------------------------------------------------------------------------

    /**
     * Loss: each row's log-sum-exp is formed in double from expf values (relative error 2U each),
     * so |diff| <= 4U. Gradient: (p - onehot) / rows with p = expf(x - m) * scale. The float
     * argument x - m carries an error of U |x - m|, which expf turns into a relative error of
     * U |x - m|; expf and the scaling add a few U:
     * |diff| <= (U (|x - m| + 6) p + 2U onehot) / rows.
     */
    @ParameterizedTest(name = "crossEntropy {0}x{1}")
    @MethodSource("shapes")
    void crossEntropy(int rows, int cols) {
        Tensor logits = random(arena, rows, cols, rnd, -10, 10);
        IntVector labels = randomLabels(arena, rows, cols, rnd);
        Tensor dn = Tensor.allocate(arena, rows, cols);
        Tensor dr = Tensor.allocate(arena, rows, cols);
        double ln = nat.crossEntropy(logits, labels, dn);
        double lr = ref.crossEntropy(logits, labels, dr);
        assertClose("cross-entropy loss", ln, lr, 4 * U * (1 + Math.abs(lr)));
        assertClose("cross-entropy loss without gradient", nat.crossEntropy(logits, labels), ln, 0);
        // in place over the logits, block after block of rows: the same bits
        Tensor inPlace = Tensor.allocate(arena, rows, cols).copyFrom(logits);
        assertEquals(ln, nat.crossEntropy(inPlace, labels, inPlace), "cross-entropy loss in place");
        assertArrayEquals(dn.toArray(), inPlace.toArray(), "dlogits in place");
        double[] max = new double[rows];
        for (int r = 0; r < rows; r++) {
            max[r] = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max[r] = Math.max(max[r], logits.get(r, c));
            }
        }
        assertClose("dlogits", dn, dr, i -> {
            int r = (int) (i / cols);
            double onehot = labels.get(r) == i % cols ? 1 : 0;
            double p = dr.getFlat(i) * rows + onehot;
            double argument = Math.abs(logits.getFlat(i) - max[r]);
            return (U * (argument + 6) * Math.abs(p) + 2 * U * onehot) / rows + Float.MIN_VALUE;
        });
    }

    /** Counting is exact: the same count, also with ties and NaN rows planted. */
    @ParameterizedTest(name = "countCorrect {0}x{1}")
    @MethodSource("shapes")
    void countCorrect(int rows, int cols) {
        Tensor scores = random(arena, rows, cols, rnd, -3, 3);
        for (int r = 0; r < rows; r += 3) {
            // whole numbers in a third of the rows: ties for the maximum
            for (int c = 0; c < cols; c++) {
                scores.set(r, c, Math.round(scores.get(r, c)));
            }
        }
        for (int r = 1; r < rows; r += 7) {
            scores.set(r, rnd.nextInt(cols), Float.NaN);
        }
        IntVector labels = randomLabels(arena, rows, cols, rnd);
        assertEquals(ref.countCorrect(scores, labels), nat.countCorrect(scores, labels), "random labels");
        // each row labelled with its first maximum: every row without a NaN counts
        int clean = 0;
        for (int r = 0; r < rows; r++) {
            int best = 0;
            boolean nan = false;
            for (int c = 0; c < cols; c++) {
                nan |= Float.isNaN(scores.get(r, c));
                best = scores.get(r, c) > scores.get(r, best) ? c : best;
            }
            labels.set(r, best);
            clean += nan ? 0 : 1;
        }
        assertEquals(clean, ref.countCorrect(scores, labels), "reference, labels at the first maxima");
        assertEquals(clean, nat.countCorrect(scores, labels), "native, labels at the first maxima");
    }

    @ParameterizedTest(name = "nll and mse {0}x{1}")
    @MethodSource("shapes")
    void nllAndMse(int rows, int cols) {
        Tensor logprobs = ref.logSoftmax(random(arena, rows, cols, rnd, -5, 5), Tensor.allocate(arena, rows, cols));
        IntVector labels = randomLabels(arena, rows, cols, rnd);
        Tensor dn = Tensor.allocate(arena, rows, cols);
        Tensor dr = Tensor.allocate(arena, rows, cols);
        // a sum of floats in double, in the same order: equal up to double rounding
        double nllRef = ref.nll(logprobs, labels, dr);
        assertClose("nll", nat.nll(logprobs, labels, dn), nllRef, 1e-12 * Math.abs(nllRef));
        assertBitIdentical("dlogprobs", dn, dr);

        Tensor out = random(arena, rows, cols, rnd);
        Tensor target = random(arena, rows, cols, rnd);
        double mseRef = ref.mse(out, target, dr);
        assertClose("mse", nat.mse(out, target, dn), mseRef, 1e-12 * mseRef);
        // (out - target) * (2/n) in float: two roundings and 2/n rounded to float
        assertClose("dmse", dn, dr, i -> 3 * U * Math.abs(dr.getFlat(i)) + Float.MIN_VALUE);
        double oneHotRef = ref.mseOneHot(out, labels, dr);
        assertClose("mseOneHot", nat.mseOneHot(out, labels, dn), oneHotRef, 1e-12 * oneHotRef);
        assertClose("dmseOneHot", dn, dr, i -> 3 * U * Math.abs(dr.getFlat(i)) + Float.MIN_VALUE);
    }

    // ---- backward ----------------------------------------------------------------------------

    /** A float sum over the rows: |diff| <= (rows + 2) U (sum |dout| + |dbias|). */
    @ParameterizedTest(name = "biasBackward {0}x{1}")
    @MethodSource("shapes")
    void biasBackward(int rows, int cols) {
        Tensor dout = random(arena, rows, cols, rnd);
        Tensor dbias0 = random(arena, 1, cols, rnd);
        double[] absSum = new double[cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                absSum[c] += Math.abs(dout.get(r, c));
            }
        }
        assertClose("biasBackward", nat.biasBackward(dout, copy(arena, dbias0)),
                ref.biasBackward(dout, copy(arena, dbias0)),
                i -> (rows + 2) * U * (absSum[(int) i] + Math.abs(dbias0.getFlat(i))));
    }

    // ---- optimizers --------------------------------------------------------------------------

    @ParameterizedTest(name = "sgd {0}x{1}")
    @MethodSource("shapes")
    void sgd(int rows, int cols) {
        Tensor p = random(arena, rows, cols, rnd);
        Tensor g = random(arena, rows, cols, rnd);
        float lr = 0.05f;
        float wd = 1e-3f;
        // g + wd p, lr * that, p - that: |diff| <= 4U (|p| + lr (|g| + wd |p|))
        assertClose("sgd", apply(p, q -> nat.sgd(q, g, lr, wd)), apply(p, q -> ref.sgd(q, g, lr, wd)),
                i -> 4 * U * (Math.abs(p.getFlat(i)) + lr * (Math.abs(g.getFlat(i)) + wd * Math.abs(p.getFlat(i)))));
    }

    @ParameterizedTest(name = "momentum {0}x{1}")
    @MethodSource("shapes")
    void sgdMomentum(int rows, int cols) {
        Tensor g = random(arena, rows, cols, rnd);
        momentumBothWays(rows, cols, (backend, p, v, nesterov) -> backend.sgdMomentum(p, v, g, 0.05f, 0.9f, 1e-3f,
                nesterov), i -> Math.abs(g.getFlat(i)));
    }

    @ParameterizedTest(name = "momentum of a product {0}x{1}")
    @MethodSource("shapes")
    void sgdMomentumOfProduct(int rows, int cols) {
        int k = 17;
        Tensor a = random(arena, k, rows, rnd); // transposed, as a weight's gradient x^T dy
        Tensor b = random(arena, k, cols, rnd);
        double[] absProduct = absProduct(a, b, true, false, rows, cols, k);
        // the gradient's sum over k: k + 2 roundings of |a||b|
        momentumBothWays(rows, cols, (backend, p, v, nesterov) -> backend.sgdMomentumOfProduct(true, false, a, b, p, v,
                Tensor.allocate(arena, rows, cols), 0.05f, 0.9f, 1e-3f, nesterov), i -> (k + 2) * absProduct[(int) i]);
    }

    /** A momentum step on one backend, from parameters and velocity it updates in place. */
    @FunctionalInterface
    private interface MomentumStep {
        void run(Backend backend, Tensor params, Tensor velocity, boolean nesterov);
    }

    /**
     * {@code step} on the native and the reference backend from the same parameters and velocity,
     * plain and Nesterov: each value is a handful of float operations on terms bounded by |p|, |v|
     * and {@code gradientTerms}.
     */
    private void momentumBothWays(int rows, int cols, MomentumStep step, Comparison.Bound gradientTerms) {
        for (boolean nesterov : new boolean[] {false, true}) {
            Tensor p = random(arena, rows, cols, rnd);
            Tensor v0 = random(arena, rows, cols, rnd);
            Tensor pn = copy(arena, p);
            Tensor vn = copy(arena, v0);
            Tensor pr = copy(arena, p);
            Tensor vr = copy(arena, v0);
            step.run(nat, pn, vn, nesterov);
            step.run(ref, pr, vr, nesterov);
            Comparison.Bound terms = i -> Math.abs(p.getFlat(i)) + Math.abs(v0.getFlat(i)) + gradientTerms.at(i);
            assertClose("velocity nesterov=" + nesterov, vn, vr, i -> 4 * U * terms.at(i));
            assertClose("params nesterov=" + nesterov, pn, pr, i -> 6 * U * terms.at(i));
        }
    }

    @ParameterizedTest(name = "adam {0}x{1}")
    @MethodSource("shapes")
    void adam(int rows, int cols) {
        for (boolean decoupled : new boolean[] {false, true}) {
            long step = 1 + rnd.nextInt(1000);
            Tensor p = random(arena, rows, cols, rnd);
            Tensor m0 = random(arena, rows, cols, rnd, -0.1, 0.1);
            Tensor v0 = random(arena, rows, cols, rnd, 0, 0.01);
            Tensor g = random(arena, rows, cols, rnd);
            Tensor pn = copy(arena, p);
            Tensor mn = copy(arena, m0);
            Tensor vn = copy(arena, v0);
            Tensor pr = copy(arena, p);
            Tensor mr = copy(arena, m0);
            Tensor vr = copy(arena, v0);
            nat.adam(pn, mn, vn, g, step, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled);
            ref.adam(pr, mr, vr, g, step, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled);
            String what = " step=" + step + " decoupled=" + decoupled;
            assertClose("m" + what, mn, mr, i -> 4 * U * (Math.abs(m0.getFlat(i)) + Math.abs(g.getFlat(i))));
            assertClose("v" + what, vn, vr, i -> 4 * U * (v0.getFlat(i) + g.getFlat(i) * g.getFlat(i)));
            // the step lr/bc1 * m / (sqrt(v)/bc2 + eps) is at most ~lr/bc1 * sqrt(1/(1-b2)) per element;
            // sqrt, two divisions, two products, plus m and v's own roundings: 12U of it
            double stepBound = 1e-3 / (1 - Math.pow(0.9, step)) * Math.sqrt(1 / (1 - 0.999));
            assertClose("params" + what, pn, pr, i -> 4 * U * Math.abs(p.getFlat(i)) + 12 * U * stepBound);
        }
    }

    private Tensor apply(Tensor p, java.util.function.Consumer<Tensor> update) {
        Tensor q = copy(arena, p);
        update.accept(q);
        return q;
    }

    // ---- data --------------------------------------------------------------------------------

    @ParameterizedTest(name = "gatherRows {0}x{1}")
    @MethodSource("shapes")
    void gatherRows(int rows, int cols) {
        int srcRows = 1 + rnd.nextInt(500);
        ByteMatrix src = ByteMatrix.allocate(arena, srcRows, cols);
        for (int r = 0; r < srcRows; r++) {
            for (int c = 0; c < cols; c++) {
                src.set(r, c, rnd.nextInt(256));
            }
        }
        IntVector idx = IntVector.allocate(arena, rows + 3);
        for (int i = 0; i < idx.size(); i++) {
            idx.set(i, rnd.nextInt(srcRows));
        }
        float scale = (float) (1 / (255 * 0.3081));
        float shift = (float) (-0.1307 / 0.3081);
        Tensor on = nat.gatherRows(src, idx, 3, scale, shift, Tensor.allocate(arena, rows, cols));
        Tensor or = ref.gatherRows(src, idx, 3, scale, shift, Tensor.allocate(arena, rows, cols));
        // a product and a sum in float
        assertClose("gatherRows", on, or, i -> 2 * U * (255 * scale + Math.abs(shift)));
        // natively exactly those two float operations, whatever the vector width
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float expected = (float) src.get(idx.get(3 + r), c) * scale + shift;
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(on.get(r, c)),
                        "row " + r + ", column " + c);
            }
        }

        // a range of the columns: as the reference, and the same bits as those columns of the whole rows
        int column = rnd.nextInt(cols);
        int width = 1 + rnd.nextInt(cols - column);
        Tensor pn = nat.gatherRows(src, idx, 3, column, scale, shift, Tensor.allocate(arena, rows, width));
        Tensor pr = ref.gatherRows(src, idx, 3, column, scale, shift, Tensor.allocate(arena, rows, width));
        assertClose("gatherRows columns [" + column + ", " + (column + width) + ")", pn, pr,
                i -> 2 * U * (255 * scale + Math.abs(shift)));
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < width; c++) {
                assertEquals(on.get(r, column + c), pn.get(r, c), "row " + r + ", column " + (column + c));
                assertEquals(or.get(r, column + c), pr.get(r, c), "reference: row " + r + ", column " + (column + c));
            }
        }
        // and the hint for those columns reads the same rows
        nat.prefetchRows(src, idx, 3, rows, column, width);
    }
}
