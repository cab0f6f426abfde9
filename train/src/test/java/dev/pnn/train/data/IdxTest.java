package dev.pnn.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.ByteMatrix;
import dev.pnn.tensor.IntVector;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every IDX failure is an exception naming the file, the field, what was expected and what was found. */
class IdxTest {

    @TempDir
    Path dir;

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    /** An IDX file: magic 0 0 type rank, the dimensions, the payload. */
    private static byte[] idx(int type, int[] dims, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + payload.length);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.put(payload).array();
    }

    private static byte[] images(int n, int rows, int cols) {
        byte[] payload = new byte[n * rows * cols];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 7);
        }
        return idx(0x08, new int[] {n, rows, cols}, payload);
    }

    private static byte[] labels(int... values) {
        byte[] payload = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            payload[i] = (byte) values[i];
        }
        return idx(0x08, new int[] {values.length}, payload);
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    @Test
    void aGzipFileCutInsideItsHeaderSaysSo() throws IOException {
        Path cut = write("short.gz", new byte[] {0x1f, (byte) 0x8b, 8});
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readUnsignedBytes(cut, 3, arena));
        assertEquals(cut + ": gzip header: expected a valid gzip stream (10 bytes or more), found the file ends "
                + "inside it (3 bytes)", e.getMessage());
    }

    private static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(content);
        }
        return out.toByteArray();
    }

    private IdxFormatException rejectsImages(Path file, String field, String... fragments) {
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readUnsignedBytes(file, 3, arena));
        assertEquals(file, e.file());
        assertEquals(field, e.field(), e.getMessage());
        assertTrue(e.getMessage().startsWith(file + ": " + field + ": expected "), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
        return e;
    }

    @Test
    void readsRawAndGzipFilesAlike() throws IOException {
        byte[] content = images(3, 2, 2);
        ByteMatrix raw = Idx.readUnsignedBytes(write("raw", content), 3, arena);
        ByteMatrix gz = Idx.readUnsignedBytes(write("whatever-the-name", gzip(content)), 3, arena);
        assertEquals(new dev.pnn.tensor.Shape(3, 4), raw.shape());
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(((r * 4 + c) * 7) & 0xff, raw.get(r, c));
                assertEquals(raw.get(r, c), gz.get(r, c));
            }
        }
        IntVector l = Idx.readLabels(write("labels.gz", gzip(labels(3, 1, 4, 1, 5, 9))), 10, arena);
        assertArrayEquals(new int[] {3, 1, 4, 1, 5, 9}, l.toArray());
        assertEquals("3 x 2 x 2", Idx.readHeader(dir.resolve("raw")).describeDims());
    }

    @Test
    void wrongMagicNumber() throws IOException {
        // a labels file where images were expected
        rejectsImages(write("labels-as-images", labels(1, 2, 3)), "magic number",
                "expected 0x00000803 (unsigned bytes, 3 dimensions)", "found 0x00000801 (unsigned bytes, 1 dimension)");
        byte[] notIdx = "PK\u0003\u0004 a zip file, not IDX".getBytes();
        rejectsImages(write("zip", notIdx), "magic number", "found 0x504B0304 (not an IDX file)");
    }

    @Test
    void wrongElementType() throws IOException {
        byte[] floats = idx(0x0D, new int[] {1, 1, 1}, new byte[4]);
        rejectsImages(write("floats", floats), "magic number", "found 0x00000D03 (32-bit floats, 3 dimensions)");
        byte[] unknown = idx(0x42, new int[] {1, 1, 1}, new byte[1]);
        rejectsImages(write("unknown-type", unknown), "magic number", "found 0x00004203 (not an IDX file)");
    }

    @Test
    void zeroOrNegativeDimension() throws IOException {
        rejectsImages(write("zero", idx(0x08, new int[] {5, 0, 28}, new byte[0])), "dimension 1 (bytes 8-11)",
                "a size between 1 and 2147483647", "found 0");
        rejectsImages(write("negative", idx(0x08, new int[] {-1, 28, 28}, new byte[0])), "dimension 0 (bytes 4-7)",
                "found 4294967295");
    }

    @Test
    void dimensionsWhoseProductOverflows() throws IOException {
        int max = Integer.MAX_VALUE;
        rejectsImages(write("overflow", idx(0x08, new int[] {max, max, max}, new byte[16])), "dimensions",
                "a product that fits 64 bits", "[2147483647, 2147483647, 2147483647], whose product overflows");
    }

    @Test
    void dimensionsThatExceedTheFileAreRejectedBeforeAllocating() throws IOException {
        // 60000 x 28 x 28 declared (47 MB) in a 40-byte file: no 47 MB allocation happens
        byte[] lying = idx(0x08, new int[] {60000, 28, 28}, new byte[24]);
        rejectsImages(write("lying", lying), "payload length", "expected 47040000 bytes (60000 x 28 x 28 unsigned bytes)",
                "found 24 bytes (the file is truncated)");
        // the same lie, gzip-compressed: deflate cannot expand a 60-byte file to 47 MB
        Path gz = write("lying.gz", gzip(lying));
        rejectsImages(gz, "payload length", "all a " + Files.size(gz) + "-byte gzip file can hold",
                "47040000 bytes declared");
    }

    @Test
    void truncatedPayload() throws IOException {
        byte[] full = images(10, 28, 28);
        byte[] cut = Arrays.copyOf(full, full.length - 100);
        rejectsImages(write("cut", cut), "payload length", "expected 7840 bytes", "found 7740 bytes (the file is truncated)");
        rejectsImages(write("cut.gz", gzip(cut)), "payload length", "expected 7840 bytes",
                "found 7740 bytes (the data is truncated)");
        // a gzip stream that is itself cut short
        byte[] z = gzip(full);
        Path broken = write("broken.gz", Arrays.copyOf(z, z.length / 2));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readUnsignedBytes(broken, 3, arena));
        assertTrue(e.getMessage().contains("payload length") && e.getMessage().contains("ends early"), e.getMessage());
    }

    @Test
    void truncatedHeader() throws IOException {
        rejectsImages(write("short", new byte[] {0, 0, 8}), "magic number", "4 bytes", "found 3 bytes before the end");
        rejectsImages(write("short-dims", Arrays.copyOf(images(1, 1, 1), 9)), "dimension sizes",
                "expected 12 bytes after the magic", "found 5 bytes before the end");
    }

    @Test
    void trailingBytes() throws IOException {
        byte[] full = images(2, 2, 2);
        byte[] longer = Arrays.copyOf(full, full.length + 3);
        rejectsImages(write("longer", longer), "payload length", "found 11 bytes (the file has 3 bytes of trailing data)");
        rejectsImages(write("longer.gz", gzip(longer)), "payload length", "more data after them");
    }

    @Test
    void labelOutsideTheClassRange() throws IOException {
        Path file = write("labels", labels(0, 9, 10, 3));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Idx.readLabels(file, 10, arena));
        assertEquals("label 2 (byte 10 of the payload)", e.field());
        assertEquals("a class in [0, 10)", e.expected());
        assertEquals("10", e.found());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }

    @Test
    void imagesAndLabelsOfDifferentCounts() throws IOException {
        write(Mnist.TRAIN_IMAGES, images(5, 28, 28));
        write(Mnist.TRAIN_LABELS + ".gz", gzip(labels(1, 2, 3, 4)));
        write(Mnist.TEST_IMAGES, images(2, 28, 28));
        write(Mnist.TEST_LABELS, labels(1, 2));
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Mnist.load(dir, arena));
        assertEquals(dir.resolve(Mnist.TRAIN_LABELS + ".gz"), e.file());
        assertEquals("number of labels (dimension 0)", e.field());
        assertTrue(e.getMessage().contains("expected 5, the number of images in train-images-idx3-ubyte, found 4"),
                e.getMessage());
    }

    @Test
    void loadsTheFourFilesWithOrWithoutGz() throws IOException {
        write(Mnist.TRAIN_IMAGES + ".gz", gzip(images(4, 28, 28)));
        write(Mnist.TRAIN_LABELS, labels(1, 2, 3, 4));
        write(Mnist.TEST_IMAGES, images(2, 28, 28));
        write(Mnist.TEST_LABELS + ".gz", gzip(labels(7, 8)));
        Mnist m = Mnist.load(dir, arena);
        assertEquals(4, m.train().size());
        assertEquals(784, m.train().features());
        assertArrayEquals(new int[] {7, 8}, m.test().labels().toArray());
    }

    @Test
    void missingFileSaysHowToFetchMnist() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Mnist.load(dir, arena));
        assertTrue(e.getMessage().contains(Mnist.TRAIN_IMAGES) && e.getMessage().contains("make data"), e.getMessage());
    }
}
