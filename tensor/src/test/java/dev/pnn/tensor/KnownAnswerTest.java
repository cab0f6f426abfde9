package dev.pnn.tensor;

import static dev.pnn.tensor.TestSupport.U;
import static dev.pnn.tensor.TestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** One small example per operation, worked out by hand, on both backends. */
class KnownAnswerTest {

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    static java.util.stream.Stream<Backend> backends() {
        return TestSupport.backends();
    }

    private Tensor t(int rows, int cols, float... v) {
        return Tensor.of(arena, rows, cols, v);
    }

    private static void assertValues(String what, Tensor actual, double tolerance, double... expected) {
        float[] got = actual.toArray();
        assertEquals(expected.length, got.length, what + ": size");
        for (int i = 0; i < expected.length; i++) {
            assertClose(what + "[" + i + "]", got[i], expected[i], tolerance);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gemmAllTransposes(Backend backend) {
        // a = [1 2 3; 4 5 6], b = [1 2; 3 4; 5 6]: a b = [22 28; 49 64]
        Tensor a = t(2, 3, 1, 2, 3, 4, 5, 6);
        Tensor b = t(3, 2, 1, 2, 3, 4, 5, 6);
        Tensor aT = t(3, 2, 1, 4, 2, 5, 3, 6);
        Tensor bT = t(2, 3, 1, 3, 5, 2, 4, 6);
        assertValues("a b", backend.gemm(false, false, 1, a, b, 0, Tensor.allocate(arena, 2, 2)), 0, 22, 28, 49, 64);
        assertValues("(aT)T b", backend.gemm(true, false, 1, aT, b, 0, Tensor.allocate(arena, 2, 2)), 0, 22, 28, 49, 64);
        assertValues("a (bT)T", backend.gemm(false, true, 1, a, bT, 0, Tensor.allocate(arena, 2, 2)), 0, 22, 28, 49, 64);
        assertValues("(aT)T (bT)T", backend.gemm(true, true, 1, aT, bT, 0, Tensor.allocate(arena, 2, 2)), 0,
                22, 28, 49, 64);
        // alpha = 2, beta = 0.5 on c = [2 4; 6 8]: 2 (a b) + 0.5 c = [45 58; 101 132]
        assertValues("2 a b + c/2", backend.gemm(false, false, 2, a, b, 0.5f, t(2, 2, 2, 4, 6, 8)), 0,
                45, 58, 101, 132);
        // b^T b (3x2 transposed times 3x2) = [35 44; 44 56]
        assertValues("bT b", backend.gemm(true, false, 1, b, b, 0, Tensor.allocate(arena, 2, 2)), 0, 35, 44, 44, 56);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gemmWithBetaZeroIgnoresNanInOutput(Backend backend) {
        Tensor c = t(1, 1, Float.NaN);
        backend.gemm(false, false, 1, t(1, 2, 1, 2), t(2, 1, 3, 4), 0, c);
        assertEquals(11f, c.get(0, 0));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void axpyAndScale(Backend backend) {
        Tensor y = t(1, 3, 1, 2, 3);
        backend.axpy(2, t(1, 3, 10, 20, 30), y);
        assertValues("axpy", y, 0, 21, 42, 63);
        assertValues("scale", backend.scale(-0.5f, y), 0, -10.5, -21, -31.5);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void biasAndRelu(Backend backend) {
        Tensor x = t(2, 3, -1, 0, 2, 3, -4, Float.NaN);
        Tensor bias = t(1, 3, 0.5f, -0.5f, 1);
        assertValues("biasAdd", backend.biasAdd(x, bias, Tensor.allocate(arena, 2, 3)), 0,
                -0.5, -0.5, 3, 3.5, -4.5, Double.NaN);
        assertValues("biasAddRelu", backend.biasAddRelu(x, bias, Tensor.allocate(arena, 2, 3)), 0,
                0, 0, 3, 3.5, 0, Double.NaN);
        assertValues("relu", backend.relu(x, Tensor.allocate(arena, 2, 3)), 0, 0, 0, 2, 3, 0, Double.NaN);
        // in place
        Tensor y = t(1, 2, -1, 1);
        backend.biasAddRelu(y, t(1, 2, 0, 1), y);
        assertValues("biasAddRelu in place", y, 0, 0, 2);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void reluBackwardIsZeroAtExactlyZero(Backend backend) {
        Tensor out = t(1, 4, 0, 2, 0, -0.0f);
        Tensor dout = t(1, 4, 5, 6, 7, 8);
        assertValues("reluBackward", backend.reluBackward(out, dout, Tensor.allocate(arena, 1, 4)), 0, 0, 6, 0, 0);
        // in place over dout
        backend.reluBackward(out, dout, dout);
        assertValues("reluBackward in place", dout, 0, 0, 6, 0, 0);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void sigmoidSaturatesWithoutOverflow(Backend backend) {
        Tensor y = backend.sigmoid(t(1, 5, 0, 100, -100, 1000, -1000), Tensor.allocate(arena, 1, 5));
        assertValues("sigmoid", y, 4 * U, 0.5, 1, Math.exp(-100) / (1 + Math.exp(-100)), 1, 0);
        // derivative at 0: 0.25
        Tensor d = backend.sigmoidBackward(t(1, 1, 0.5f), t(1, 1, 2), Tensor.allocate(arena, 1, 1));
        assertValues("sigmoidBackward", d, 0, 0.5);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void logSoftmax(Backend backend) {
        Tensor y = backend.logSoftmax(t(2, 3, 1, 2, 3, 0, 0, 0), Tensor.allocate(arena, 2, 3));
        double lse = 3 + Math.log(1 + Math.exp(-1) + Math.exp(-2));
        assertValues("logSoftmax", y, 4 * U * 4, 1 - lse, 2 - lse, 3 - lse, -Math.log(3), -Math.log(3), -Math.log(3));
        // backward: dout = [1 0 0] on probabilities p: dinp = dout - p * 1
        Tensor dinp = backend.logSoftmaxBackward(y.rows(0, 1), t(1, 3, 1, 0, 0), Tensor.allocate(arena, 1, 3));
        double p0 = Math.exp(1 - lse);
        double p1 = Math.exp(2 - lse);
        double p2 = Math.exp(3 - lse);
        assertValues("logSoftmaxBackward", dinp, 8 * U, 1 - p0, -p1, -p2);
    }

    /**
     * The softmax kernels' exponential, read off the log-softmax backward pass: with dout = [0 1]
     * on a row [v w], dinp[0] = 0 - exp(v) * 1, exactly minus the exponential as the kernel
     * rounds it. It must be exp(v) rounded to float (Math.exp, then one rounding) over the whole
     * range, into subnormal results and past the largest float, and 0, inf and NaN at the ends.
     */
    @ParameterizedTest
    @MethodSource("backends")
    void softmaxExponentialIsExpRoundedToFloat(Backend backend) {
        int n = 20_001;
        Tensor out = Tensor.allocate(arena, n + 3, 2);
        Tensor dout = Tensor.allocate(arena, n + 3, 2);
        for (int i = 0; i < n + 3; i++) {
            float v = i < n ? (float) (-110 + 200.0 * i / (n - 1)) // -110 to 90
                    : new float[] {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN}[i - n];
            out.set(i, 0, v);
            dout.set(i, 1, 1);
        }
        Tensor dinp = backend.logSoftmaxBackward(out, dout, Tensor.allocate(arena, n + 3, 2));
        int off = 0;
        for (int i = 0; i < n; i++) {
            float v = out.get(i, 0);
            float expected = (float) Math.exp(v);
            float actual = -dinp.get(i, 0);
            if (actual != expected) {
                off++;
                assertEquals(expected, actual, Math.ulp(expected), "exp(" + v + ") more than an ulp off");
            }
        }
        assertTrue(off <= 2, off + " of " + n + " exponentials not rounded as exp(v) is");
        assertEquals(0f, dinp.get(n, 0), "exp(-inf): 0 - 0");
        assertEquals(Float.NEGATIVE_INFINITY, dinp.get(n + 1, 0), "exp(+inf): 0 - inf");
        assertTrue(Float.isNaN(dinp.get(n + 2, 0)), "exp(NaN)");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void crossEntropyFusedLossAndGradient(Backend backend) {
        // row 0: logits [0 0], label 0: softmax [1/2 1/2], loss ln 2
        // row 1: logits [ln 3, 0], label 1: softmax [3/4 1/4], loss ln 4; mean 1.5 ln 2
        Tensor logits = t(2, 2, 0, 0, (float) Math.log(3), 0);
        IntVector labels = IntVector.of(arena, 0, 1);
        Tensor dlogits = Tensor.allocate(arena, 2, 2);
        double loss = backend.crossEntropy(logits, labels, dlogits);
        assertClose("loss", loss, 1.5 * Math.log(2), 4 * U);
        assertValues("dlogits", dlogits, 4 * U, (0.5 - 1) / 2, 0.5 / 2, 0.75 / 2, (0.25 - 1) / 2);
        assertClose("loss only", backend.crossEntropy(logits, labels), loss, 0);
        // in place over the logits
        backend.crossEntropy(logits, labels, logits);
        assertValues("dlogits in place", logits, 4 * U, (0.5 - 1) / 2, 0.5 / 2, 0.75 / 2, (0.25 - 1) / 2);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void countCorrectTakesTheFirstMaximumAndNoNanRow(Backend backend) {
        float nan = Float.NaN;
        float inf = Float.POSITIVE_INFINITY;
        Tensor scores = t(7, 3,
                1, 5, 2,        // argmax 1
                4, 4, 1,        // a tie: the first, 0
                -0f, 0f, -1,    // -0 and 0 are equal: 0
                1, nan, 9,      // a NaN: no argmax
                nan, 0, 0,      // a NaN first: no argmax
                -inf, -inf, -inf, // all -inf: the first, 0
                2, 3, inf);     // argmax 2
        IntVector labels = IntVector.of(arena, 1, 0, 0, 2, 1, 0, 2);
        assertEquals(5, backend.countCorrect(scores, labels));
        assertEquals(0, backend.countCorrect(scores, IntVector.of(arena, 0, 1, 1, 0, 0, 1, 1)));
        assertEquals(1, backend.countCorrect(scores.rows(2, 2), IntVector.of(arena, 0, 2)), "a view of rows");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void nllEqualsCrossEntropyAfterLogSoftmax(Backend backend) {
        Tensor logprobs = t(2, 2, -0.25f, -1.5f, -2, -0.125f);
        IntVector labels = IntVector.of(arena, 1, 0);
        Tensor d = Tensor.allocate(arena, 2, 2);
        assertClose("nll", backend.nll(logprobs, labels, d), (1.5 + 2) / 2, 0);
        assertValues("dlogprobs", d, 0, 0, -0.5, -0.5, 0);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void meanSquaredError(Backend backend) {
        Tensor out = t(1, 4, 1, 2, 3, 4);
        Tensor d = Tensor.allocate(arena, 1, 4);
        // differences 1 0 -1 2: mean of squares 6/4
        assertClose("mse", backend.mse(out, t(1, 4, 0, 2, 4, 2), d), 1.5, 0);
        assertValues("dout", d, 0, 0.5, 0, -0.5, 1);
        // one-hot of labels [1, 0] against [[0.5 0.5] [1 0]]: (0.25 + 0.25 + 0 + 0) / 4
        Tensor probs = t(2, 2, 0.5f, 0.5f, 1, 0);
        Tensor d2 = Tensor.allocate(arena, 2, 2);
        assertClose("mseOneHot", backend.mseOneHot(probs, IntVector.of(arena, 1, 0), d2), 0.125, 0);
        assertValues("dout one-hot", d2, 0, 0.25, -0.25, 0, 0);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void biasBackwardAccumulates(Backend backend) {
        Tensor dbias = t(1, 2, 1, 1);
        backend.biasBackward(t(2, 2, 1, 2, 3, 4), dbias);
        assertValues("dbias", dbias, 0, 5, 7);
        backend.biasBackward(t(2, 2, 1, 2, 3, 4), dbias);
        assertValues("dbias twice", dbias, 0, 9, 13);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void sgdSteps(Backend backend) {
        Tensor p = t(1, 2, 1, -2);
        backend.sgd(p, t(1, 2, 0.5f, 1), 0.1f, 0.01f);
        // 1 - 0.1 (0.5 + 0.01) = 0.949;  -2 - 0.1 (1 - 0.02) = -2.098
        assertValues("sgd", p, 4 * U * 2.1, 0.949, -2.098);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void sgdWithoutDecayIsParamsMinusLrTimesGrads(Backend backend) {
        // no decay term at all (0 * params is not added): a -0 gradient moves -0 to +0 as
        // -0 - 0.1 * -0 does, an infinite parameter stays infinite instead of becoming NaN
        Tensor p = t(1, 3, -0f, Float.POSITIVE_INFINITY, 3);
        backend.sgd(p, t(1, 3, -0f, 1, 2), 0.1f, 0f);
        assertEquals(Float.floatToRawIntBits(-0f - 0.1f * -0f), Float.floatToRawIntBits(p.get(0, 0)),
                "-0 - lr * -0 is +0");
        assertEquals(Float.POSITIVE_INFINITY, p.get(0, 1), "an infinite parameter without decay");
        assertEquals(3f - 0.1f * 2f, p.get(0, 2), "3 - 0.1 * 2 in float");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void momentumMatchesPyTorchOverTwoSteps(Backend backend) {
        // p = 1, g = 1 both steps, lr 0.1, momentum 0.9:
        // step 1: v = 1, p = 0.9;  step 2: v = 1.9, p = 0.71
        Tensor p = t(1, 1, 1);
        Tensor v = Tensor.allocate(arena, 1, 1);
        Tensor g = t(1, 1, 1);
        backend.sgdMomentum(p, v, g, 0.1f, 0.9f, 0, false);
        backend.sgdMomentum(p, v, g, 0.1f, 0.9f, 0, false);
        assertValues("momentum p", p, 8 * U, 0.71);
        assertValues("momentum v", v, 4 * U, 1.9);
        // Nesterov: step 1: v = 1, p = 1 - 0.1 (1 + 0.9) = 0.81; step 2: v = 1.9, p = 0.81 - 0.1 (1 + 1.71) = 0.539
        Tensor pn = t(1, 1, 1);
        Tensor vn = Tensor.allocate(arena, 1, 1);
        backend.sgdMomentum(pn, vn, g, 0.1f, 0.9f, 0, true);
        backend.sgdMomentum(pn, vn, g, 0.1f, 0.9f, 0, true);
        assertValues("nesterov p", pn, 8 * U, 0.539);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void adamFirstStepMovesByLearningRateTimesSign(Backend backend) {
        // step 1: m_hat = g, v_hat = g^2, update = lr g / (|g| + eps) ~ lr sign(g)
        Tensor p = t(1, 3, 1, 1, 1);
        Tensor m = Tensor.allocate(arena, 1, 3);
        Tensor v = Tensor.allocate(arena, 1, 3);
        backend.adam(p, m, v, t(1, 3, 0.5f, -4, 0), 1, 0.01f, 0.9f, 0.999f, 1e-8f, 0, false);
        assertValues("adam p", p, 16 * U, 1 - 0.01 * 0.5 / (0.5 + 1e-8), 1 + 0.01 * 4 / (4 + 1e-8), 1);
        // with the float hyperparameters the kernels receive: 1 - 0.9f and 1 - 0.999f
        double oneMinusB1 = 1 - (double) 0.9f;
        double oneMinusB2 = 1 - (double) 0.999f;
        assertValues("adam m", m, 4 * U, oneMinusB1 * 0.5, oneMinusB1 * -4, 0);
        assertValues("adam v", v, 4 * U * 0.016, oneMinusB2 * 0.25, oneMinusB2 * 16, 0);
        // AdamW: decoupled decay multiplies p by 1 - lr wd before the step
        Tensor pw = t(1, 1, 2);
        backend.adam(pw, Tensor.allocate(arena, 1, 1), Tensor.allocate(arena, 1, 1), t(1, 1, 0), 1, 0.1f, 0.9f,
                0.999f, 1e-8f, 0.5f, true);
        assertValues("adamw p", pw, 4 * U * 2, 2 * (1 - 0.05));
    }

    /** State decaying below the smallest normal float is stored as 0 (as a dead ReLU unit's would). */
    @ParameterizedTest
    @MethodSource("backends")
    void optimizerStateNeverGoesSubnormal(Backend backend) {
        float tiny = Float.MIN_NORMAL * 1.05f; // times 0.9 lands below MIN_NORMAL
        Tensor p = t(1, 2, 1, 1);
        Tensor velocity = t(1, 2, tiny, 1e-30f);
        backend.sgdMomentum(p, velocity, t(1, 2, 0, 0), 0.1f, 0.9f, 0, false);
        assertEquals(0f, velocity.get(0, 0));
        assertEquals(0.9f * 1e-30f, velocity.get(0, 1), 1e-37f);
        Tensor m = t(1, 1, tiny);
        Tensor v = t(1, 1, tiny);
        backend.adam(t(1, 1, 1), m, v, t(1, 1, 0), 5, 1e-3f, 0.9f, 0.5f, 1e-8f, 0, false);
        assertEquals(0f, m.get(0, 0));
        assertEquals(0f, v.get(0, 0));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gatherScalesAndNormalizes(Backend backend) {
        ByteMatrix src = ByteMatrix.allocate(arena, 3, 2);
        src.set(0, 0, 0);
        src.set(0, 1, 255);
        src.set(1, 0, 128);
        src.set(1, 1, 1);
        src.set(2, 0, 7);
        src.set(2, 1, 9);
        IntVector idx = IntVector.of(arena, 2, 1, 0);
        Tensor out = backend.gatherRows(src, idx, 1, 1f / 255, 0, Tensor.allocate(arena, 2, 2));
        assertValues("gather", out, 2 * U, 128 / 255.0, 1 / 255.0, 0, 1);
        // normalized: (x/255 - 0.5) / 0.25 with scale 1/(255*0.25), shift -2
        Tensor norm = backend.gatherRows(src, idx, 0, 1f / (255 * 0.25f), -2, Tensor.allocate(arena, 1, 2));
        assertValues("gather normalized", norm, 8 * U, (7 / 255.0 - 0.5) / 0.25, (9 / 255.0 - 0.5) / 0.25);
        // the second column alone, of rows 1 and 0
        Tensor column = backend.gatherRows(src, idx, 1, 1, 1f / 255, 0, Tensor.allocate(arena, 2, 1));
        assertValues("gather of column 1", column, 2 * U, 1 / 255.0, 1);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void operationsReturnTheirOutput(Backend backend) {
        Tensor out = Tensor.allocate(arena, 1, 2);
        assertTrue(backend.relu(t(1, 2, 1, 2), out) == out);
        assertArrayEquals(new float[] {1, 2}, out.toArray());
    }
}
