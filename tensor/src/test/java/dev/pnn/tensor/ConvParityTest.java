package dev.pnn.tensor;

import static dev.pnn.tensor.TestSupport.U;
import static dev.pnn.tensor.TestSupport.assertBitIdentical;
import static dev.pnn.tensor.TestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * im2col, col2im, max pooling, dropout masks and the elementwise product: native against the
 * reference, on odd sizes, strides above 1, padding 0, 1 and 2, one channel and many.
 */
class ConvParityTest {

    private final NativeBackend nat = NativeBackend.instance();
    private final ReferenceBackend ref = ReferenceBackend.INSTANCE;
    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    static Stream<Window> windows() {
        return Stream.of(new Window(1, 1, 1, 1, 1, 1, 1, 0), new Window(1, 3, 3, 1, 2, 2, 1, 0),
                new Window(2, 5, 7, 3, 3, 3, 1, 1), new Window(3, 28, 28, 1, 3, 3, 1, 0),
                new Window(2, 13, 11, 4, 3, 3, 2, 2), new Window(1, 9, 9, 16, 5, 5, 2, 1),
                new Window(2, 6, 6, 32, 2, 2, 2, 0), new Window(2, 11, 13, 5, 3, 3, 3, 2),
                new Window(1, 7, 5, 2, 1, 1, 1, 0));
    }

    private Tensor images(Window w, long seed) {
        return TestSupport.random(arena, Math.toIntExact((long) w.n() * w.h() * w.w()), w.c(), new SplittableRandom(seed));
    }

    /** im2col only copies: bit-identical. */
    @ParameterizedTest
    @MethodSource("windows")
    void im2colIsBitIdentical(Window w) {
        Tensor x = images(w, 1);
        Tensor a = nat.im2col(x, w, Tensor.allocate(arena, w.columnRows(), w.columnCols()).fill(Float.NaN));
        Tensor b = ref.im2col(x, w, Tensor.allocate(arena, w.columnRows(), w.columnCols()));
        assertBitIdentical("im2col " + w, a, b);
    }

    /**
     * col2im sums at most kh*kw entries into a pixel: in float natively, in double then rounded in
     * the reference. Bound: kh*kw*u times the sum of the magnitudes added into that pixel.
     */
    @ParameterizedTest
    @MethodSource("windows")
    void col2imIsTheAdjointWithinSummationRounding(Window w) {
        Tensor dcol = TestSupport.random(arena, w.columnRows(), w.columnCols(), new SplittableRandom(2));
        Tensor abs = Tensor.allocate(arena, dcol.shape());
        for (long i = 0; i < dcol.size(); i++) {
            abs.setFlat(i, Math.abs(dcol.getFlat(i)));
        }
        int rows = Math.toIntExact((long) w.n() * w.h() * w.w());
        Tensor magnitude = ref.col2im(abs, w, Tensor.allocate(arena, rows, w.c()));
        Tensor a = nat.col2im(dcol, w, Tensor.allocate(arena, rows, w.c()).fill(7f));
        Tensor b = ref.col2im(dcol, w, Tensor.allocate(arena, rows, w.c()));
        assertClose("col2im " + w, a, b, i -> (double) w.kh() * w.kw() * U * magnitude.getFlat(i) + 1e-30);
        // adjoint: <im2col(x), dcol> = <x, col2im(dcol)>, in double
        Tensor x = images(w, 3);
        Tensor col = ref.im2col(x, w, Tensor.allocate(arena, w.columnRows(), w.columnCols()));
        double left = 0;
        double right = 0;
        for (long i = 0; i < col.size(); i++) {
            left += (double) col.getFlat(i) * dcol.getFlat(i);
        }
        for (long i = 0; i < x.size(); i++) {
            right += (double) x.getFlat(i) * b.getFlat(i);
        }
        assertEquals(left, right, 1e-4 * (1 + Math.abs(left)), "im2col and col2im are adjoint");
    }

    static Stream<Window> pools() {
        return Stream.of(new Window(1, 2, 2, 1, 2, 2, 2, 0), new Window(2, 26, 26, 32, 2, 2, 2, 0),
                new Window(3, 11, 11, 64, 2, 2, 2, 0), new Window(2, 7, 9, 3, 3, 3, 2, 0),
                new Window(1, 5, 5, 5, 3, 3, 1, 0), new Window(2, 13, 13, 1, 2, 2, 2, 0));
    }

    @ParameterizedTest
    @MethodSource("pools")
    void maxPoolForwardIsBitIdenticalAndBackwardSumsWhereWindowsOverlap(Window w) {
        Tensor x = images(w, 4);
        x.setFlat(3, Float.NaN); // a NaN in a window wins
        int outRows = w.columnRows();
        IntVector am = IntVector.allocate(arena, Math.toIntExact(w.pooledSize()));
        IntVector ar = IntVector.allocate(arena, Math.toIntExact(w.pooledSize()));
        Tensor a = nat.maxPool(x, w, am, Tensor.allocate(arena, outRows, w.c()));
        Tensor b = ref.maxPool(x, w, ar, Tensor.allocate(arena, outRows, w.c()));
        assertBitIdentical("maxPool " + w, a, b);
        assertArrayEquals(ar.toArray(), am.toArray(), "argmax");
        assertTrue(Float.isNaN(a.getFlat(w.c() > 3 ? 3 : 3 % w.c())) || w.c() <= 3, "the NaN wins its window");
        Tensor dout = TestSupport.random(arena, outRows, w.c(), new SplittableRandom(5));
        int inRows = Math.toIntExact((long) w.n() * w.h() * w.w());
        Tensor da = nat.maxPoolBackward(dout, am, Tensor.allocate(arena, inRows, w.c()).fill(3f));
        Tensor db = ref.maxPoolBackward(dout, ar, Tensor.allocate(arena, inRows, w.c()));
        assertClose("maxPoolBackward " + w, da, db, i -> (double) w.kh() * w.kw() * U * 2 + 1e-30);
    }

    @Test
    void im2colAndMaxPoolWorkedByHand() {
        // one 3x3 image, one channel: 1 2 3 / 4 5 6 / 7 8 9
        Tensor x = Tensor.of(arena, 9, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        Window w = new Window(1, 3, 3, 1, 2, 2, 1, 0);
        for (Backend b : new Backend[] {nat, ref}) {
            Tensor col = b.im2col(x, w, Tensor.allocate(arena, 4, 4));
            assertArrayEquals(new float[] {1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9}, col.toArray(), b.name());
            IntVector am = IntVector.allocate(arena, 4);
            assertArrayEquals(new float[] {5, 6, 8, 9}, b.maxPool(x, w, am, Tensor.allocate(arena, 4, 1)).toArray());
            assertArrayEquals(new int[] {4, 5, 7, 8}, am.toArray());
            // padding 1 puts zeros around: the first column window covers (-1,-1)..(0,0)
            Window padded = new Window(1, 3, 3, 1, 2, 2, 2, 1);
            Tensor pc = b.im2col(x, padded, Tensor.allocate(arena, 4, 4));
            assertArrayEquals(new float[] {0, 0, 0, 1, 0, 0, 2, 3, 0, 4, 0, 7, 5, 6, 8, 9}, pc.toArray(), b.name());
        }
    }

    @Test
    void dropoutMasksAreTheSameOnBothBackendsAndDropTheirShare() {
        for (float p : new float[] {0f, 0.1f, 0.5f, 0.9f}) {
            Tensor a = nat.dropoutMask(p, 42, 1000, Tensor.allocate(arena, 100, 1000));
            Tensor b = ref.dropoutMask(p, 42, 1000, Tensor.allocate(arena, 100, 1000));
            assertBitIdentical("dropout mask p " + p, a, b);
            int zeros = 0;
            for (long i = 0; i < a.size(); i++) {
                float v = a.getFlat(i);
                assertTrue(v == 0 || v == 1 / (1 - p), "mask value " + v);
                zeros += v == 0 ? 1 : 0;
            }
            assertEquals(p, zeros / 100_000.0, 5 * Math.sqrt(p * (1 - p) / 100_000) + 1e-9, "share dropped");
        }
        Tensor other = nat.dropoutMask(0.5f, 43, 1000, Tensor.allocate(arena, 1, 1000));
        Tensor same = nat.dropoutMask(0.5f, 42, 1000, Tensor.allocate(arena, 1, 1000));
        assertTrue(!java.util.Arrays.equals(other.toArray(), same.toArray()), "another seed, another mask");
    }

    @Test
    void multiplyIsBitIdentical() {
        Tensor a = TestSupport.random(arena, 37, 23, new SplittableRandom(6));
        Tensor b = TestSupport.random(arena, 37, 23, new SplittableRandom(7));
        assertBitIdentical("multiply", nat.multiply(a, b, Tensor.allocate(arena, 37, 23)),
                ref.multiply(a, b, Tensor.allocate(arena, 37, 23)));
        Tensor inPlace = TestSupport.copy(arena, a);
        nat.multiply(inPlace, b, inPlace);
        assertBitIdentical("multiply in place", inPlace, ref.multiply(a, b, Tensor.allocate(arena, 37, 23)));
    }

    @Test
    void badShapesIndicesAndAliasesAreRejectedOnBothBackends() {
        Window w = new Window(2, 5, 5, 3, 3, 3, 1, 1);
        Tensor x = images(w, 1);
        for (Backend b : new Backend[] {nat, ref}) {
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
                    () -> b.im2col(x, w, Tensor.allocate(arena, 50, 26)));
            assertTrue(e.getMessage().contains("gives 50x27"), e.getMessage());
            assertThrows(ShapeMismatchException.class, () -> b.im2col(Tensor.allocate(arena, 49, 3), w,
                    Tensor.allocate(arena, 50, 27)));
            Tensor dcol = Tensor.allocate(arena, 50, 27);
            assertThrows(AliasingException.class, () -> b.col2im(dcol, w, dcol.view(0, 50, 3)));
            IntVector bad = IntVector.of(arena, 0, 1, 999);
            IndexOutOfBoundsException i = assertThrows(IndexOutOfBoundsException.class,
                    () -> b.maxPoolBackward(Tensor.allocate(arena, 3, 1), bad, Tensor.allocate(arena, 10, 1)));
            assertTrue(i.getMessage().contains("argmax[2] = 999"), i.getMessage());
            assertThrows(IllegalArgumentException.class, () -> b.maxPool(x, w, IntVector.allocate(arena, 150),
                    Tensor.allocate(arena, 50, 3)), "max pooling takes no padding");
            assertThrows(IllegalArgumentException.class, () -> b.dropoutMask(1f, 1, 0, Tensor.allocate(arena, 2, 2)));
            assertThrows(ShapeMismatchException.class, () -> b.multiply(Tensor.allocate(arena, 2, 3),
                    Tensor.allocate(arena, 3, 2), Tensor.allocate(arena, 2, 3)));
        }
        assertThrows(ShapeMismatchException.class, () -> new Window(1, 2, 2, 1, 5, 5, 1, 1), "window larger than image");
    }
}
