package dev.pnn.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TensorTest {

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void shapeRejectsNonPositiveSizes() {
        assertThrows(IllegalArgumentException.class, () -> new Shape(0, 3));
        assertThrows(IllegalArgumentException.class, () -> new Shape(3, -1));
        assertEquals("64x784", new Shape(64, 784).toString());
        assertEquals(64L * 784, new Shape(64, 784).size());
        assertEquals((long) Integer.MAX_VALUE * Integer.MAX_VALUE,
                new Shape(Integer.MAX_VALUE, Integer.MAX_VALUE).size());
    }

    @Test
    void shapesHaveAnyRankAndReadAsMatrices() {
        Shape images = Shape.of(64, 1, 28, 28);
        assertEquals("64x1x28x28", images.toString());
        assertEquals(4, images.rank());
        assertEquals(64, images.rows());
        assertEquals(784, images.cols());
        assertEquals(Shape.of(1, 28, 28), images.sample());
        assertEquals(images, Shape.of(1, 28, 28).batch(64));
        Shape bias = Shape.of(10);
        assertEquals(1, bias.rows());
        assertEquals(10, bias.cols());
        assertFalse(Shape.of(10).equals(Shape.of(1, 10)), "rank is part of a shape");
        assertThrows(IllegalArgumentException.class, Shape::of);
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 1 << 16, 1 << 16), "columns beyond an int");
        assertThrows(IllegalArgumentException.class,
                () -> Shape.of(Integer.MAX_VALUE, Integer.MAX_VALUE, 2), "more elements than MAX_SIZE");
        int[] dims = images.dims();
        dims[0] = 1;
        assertEquals(64, images.dim(0), "dims() is a copy");
    }

    @Test
    void nDimensionalTensorsViewAndReshapeWithoutCopies() {
        Tensor t = Tensor.allocate(arena, Shape.of(4, 2, 3));
        assertEquals(4, t.rows());
        assertEquals(6, t.cols());
        t.set(3, 5, 7f);
        assertEquals(7f, t.getFlat(23));
        Tensor rows = t.rows(1, 2);
        assertEquals(Shape.of(2, 2, 3), rows.shape());
        assertEquals(t.segment().address() + 6 * 4, rows.segment().address());
        Tensor flat = t.reshape(4, 6);
        assertEquals(t.segment().address(), flat.segment().address());
        assertEquals(7f, flat.get(3, 5));
        assertTrue(t.reshape(Shape.of(4, 2, 3)) == t, "reshaping to the same shape is the tensor itself");
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> t.reshape(5, 5));
        assertTrue(e.getMessage().contains("cannot view 4x2x3 (24 elements) as 5x5 (25 elements)"), e.getMessage());
        Tensor v = t.view(18, Shape.of(6));
        assertEquals(7f, v.getFlat(5));
        assertThrows(IndexOutOfBoundsException.class, () -> t.view(19, Shape.of(6)));
    }

    @Test
    void tensorsWriteAndReadLittleEndianFloats() throws java.io.IOException {
        Tensor t = Tensor.of(arena, 2, 2, 1.5f, -2f, Float.NaN, 3e38f);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        t.writeTo(java.nio.channels.Channels.newChannel(bytes));
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes.toByteArray()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(16, b.remaining());
        assertEquals(1.5f, b.getFloat(0));
        assertEquals(3e38f, b.getFloat(12));
        Tensor back = Tensor.allocate(arena, 2, 2);
        assertEquals(16, back.readFrom(java.nio.channels.Channels.newChannel(
                new java.io.ByteArrayInputStream(bytes.toByteArray()))));
        assertArrayEquals(t.toArray(), back.toArray());
        Tensor more = Tensor.allocate(arena, 3, 2);
        assertEquals(16, more.readFrom(java.nio.channels.Channels.newChannel(
                new java.io.ByteArrayInputStream(bytes.toByteArray()))), "a short channel reports what it gave");
    }

    @Test
    void allocateIsZeroedAndAligned() {
        Tensor t = Tensor.allocate(arena, 3, 5);
        assertEquals(new Shape(3, 5), t.shape());
        assertEquals(0, t.segment().address() % Tensor.ALIGNMENT);
        assertArrayEquals(new float[15], t.toArray());
    }

    @Test
    void ofAndCopyOfAreRowMajor() {
        Tensor t = Tensor.of(arena, 2, 3, 1, 2, 3, 4, 5, 6);
        assertEquals(6f, t.get(1, 2));
        assertEquals(4f, t.getFlat(3));
        Tensor u = Tensor.copyOf(arena, new float[][] {{1, 2, 3}, {4, 5, 6}});
        assertArrayEquals(t.toArray(), u.toArray());
        assertArrayEquals(new float[] {4, 5, 6}, u.toArray2d()[1]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(arena, 2, 3, 1, 2));
        assertTrue(e.getMessage().contains("needs 6 values, got 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.copyOf(arena, new float[][] {{1, 2}, {3}}));
        assertTrue(e.getMessage().contains("row 1 has 1 values, row 0 has 2"), e.getMessage());
    }

    @Test
    void accessIsBoundsChecked() {
        Tensor t = Tensor.allocate(arena, 2, 3);
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(0, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> t.set(-1, 0, 1));
        assertThrows(IndexOutOfBoundsException.class, () -> t.getFlat(6));
    }

    @Test
    void rowViewsShareMemory() {
        Tensor t = Tensor.of(arena, 3, 2, 1, 2, 3, 4, 5, 6);
        Tensor middle = t.rows(1, 2);
        assertEquals(new Shape(2, 2), middle.shape());
        assertEquals(3f, middle.get(0, 0));
        middle.set(1, 1, 60);
        assertEquals(60f, t.get(2, 1));
        assertTrue(middle.overlaps(t));
        assertFalse(middle.sameMemory(t));
        assertFalse(t.rows(0, 1).overlaps(t.rows(1, 1)));
        assertThrows(IndexOutOfBoundsException.class, () -> t.rows(2, 2));
    }

    @Test
    void flatViewsCarveOneBufferIntoTensors() {
        Tensor flat = Tensor.of(arena, 1, 8, 0, 1, 2, 3, 4, 5, 6, 7);
        Tensor w = flat.view(0, 2, 3);
        Tensor b = flat.view(6, 1, 2);
        assertEquals(4f, w.get(1, 1));
        assertEquals(7f, b.get(0, 1));
        b.set(0, 0, 60);
        assertEquals(60f, flat.getFlat(6));
        assertFalse(w.overlaps(b));
        assertThrows(IndexOutOfBoundsException.class, () -> flat.view(7, 1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> flat.view(-1, 1, 2));
    }

    @Test
    void reshapeKeepsTheElementCount() {
        Tensor t = Tensor.of(arena, 2, 3, 1, 2, 3, 4, 5, 6);
        assertEquals(4f, t.reshape(3, 2).get(1, 1));
        assertTrue(t.reshape(1, 6).sameMemory(t));
        ShapeMismatchException e = assertThrows(ShapeMismatchException.class, () -> t.reshape(4, 2));
        assertTrue(e.getMessage().contains("2x3") && e.getMessage().contains("4x2"), e.getMessage());
    }

    @Test
    void wrapChecksSizeAlignmentAndPlace() {
        MemorySegment s = arena.allocate(24, 4);
        Tensor t = Tensor.wrap(s, 2, 3);
        t.set(1, 2, 7);
        assertEquals(7f, s.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(s, 2, 2));
        assertTrue(e.getMessage().contains("needs 16 bytes, the segment has 24"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(MemorySegment.ofArray(new float[6]), 2, 3));
        assertTrue(e.getMessage().contains("on the heap"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(arena.allocate(28, 4).asSlice(2, 24), 2, 3));
        assertTrue(e.getMessage().contains("not 4-byte aligned"), e.getMessage());
    }

    @Test
    void fillZeroAndCopy() {
        Tensor t = Tensor.allocate(arena, 2, 2).fill(1.5f);
        assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, 1.5f}, t.toArray());
        Tensor u = Tensor.allocate(arena, 2, 2).copyFrom(t);
        assertArrayEquals(t.toArray(), u.toArray());
        t.zero();
        assertArrayEquals(new float[4], t.toArray());
        assertThrows(ShapeMismatchException.class, () -> u.copyFrom(Tensor.allocate(arena, 1, 4)));
    }

    @Test
    void copyFromABlock() {
        Tensor src = Tensor.of(arena, 3, 4, 0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23);
        Tensor block = Tensor.allocate(arena, 2, 2).copyFrom(src, 1, 2);
        assertArrayEquals(new float[] {12, 13, 22, 23}, block.toArray());
        Tensor rows = src.rows(1, 2);
        assertArrayEquals(new float[] {10, 11, 12, 13, 20, 21, 22, 23}, rows.copyFrom(src, 1, 0).toArray());
        Tensor wide = Tensor.allocate(arena, 2, 3).copyFrom(src, 0, 1);
        assertArrayEquals(new float[] {1, 2, 3, 11, 12, 13}, wide.toArray());
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> wide.copyFrom(src, 2, 0));
        assertEquals("copyFrom: a block of 2x3 at row 2, column 0 is outside the source's 3x4", e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> wide.copyFrom(src, 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> wide.copyFrom(src, -1, 0));
        assertArrayEquals(new float[] {1, 2, 3, 11, 12, 13}, wide.toArray(), "a refused copy writes nothing");
    }

    @Test
    void intVectorAndByteMatrix() {
        IntVector v = IntVector.of(arena, 3, 1, 4, 1, 5);
        assertEquals(5, v.size());
        assertArrayEquals(new int[] {4, 1}, v.slice(2, 2).toArray());
        assertThrows(IndexOutOfBoundsException.class, () -> v.get(5));
        assertThrows(IndexOutOfBoundsException.class, () -> v.slice(4, 2));
        ByteMatrix m = ByteMatrix.allocate(arena, 2, 2);
        m.set(1, 0, 255);
        assertEquals(255, m.get(1, 0));
        assertThrows(IllegalArgumentException.class, () -> m.set(0, 0, 256));
        assertThrows(IndexOutOfBoundsException.class, () -> m.get(2, 0));
        m.write(1, new byte[] {9, (byte) 200, 7}, 1, 2);
        assertEquals(200, m.get(0, 1));
        assertEquals(7, m.get(1, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> m.write(3, new byte[2], 0, 2));
    }

    @Test
    void intVectorBlockCopies() {
        IntVector src = IntVector.of(arena, 3, 1, 4, 1, 5, 9);
        IntVector dst = IntVector.allocate(arena, 3);
        assertArrayEquals(new int[] {1, 5, 9}, dst.copyFrom(src, 3).toArray());
        assertArrayEquals(new int[] {3, 1, 4}, dst.copyFrom(src, 0).toArray());
        assertThrows(IndexOutOfBoundsException.class, () -> dst.copyFrom(src, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> dst.copyFrom(src, -1));
        assertArrayEquals(new int[] {3, 1, 4}, dst.toArray(), "a refused copy writes nothing");
        dst.set(1, new int[] {7, 8});
        assertArrayEquals(new int[] {3, 7, 8}, dst.toArray());
        assertThrows(IndexOutOfBoundsException.class, () -> dst.set(2, new int[] {0, 0}));
        assertArrayEquals(new int[] {3, 7, 8}, dst.toArray(), "a refused set writes nothing");
        int[] two = {-1, -1};
        src.get(4, two);
        assertArrayEquals(new int[] {5, 9}, two);
        assertThrows(IndexOutOfBoundsException.class, () -> src.get(5, two));
        assertArrayEquals(new int[] {5, 9}, two, "a refused get writes nothing");
    }

    @Test
    void closedArenaMakesAccessFailInsteadOfCrashing() {
        Arena other = Arena.ofConfined();
        Tensor t = Tensor.allocate(other, 2, 2);
        other.close();
        assertThrows(IllegalStateException.class, () -> t.get(0, 0));
        assertThrows(IllegalStateException.class,
                () -> NativeBackend.instance().relu(t, Tensor.allocate(arena, 2, 2)));
    }
}
