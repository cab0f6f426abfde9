package dev.pnn.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LogSoftMax and the fused cross-entropy on rows built to break a naive implementation:
 * every output finite, every row's probabilities summing to 1 within 1e-6, and a NaN in
 * coming out as NaN rather than as a silent number.
 */
class LogSoftmaxHostileTest {

    private static final float[][] HOSTILE_ROWS = {
        {1e4f, -1e4f, 0, 5},                // +-1e4: exp(1e4) overflows a naive version
        {-1e4f, -1e4f + 1, -1e4f + 2, -1e4f}, // very negative: exp underflows to 0 in a naive version
        {7, 7, 7, 7},                        // all equal: exactly log(1/4)
        {1e4f, 1e-30f, -1e-30f, 0},          // one huge among tiny
        {88.8f, 88.7f, -103, 0},             // around float exp's overflow and underflow
        {0, 0, 0, 0},
        {-87.3f, 88.7f, 3.4e38f, 0},         // near the largest float
    };

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

    private Tensor hostile() {
        return Tensor.copyOf(arena, HOSTILE_ROWS);
    }

    @ParameterizedTest
    @MethodSource("backends")
    void outputsAreFiniteAndEachRowSumsToOne(Backend backend) {
        Tensor x = hostile();
        Tensor y = backend.logSoftmax(x, Tensor.allocate(arena, x.rows(), x.cols()));
        for (int r = 0; r < y.rows(); r++) {
            double sum = 0;
            for (int c = 0; c < y.cols(); c++) {
                float v = y.get(r, c);
                assertTrue(Float.isFinite(v) && v <= 0, "row " + r + " col " + c + ": log-probability " + v);
                sum += Math.exp(v);
            }
            assertEquals(1.0, sum, 1e-6, "row " + r + ": probabilities sum to " + sum);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void knownValuesOnHostileRows(Backend backend) {
        Tensor y = backend.logSoftmax(hostile(), Tensor.allocate(arena, HOSTILE_ROWS.length, 4));
        // row 0: the 1e4 entry takes all the mass; the others sit 1e4 - x below it
        assertEquals(0f, y.get(0, 0));
        assertEquals(-2e4f, y.get(0, 1));
        assertEquals(-1e4f + 5, y.get(0, 3));
        // row 2: all equal, exactly -log 4 (rounded once)
        for (int c = 0; c < 4; c++) {
            assertEquals((float) -Math.log(4), y.get(2, c));
        }
        // row 3: the tiny ones are -1e4 below
        assertEquals(-1e4f, y.get(3, 1));
    }

    @ParameterizedTest
    @MethodSource("backends")
    void crossEntropyIsFiniteAndExactOnHostileRows(Backend backend) {
        Tensor x = hostile();
        IntVector labels = IntVector.of(arena, 1, 2, 0, 0, 0, 3, 2);
        Tensor d = Tensor.allocate(arena, x.rows(), x.cols());
        double loss = backend.crossEntropy(x, labels, d);
        // by hand, row by row: 2e4, log(1 + e + e^2 + 1) - 2 = ..., log 4, 0, ~0.644, log 4, 0
        double row1 = Math.log(2 + Math.E + Math.exp(2)) - 2;
        double row4 = Math.log(Math.exp(0) + Math.exp(88.7 - 88.8));
        double expected = (2e4 + row1 + Math.log(4) + 0 + row4 + Math.log(4) + 0) / 7;
        assertEquals(expected, loss, 1e-4, "mean loss");
        for (int r = 0; r < d.rows(); r++) {
            double sum = 0;
            for (int c = 0; c < d.cols(); c++) {
                assertTrue(Float.isFinite(d.get(r, c)), "dlogits[" + r + "][" + c + "] = " + d.get(r, c));
                sum += d.get(r, c);
            }
            // (softmax - onehot) / rows sums to 0 in every row
            assertEquals(0.0, sum, 1e-6, "row " + r + " of dlogits sums to " + sum);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void nanInARowComesOutAsNanAndLeavesOtherRowsAlone(Backend backend) {
        Tensor x = Tensor.copyOf(arena, new float[][] {{1, Float.NaN, 3}, {Float.NaN, 0, 0}, {1, 2, 3}});
        Tensor y = backend.logSoftmax(x, Tensor.allocate(arena, 3, 3));
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 3; c++) {
                assertTrue(Float.isNaN(y.get(r, c)), "row " + r + " col " + c + " is " + y.get(r, c) + ", not NaN");
            }
        }
        for (int c = 0; c < 3; c++) {
            assertTrue(Float.isFinite(y.get(2, c)), "the clean row was touched: " + y.get(2, c));
        }
        assertTrue(Double.isNaN(backend.crossEntropy(x, IntVector.of(arena, 0, 1, 2))), "loss of a NaN row");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void infinitiesFollowTheMath(Backend backend) {
        float inf = Float.POSITIVE_INFINITY;
        Tensor x = Tensor.copyOf(arena, new float[][] {{inf, 0, 1}, {-inf, -inf, -inf}, {-inf, 0, 0}});
        Tensor y = backend.logSoftmax(x, Tensor.allocate(arena, 3, 3));
        // +inf or nothing but -inf: undefined, NaN; a -inf among finite values: probability 0
        for (int c = 0; c < 3; c++) {
            assertTrue(Float.isNaN(y.get(0, c)), "+inf row col " + c + ": " + y.get(0, c));
            assertTrue(Float.isNaN(y.get(1, c)), "all -inf row col " + c + ": " + y.get(1, c));
        }
        assertEquals(Float.NEGATIVE_INFINITY, y.get(2, 0));
        assertEquals((float) -Math.log(2), y.get(2, 1));
    }
}
