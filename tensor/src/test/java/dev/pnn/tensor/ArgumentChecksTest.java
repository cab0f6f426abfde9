package dev.pnn.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad shapes, aliasing and out-of-range values are rejected in Java, before any native call:
 * with a clear message naming both shapes, and with the output left untouched.
 */
class ArgumentChecksTest {

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    static Stream<Backend> backends() {
        return TestSupport.backends();
    }

    private Tensor t(int rows, int cols) {
        return Tensor.allocate(arena, rows, cols).fill(0.25f);
    }

    /** The call throws {@code type}, its message holds every fragment, and {@code untouched} is unchanged. */
    private static <T extends Throwable> void rejects(Class<T> type, Executable call, Tensor untouched,
                                                      String... fragments) {
        float[] before = untouched == null ? null : untouched.toArray();
        T e = assertThrows(type, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
        if (untouched != null) {
            assertArrayEquals(before, untouched.toArray(), "output written despite the rejection");
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gemmRejectsInnerDimensionMismatchShowingBothShapes(Backend b) {
        Tensor c = t(64, 128);
        rejects(ShapeMismatchException.class, () -> b.gemm(false, false, 1, t(64, 784), t(128, 784), 0, c), c,
                "64x784", "128x784", "784 vs 128");
        // the same shapes are fine once b is transposed
        b.gemm(false, true, 1, t(64, 784), t(128, 784), 0, c);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gemmRejectsWrongOutputShape(Backend b) {
        Tensor c = t(64, 127);
        rejects(ShapeMismatchException.class, () -> b.gemm(false, true, 1, t(64, 784), t(128, 784), 0, c), c,
                "c is 64x127", "64x128");
        Tensor c2 = t(3, 5);
        rejects(ShapeMismatchException.class, () -> b.gemm(true, false, 1, t(4, 3), t(4, 6), 0, c2), c2,
                "3x6", "3x5", "transposed");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gemmRejectsOutputOverlappingAnInput(Backend b) {
        Tensor a = t(4, 4);
        rejects(AliasingException.class, () -> b.gemm(false, false, 1, a, t(4, 4), 0, a), a, "c", "overlaps a");
        Tensor big = t(8, 4);
        Tensor top = big.rows(0, 4);
        Tensor middle = big.rows(2, 4);
        rejects(AliasingException.class, () -> b.gemm(false, false, 1, t(4, 4), top, 0, middle), big, "overlaps b");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void elementwiseOpsRejectShapeMismatch(Backend b) {
        Tensor out = t(64, 127);
        rejects(ShapeMismatchException.class, () -> b.relu(t(64, 128), out), out, "64x127", "64x128");
        rejects(ShapeMismatchException.class, () -> b.sigmoid(t(64, 128), out), out, "64x127", "64x128");
        rejects(ShapeMismatchException.class, () -> b.logSoftmax(t(64, 128), out), out, "64x127", "64x128");
        rejects(ShapeMismatchException.class, () -> b.reluBackward(t(64, 128), t(64, 128), out), out, "64x127");
        rejects(ShapeMismatchException.class, () -> b.reluBackward(t(64, 127), t(64, 128), t(64, 128)), null,
                "out is 64x127", "dout is 64x128");
        rejects(ShapeMismatchException.class, () -> b.sigmoidBackward(t(2, 3), t(2, 3), t(3, 2)), null, "2x3", "3x2");
        rejects(ShapeMismatchException.class, () -> b.logSoftmaxBackward(t(2, 3), t(2, 4), t(2, 4)), null,
                "2x3", "2x4");
        rejects(ShapeMismatchException.class, () -> b.axpy(1, t(1, 5), t(5, 1)), null, "1x5", "5x1");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void elementwiseOpsAllowExactlyInPlaceButNotPartialOverlap(Backend b) {
        Tensor x = t(4, 3);
        b.relu(x, x); // exactly in place: fine
        Tensor whole = t(5, 3);
        Tensor upper = whole.rows(0, 4);
        Tensor lower = whole.rows(1, 4);
        rejects(AliasingException.class, () -> b.relu(upper, lower), whole, "partially overlaps");
        rejects(AliasingException.class, () -> b.logSoftmax(upper, lower), whole, "partially overlaps");
        rejects(AliasingException.class, () -> b.axpy(1, upper, lower), whole, "overlaps");
        rejects(AliasingException.class, () -> b.axpy(1, x, x), x, "overlaps");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void biasOpsRejectWrongBiasShape(Backend b) {
        Tensor out = t(64, 128);
        rejects(ShapeMismatchException.class, () -> b.biasAdd(t(64, 128), t(1, 127), out), out,
                "bias is 1x127", "64x128");
        rejects(ShapeMismatchException.class, () -> b.biasAddRelu(t(64, 128), t(128, 1), out), out,
                "bias is 128x1", "64x128");
        Tensor dbias = t(1, 127);
        rejects(ShapeMismatchException.class, () -> b.biasBackward(t(64, 128), dbias), dbias,
                "dbias is 1x127", "dout is 64x128");
        Tensor x = t(2, 3);
        rejects(AliasingException.class, () -> b.biasAdd(x, x.reshape(6, 1).rows(0, 3).reshape(1, 3), x), x,
                "overlaps bias");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void lossesRejectLabelsOfWrongCountOrRange(Backend b) {
        Tensor d = t(4, 10);
        rejects(ShapeMismatchException.class, () -> b.crossEntropy(t(4, 10), IntVector.of(arena, 1, 2, 3), d), d,
                "3 labels", "4x10");
        rejects(IndexOutOfBoundsException.class,
                () -> b.crossEntropy(t(4, 10), IntVector.of(arena, 1, 2, 10, 3), d), d,
                "labels[2] = 10", "[0, 10)");
        rejects(IndexOutOfBoundsException.class,
                () -> b.crossEntropy(t(4, 10), IntVector.of(arena, -1, 2, 3, 3)), null, "labels[0] = -1");
        rejects(IndexOutOfBoundsException.class, () -> b.nll(t(4, 10), IntVector.of(arena, 0, 0, 0, 99), d), d,
                "labels[3] = 99");
        rejects(IndexOutOfBoundsException.class, () -> b.mseOneHot(t(4, 10), IntVector.of(arena, 0, 0, 0, 12), d),
                d, "labels[3] = 12");
        rejects(ShapeMismatchException.class, () -> b.crossEntropy(t(4, 10), IntVector.of(arena, 0, 0, 0, 0),
                t(4, 9)), null, "4x9", "4x10");
        rejects(ShapeMismatchException.class, () -> b.mse(t(4, 10), t(10, 4)), null, "10x4", "4x10");
        rejects(ShapeMismatchException.class, () -> b.countCorrect(t(4, 10), IntVector.of(arena, 1, 2, 3)), null,
                "countCorrect", "3 labels", "4x10");
        rejects(IndexOutOfBoundsException.class, () -> b.countCorrect(t(4, 10), IntVector.of(arena, 0, 10, 0, 0)),
                null, "countCorrect", "labels[1] = 10", "[0, 10)");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void optimizersRejectMismatchedOrSharedBuffers(Backend b) {
        Tensor p = t(1, 100);
        rejects(ShapeMismatchException.class, () -> b.sgd(p, t(1, 99), 0.1f, 0), p, "grads is 1x99", "1x100");
        rejects(AliasingException.class, () -> b.sgd(p, p, 0.1f, 0), p, "grads", "overlaps params");
        Tensor g = t(1, 100);
        rejects(AliasingException.class, () -> b.sgdMomentum(p, g, g, 0.1f, 0.9f, 0, false), p,
                "grads", "overlaps velocity");
        Tensor m = t(1, 100);
        rejects(AliasingException.class, () -> b.adam(p, m, m, g, 1, 0.1f, 0.9f, 0.999f, 1e-8f, 0, false), p,
                "v", "overlaps m");
        rejects(IllegalArgumentException.class, () -> b.adam(p, m, t(1, 100), g, 0, 0.1f, 0.9f, 0.999f, 1e-8f, 0,
                false), p, "step must be >= 1");
        // momentum with the gradient a product: the product's shapes, then the buffers'
        Tensor w = t(8, 5);
        Tensor v = t(8, 5);
        Tensor x = t(3, 8);
        Tensor dy = t(3, 5);
        rejects(ShapeMismatchException.class, () -> b.sgdMomentumOfProduct(true, false, x, t(4, 5), w, v, t(8, 5),
                0.1f, 0.9f, 0, false), w, "sgdMomentumOfProduct", "inner dimensions 3 vs 4");
        rejects(ShapeMismatchException.class, () -> b.sgdMomentumOfProduct(false, false, x, dy, w, v, t(8, 5),
                0.1f, 0.9f, 0, false), w, "inner dimensions 8 vs 3");
        rejects(ShapeMismatchException.class, () -> b.sgdMomentumOfProduct(true, false, x, dy, w, t(5, 8), t(8, 5),
                0.1f, 0.9f, 0, false), w, "velocity is 5x8", "8x5");
        rejects(AliasingException.class, () -> b.sgdMomentumOfProduct(true, false, x, dy, w, v, v, 0.1f, 0.9f, 0,
                false), w, "scratch", "overlaps velocity");
        rejects(AliasingException.class, () -> b.sgdMomentumOfProduct(true, false, x, dy, w, w, t(8, 5), 0.1f, 0.9f,
                0, false), w, "velocity", "overlaps params");
        rejects(ShapeMismatchException.class, () -> b.sgdOfProduct(true, false, x, dy, t(5, 8), t(5, 8), 0.1f, 0),
                null, "sgdOfProduct: params is 5x8", "8x5");
        rejects(AliasingException.class, () -> b.sgdOfProduct(true, false, x, dy, w, w, 0.1f, 0), w, "scratch",
                "overlaps params");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void gatherRejectsBadIndicesAndShapes(Backend b) {
        ByteMatrix src = ByteMatrix.allocate(arena, 10, 4);
        Tensor out = t(2, 4);
        rejects(IndexOutOfBoundsException.class, () -> b.gatherRows(src, IntVector.of(arena, 3, 10), 0, 1, 0, out),
                out, "indices[1] = 10", "[0, 10)");
        rejects(IndexOutOfBoundsException.class, () -> b.gatherRows(src, IntVector.of(arena, 3, -2), 0, 1, 0, out),
                out, "indices[1] = -2");
        rejects(IndexOutOfBoundsException.class, () -> b.gatherRows(src, IntVector.of(arena, 1, 2, 3), 2, 1, 0, out),
                out, "outside the 3 indices");
        rejects(ShapeMismatchException.class, () -> b.gatherRows(src, IntVector.of(arena, 1, 2), 0, 1, 0, t(2, 5)),
                null, "2x5", "10x4");
        Tensor three = t(2, 3);
        rejects(IndexOutOfBoundsException.class, () -> b.gatherRows(src, IntVector.of(arena, 1, 2), 0, 2, 1, 0, three),
                three, "gatherRows: columns [2, 5) are outside the 4 columns of src 10x4");
        rejects(IndexOutOfBoundsException.class, () -> b.gatherRows(src, IntVector.of(arena, 1, 2), 0, -1, 1, 0, three),
                three, "columns [-1, 2)");
        rejects(IndexOutOfBoundsException.class, () -> b.gatherRows(src, IntVector.of(arena, 1, 10), 0, 1, 1, 0, three),
                three, "indices[1] = 10");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void prefetchRejectsWhatGatherWouldAndAcceptsNoRows(Backend b) {
        ByteMatrix src = ByteMatrix.allocate(arena, 10, 4);
        IntVector bad = IntVector.of(arena, 3, 10);
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> b.prefetchRows(src, bad, 0, 2));
        assertTrue(e.getMessage().contains("prefetchRows: indices[1] = 10 is outside [0, 10)"), e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class,
                () -> b.prefetchRows(src, IntVector.of(arena, 1, 2, 3), 2, 2));
        assertTrue(e.getMessage().contains("indices[2, 4) is outside the 3 indices"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> b.prefetchRows(src, IntVector.of(arena, 1), 0, -1));
        e = assertThrows(IndexOutOfBoundsException.class,
                () -> b.prefetchRows(src, IntVector.of(arena, 1, 2), 0, 2, 3, 2));
        assertTrue(e.getMessage().contains("prefetchRows: columns [3, 5) are outside the 4 columns"), e.getMessage());
        b.prefetchRows(src, IntVector.of(arena, 1, 2, 3), 3, 0);
        b.prefetchRows(src, IntVector.of(arena, 9, 0, 3), 0, 3);
        b.prefetchRows(src, IntVector.of(arena, 9, 0, 3), 0, 3, 1, 3);
    }
}
