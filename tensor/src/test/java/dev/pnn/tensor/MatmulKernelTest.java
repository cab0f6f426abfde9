package dev.pnn.tensor;

import static dev.pnn.tensor.TestSupport.assertBitIdentical;
import static dev.pnn.tensor.TestSupport.copy;
import static dev.pnn.tensor.TestSupport.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.bindings.kernels.pnn_kernels_h;

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
 * The own product kernel ({@code pnn_matmul}) to the last bit: every element must be the sum its
 * contract states, {@code Math.fma} after {@code Math.fma} over k from 0, then
 * {@code alpha * sum + beta * c}, for every tile and tail shape (rows 1 to 6 of a tile, 1 to 64
 * columns of a panel), every transpose, views into larger tensors; and the backend must send it
 * exactly the products it promises to.
 */
class MatmulKernelTest {

    private static final NativeBackend OWN = NativeBackend.instance(NativeBackend.Products.AUTO);
    private static final NativeBackend BLAS = NativeBackend.instance(NativeBackend.Products.BLAS);

    private Arena arena;
    private SplittableRandom rnd;
    private int threadsBefore;

    @BeforeEach
    void open() {
        assertEquals(1, pnn_kernels_h.pnn_matmul_supported(),
                "this processor has no AVX-512F, which the own product kernel needs and this suite tests");
        threadsBefore = OWN.threads();
        OWN.setThreads(1); // the kernel takes products when the BLAS runs one thread
        arena = Arena.ofConfined();
        rnd = new SplittableRandom(20261122L);
    }

    @AfterEach
    void close() {
        arena.close();
        OWN.setThreads(Math.max(1, threadsBefore));
    }

    /** The contract, in Java: one float fused multiply-add after another, then alpha and beta. */
    private static float[] expected(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a,
                                    Tensor b, float beta, Tensor c) {
        float[] out = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0;
                for (int p = 0; p < k; p++) {
                    sum = Math.fma(transA ? a.get(p, i) : a.get(i, p), transB ? b.get(j, p) : b.get(p, j), sum);
                }
                float v = alpha * sum;
                out[i * n + j] = alpha == 0 ? (beta == 0 ? 0 : beta * c.get(i, j)) // a and b not read
                        : beta == 0 ? v : v + beta * c.get(i, j);
            }
        }
        return out;
    }

    static Stream<Arguments> shapes() {
        List<Arguments> list = new ArrayList<>();
        int[][] sizes = {{1, 1, 1}, {6, 64, 3}, {7, 65, 2}, {5, 16, 9}, {13, 17, 33}, {12, 48, 1}, {2, 15, 40},
                         {64, 128, 784}, {784, 128, 64}, {64, 10, 64}, {64, 128, 64}, {37, 130, 256}, {3, 200, 5}};
        float[][] alphaBeta = {{1, 0}, {1, 1}, {-0.75f, 1}, {2.5f, -0.5f}, {0, 1.5f}};
        int i = 0;
        for (int[] s : sizes) {
            for (int t = 0; t < 4; t++) {
                if ((t & 2) != 0 && s[2] > NativeBackend.OWN_MATMUL_MAX_TRANSPOSED_K) {
                    continue; // a transposed b this long goes to the BLAS (tested below)
                }
                float[] ab = alphaBeta[i++ % alphaBeta.length];
                list.add(Arguments.of(s[0], s[1], s[2], (t & 1) != 0, (t & 2) != 0, ab[0], ab[1]));
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "{0}x{1}x{2} transA={3} transB={4} alpha={5} beta={6}")
    @MethodSource("shapes")
    void everyElementIsItsFusedSumInOrder(int m, int n, int k, boolean transA, boolean transB, float alpha,
                                          float beta) {
        assertTrue(OWN.ownsProduct(transB, m, n, k));
        Tensor a = transA ? random(arena, k, m, rnd) : random(arena, m, k, rnd);
        Tensor b = transB ? random(arena, n, k, rnd) : random(arena, k, n, rnd);
        Tensor c0 = random(arena, m, n, rnd);
        Tensor c = OWN.gemm(transA, transB, alpha, a, b, beta, copy(arena, c0));
        assertBitIdentical("pnn_matmul", c, Tensor.of(arena, m, n,
                expected(transA, transB, m, n, k, alpha, a, b, beta, c0)));
    }

    @Test
    void operandsThatAreViewsIntoLargerTensorsAndCellsAroundTheResultAreLeftAsTheyWere() {
        // rows 3..(3+m) of larger tensors: their segments start mid-tensor and end before its end
        int m = 11, n = 70, k = 19;
        Tensor bigA = random(arena, m + 5, k, rnd);
        Tensor bigB = random(arena, n + 4, k, rnd);
        Tensor bigC = random(arena, m + 6, n, rnd);
        Tensor before = copy(arena, bigC);
        Tensor a = bigA.rows(3, m);
        Tensor b = bigB.rows(2, n);
        Tensor c = bigC.rows(4, m);
        Tensor c0 = copy(arena, c);
        OWN.gemm(false, true, 1f, a, b, 0.5f, c);
        assertBitIdentical("view", c, Tensor.of(arena, m, n, expected(false, true, m, n, k, 1f, a, b, 0.5f, c0)));
        assertBitIdentical("rows before", bigC.rows(0, 4), before.rows(0, 4));
        assertBitIdentical("rows after", bigC.rows(4 + m, 2), before.rows(4 + m, 2));
    }

    @Test
    void withAlphaZeroTheOperandsAreNotRead() {
        Tensor a = random(arena, 9, 20, rnd).fill(Float.NaN);
        Tensor b = random(arena, 20, 33, rnd).fill(Float.POSITIVE_INFINITY);
        Tensor c0 = random(arena, 9, 33, rnd);
        Tensor c = OWN.gemm(false, false, 0f, a, b, 2f, copy(arena, c0));
        for (long i = 0; i < c.size(); i++) {
            assertEquals(2f * c0.getFlat(i), c.getFlat(i), "element " + i);
        }
    }

    @Test
    void withBetaZeroTheOldResultIsNotRead() {
        Tensor a = random(arena, 9, 20, rnd);
        Tensor b = random(arena, 20, 33, rnd);
        Tensor c = Tensor.allocate(arena, 9, 33).fill(Float.NaN);
        OWN.gemm(false, false, 1f, a, b, 0f, c);
        for (long i = 0; i < c.size(); i++) {
            assertFalse(Float.isNaN(c.getFlat(i)), "element " + i + " is NaN: the old c was read");
        }
    }

    @Test
    void theBackendSendsTheKernelExactlyTheProductsItPromises() {
        // every product of the MNIST networks up to batch 1024, both layouts of b
        assertTrue(OWN.ownsProduct(false, 1024, 128, 784));
        assertTrue(OWN.ownsProduct(false, 784, 128, 1024));
        assertTrue(OWN.ownsProduct(true, 1024, 784, 128));
        // too large for the cache, a transposed b with k above the packed panel, the BLAS choice
        assertFalse(OWN.ownsProduct(false, 1024, 1024, 1024));
        assertFalse(OWN.ownsProduct(true, 64, 64, NativeBackend.OWN_MATMUL_MAX_TRANSPOSED_K + 1));
        assertTrue(OWN.ownsProduct(true, 64, 64, NativeBackend.OWN_MATMUL_MAX_TRANSPOSED_K));
        assertFalse(BLAS.ownsProduct(false, 64, 128, 784));
        // a product the kernel does not take has the BLAS's bits
        Tensor a = random(arena, 20, 300, rnd);
        Tensor b = random(arena, 30, 300, rnd);
        assertBitIdentical("k above the packed panel",
                OWN.gemm(false, true, 1f, a, b, 0f, Tensor.allocate(arena, 20, 30)),
                BLAS.gemm(false, true, 1f, a, b, 0f, Tensor.allocate(arena, 20, 30)));
    }

    /**
     * The momentum update inside the product ({@code pnn_matmul_momentum}) and plain SGD as one
     * product against the gradient stored and the update after it: the same bits, for tile tails, transposes, weight
     * decay, Nesterov, velocities that decay into the range stored as 0, on the own kernel and on
     * the BLAS (which does it in two calls); scratch untouched where the kernel fuses.
     */
    @Test
    void anUpdateInTheProductHasTheBitsOfTheUpdateAfterIt() {
        int[][] shapes = {{784, 128, 64}, {128, 64, 64}, {7, 13, 5}, {1, 1, 1}, {61, 70, 33}};
        for (NativeBackend backend : List.of(OWN, BLAS)) {
            for (int[] shape : shapes) {
                for (int variant = 0; variant < 8; variant++) {
                    boolean transA = (variant & 1) != 0;
                    boolean transB = (variant & 2) != 0;
                    boolean nesterov = (variant & 4) != 0;
                    float decay = variant % 3 == 0 ? 0f : 5e-4f;
                    int m = shape[0];
                    int n = shape[1];
                    int k = shape[2];
                    Tensor a = transA ? random(arena, k, m, rnd) : random(arena, m, k, rnd);
                    Tensor b = transB ? random(arena, n, k, rnd) : random(arena, k, n, rnd);
                    if (variant == 5) {
                        a.zero(); // a zero gradient: the tiny velocities below decay to 0
                    }
                    Tensor params = random(arena, m, n, rnd);
                    Tensor velocity = random(arena, m, n, rnd);
                    for (long i = 0; i < velocity.size(); i += 7) {
                        velocity.setFlat(i, 1e-38f);
                    }
                    Tensor wantParams = copy(arena, params);
                    Tensor wantVelocity = copy(arena, velocity);
                    Tensor gradient = Tensor.allocate(arena, m, n);
                    backend.gemm(transA, transB, 1f, a, b, 0f, gradient);
                    backend.sgdMomentum(wantParams, wantVelocity, gradient, 0.05f, 0.9f, decay, nesterov);
                    Tensor scratch = Tensor.allocate(arena, m, n);
                    scratch.fill(7f);
                    backend.sgdMomentumOfProduct(transA, transB, a, b, params, velocity, scratch, 0.05f, 0.9f, decay,
                            nesterov);
                    String what = backend.matmul() + ", " + m + "x" + n + "x" + k + " variant " + variant;
                    assertBitIdentical(what + ": params", params, wantParams);
                    assertBitIdentical(what + ": velocity", velocity, wantVelocity);
                    if (backend == OWN) {
                        assertEquals(7f, scratch.getFlat(scratch.size() - 1), what + ": scratch written by the kernel");
                    }
                    // plain SGD: one product (alpha -lr, beta 1) without weight decay, two calls with it
                    Tensor plain = random(arena, m, n, rnd);
                    Tensor wantPlain = copy(arena, plain);
                    backend.sgd(wantPlain, gradient, 0.05f, decay);
                    scratch.fill(7f);
                    backend.sgdOfProduct(transA, transB, a, b, plain, scratch, 0.05f, decay);
                    assertBitIdentical(what + ": plain SGD, weight decay " + decay, plain, wantPlain);
                    if (backend == OWN && decay == 0f) {
                        assertEquals(7f, scratch.getFlat(0), what + ": scratch written by the one product");
                    }
                }
            }
        }
    }

    @Test
    void onSeveralBlasThreadsOnlySmallProductsStay() {
        OWN.setThreads(2);
        assertFalse(OWN.ownsProduct(false, 64, 128, 784));
        assertTrue(OWN.ownsProduct(false, 64, 64, 128)); // 2^19 multiply-adds
        assertFalse(OWN.ownsProduct(false, 64, 64, 129));
        assertTrue(OWN.ownsProduct(true, 1, 128, 64)); // one example through a layer, as served
        OWN.setThreads(1);
        assertTrue(OWN.ownsProduct(false, 64, 128, 784));
    }
}
