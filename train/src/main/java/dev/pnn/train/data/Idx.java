package dev.pnn.train.data;

import dev.pnn.tensor.ByteMatrix;
import dev.pnn.tensor.IntVector;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;

/**
 * Reader for the IDX format of the MNIST files (LeCun et al.): a 4-byte magic number
 * {@code 0x00 0x00 <type> <dimensions>}, one big-endian 32-bit size per dimension, then the
 * payload in row-major order. Files may be raw or gzip-compressed (recognized by their content,
 * not their name).
 *
 * <p>Every field is checked before any large allocation: the magic number, the element type, the
 * number of dimensions, each dimension, their product (which must neither overflow nor exceed
 * what the file can hold) and the payload length. A failed check is an {@link IdxFormatException}
 * naming the file, the field, what was expected and what was found.
 */
public final class Idx {

    /** Element types of the IDX format. */
    public enum Type {
        UNSIGNED_BYTE(0x08, 1, "unsigned bytes"),
        SIGNED_BYTE(0x09, 1, "signed bytes"),
        SHORT(0x0B, 2, "16-bit integers"),
        INT(0x0C, 4, "32-bit integers"),
        FLOAT(0x0D, 4, "32-bit floats"),
        DOUBLE(0x0E, 8, "64-bit floats");

        final int code;
        final int bytes;
        final String description;

        Type(int code, int bytes, String description) {
            this.code = code;
            this.bytes = bytes;
            this.description = description;
        }

        static Type of(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            return null;
        }
    }

    /**
     * A checked IDX header.
     *
     * @param file         the file it came from
     * @param gzip         whether the file is gzip-compressed
     * @param type         element type
     * @param dims         the dimensions, outermost first
     * @param headerBytes  bytes before the payload: {@code 4 + 4 * dims.length}
     * @param payloadBytes the product of the dimensions times the element size
     */
    public record Header(Path file, boolean gzip, Type type, int[] dims, int headerBytes, long payloadBytes) {
        public String describeDims() {
            return Arrays.stream(dims).mapToObj(Integer::toString).collect(Collectors.joining(" x "));
        }
    }

    /** Deflate cannot compress by more than about 1032:1; a header claiming more is lying. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    private Idx() {}

    /**
     * Reads an IDX file of unsigned bytes with {@code rank} dimensions into a new matrix in
     * {@code arena}: one row per index of the first dimension, the others flattened into columns
     * (MNIST images: {@code 60000 x 28 x 28} becomes {@code 60000 x 784}).
     */
    public static ByteMatrix readUnsignedBytes(Path file, int rank, Arena arena) throws IOException {
        try (InputStream in = open(file)) {
            Header h = readHeader(file, in, rank);
            long cols = h.payloadBytes() / h.dims()[0];
            if (cols > Integer.MAX_VALUE) {
                throw new IdxFormatException(file, "dimensions", "at most " + Integer.MAX_VALUE
                        + " values per entry of the first dimension", h.describeDims());
            }
            ByteMatrix m = ByteMatrix.allocate(arena, h.dims()[0], (int) cols);
            readPayload(h, in, m);
            return m;
        }
    }

    /**
     * Reads an IDX file of labels (unsigned bytes, one dimension), each of which must be a class
     * in {@code [0, classes)}.
     */
    public static IntVector readLabels(Path file, int classes, Arena arena) throws IOException {
        try (InputStream in = open(file)) {
            Header h = readHeader(file, in, 1);
            int n = h.dims()[0];
            try (Arena scratch = Arena.ofConfined()) {
                ByteMatrix bytes = ByteMatrix.allocate(scratch, 1, n);
                readPayload(h, in, bytes);
                IntVector labels = IntVector.allocate(arena, n);
                for (int i = 0; i < n; i++) {
                    int label = bytes.get(0, i);
                    if (label >= classes) {
                        throw new IdxFormatException(file, "label " + i + " (byte " + (h.headerBytes() + (long) i)
                                + " of the payload)", "a class in [0, " + classes + ")", Integer.toString(label));
                    }
                    labels.set(i, label);
                }
                return labels;
            }
        }
    }

    /** Reads and checks just the header of {@code file}, whatever its rank. */
    public static Header readHeader(Path file) throws IOException {
        try (InputStream in = open(file)) {
            return readHeader(file, in, -1);
        }
    }

    private static InputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        }
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            try {
                return new GZIPInputStream(raw, 1 << 16);
            } catch (IOException e) {
                raw.close();
                throw new IdxFormatException(file, "gzip header", "a valid gzip stream (10 bytes or more)",
                        e instanceof EOFException ? "the file ends inside it (" + Files.size(file) + " bytes)"
                                : e.getMessage(), e);
            }
        }
        return raw;
    }

    /** @param rank the expected number of dimensions, or -1 for any */
    private static Header readHeader(Path file, InputStream in, int rank) throws IOException {
        boolean gzip = in instanceof GZIPInputStream;
        byte[] magic = readFully(file, in, 4, "magic number", "4 bytes");
        int magicValue = ((magic[0] & 0xff) << 24) | ((magic[1] & 0xff) << 16) | ((magic[2] & 0xff) << 8)
                | (magic[3] & 0xff);
        Type type = Type.of(magic[2] & 0xff);
        int dimCount = magic[3] & 0xff;
        boolean ok = magic[0] == 0 && magic[1] == 0 && type != null && dimCount > 0
                && (rank < 0 || (type == Type.UNSIGNED_BYTE && dimCount == rank));
        if (!ok) {
            String expected = rank < 0 ? "0x0000TTNN (TT an IDX type, NN > 0 dimensions)"
                    : String.format("0x%08X (%s)", 0x0800 | rank, describe(Type.UNSIGNED_BYTE, rank));
            String found = String.format("0x%08X", magicValue)
                    + (magic[0] == 0 && magic[1] == 0 && type != null ? " (" + describe(type, dimCount) + ")"
                    : " (not an IDX file)");
            throw new IdxFormatException(file, "magic number", expected, found);
        }
        byte[] sizes = readFully(file, in, 4 * dimCount, "dimension sizes", 4 * dimCount + " bytes after the magic");
        int[] dims = new int[dimCount];
        long elements = 1;
        for (int d = 0; d < dimCount; d++) {
            int i = 4 * d;
            dims[d] = ((sizes[i] & 0xff) << 24) | ((sizes[i + 1] & 0xff) << 16) | ((sizes[i + 2] & 0xff) << 8)
                    | (sizes[i + 3] & 0xff);
            if (dims[d] <= 0) {
                throw new IdxFormatException(file, "dimension " + d + " (bytes " + (4 + i) + "-" + (7 + i) + ")",
                        "a size between 1 and " + Integer.MAX_VALUE, Integer.toUnsignedString(dims[d]));
            }
            try {
                elements = Math.multiplyExact(elements, dims[d]);
            } catch (ArithmeticException e) {
                throw new IdxFormatException(file, "dimensions", "a product that fits 64 bits",
                        Arrays.toString(Arrays.copyOf(dims, d + 1)) + ", whose product overflows");
            }
        }
        int headerBytes = 4 + 4 * dimCount;
        long payload;
        try {
            payload = Math.multiplyExact(elements, (long) type.bytes);
        } catch (ArithmeticException e) {
            throw new IdxFormatException(file, "dimensions", "a payload size that fits 64 bits",
                    elements + " elements of " + type.bytes + " bytes");
        }
        Header h = new Header(file, gzip, type, dims, headerBytes, payload);
        long fileBytes = Files.size(file);
        if (!gzip && headerBytes + payload != fileBytes) {
            long follows = fileBytes - headerBytes;
            throw new IdxFormatException(file, "payload length", payload + " bytes (" + h.describeDims() + " "
                    + type.description + ")", follows + " bytes" + (follows < payload ? " (the file is truncated)"
                    : " (the file has " + (follows - payload) + " bytes of trailing data)"));
        }
        if (gzip && payload > (fileBytes - 18) * MAX_DEFLATE_RATIO) {
            throw new IdxFormatException(file, "payload length", "at most " + (fileBytes - 18) * MAX_DEFLATE_RATIO
                    + " bytes, all a " + fileBytes + "-byte gzip file can hold", payload + " bytes declared ("
                    + h.describeDims() + " " + type.description + ")");
        }
        return h;
    }

    private static String describe(Type type, int dims) {
        return type.description + ", " + dims + (dims == 1 ? " dimension" : " dimensions");
    }

    private static byte[] readFully(Path file, InputStream in, int n, String field, String expected)
            throws IOException {
        byte[] b = new byte[n];
        int got = in.readNBytes(b, 0, n);
        if (got < n) {
            throw new IdxFormatException(file, field, expected, got + " bytes before the end of the file");
        }
        return b;
    }

    /** Reads exactly the payload into {@code out}, then insists on the end of the data. */
    private static void readPayload(Header h, InputStream in, ByteMatrix out) throws IOException {
        byte[] chunk = new byte[1 << 16];
        long done = 0;
        long total = h.payloadBytes();
        try {
            while (done < total) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, total - done));
                if (n < 0) {
                    throw new IdxFormatException(h.file(), "payload length", total + " bytes (" + h.describeDims()
                            + " " + h.type().description + ")", done + " bytes (the data is truncated)");
                }
                out.write(done, chunk, 0, n);
                done += n;
            }
            if (in.read() >= 0) {
                throw new IdxFormatException(h.file(), "payload length", total + " bytes (" + h.describeDims() + " "
                        + h.type().description + ")", "more data after them (trailing bytes)");
            }
        } catch (EOFException e) {
            throw new IdxFormatException(h.file(), "payload length", total + " bytes", done
                    + " bytes (the gzip stream ends early)", e);
        } catch (java.util.zip.ZipException e) {
            throw new IdxFormatException(h.file(), "gzip data", "a valid deflate stream", e.getMessage(), e);
        }
    }
}
