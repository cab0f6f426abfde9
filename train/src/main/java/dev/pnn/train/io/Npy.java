package dev.pnn.train.io;

import dev.pnn.tensor.Shape;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * numpy's {@code .npy} header (format 1.0 written; 1.0, 2.0 and 3.0 read): a magic string, the
 * version, a header length, and a Python dict literal with {@code descr}, {@code fortran_order}
 * and {@code shape}, padded so that the data starts on a 64-byte boundary.
 */
final class Npy {

    static final String FLOAT32 = "<f4";
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int MAX_HEADER = 1 << 16;
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** A parsed header: element type, order, dimensions (empty for a scalar) and the header's length in bytes. */
    record Header(String descr, boolean fortranOrder, long[] dims, int bytes) {
        long elements() {
            long n = 1;
            for (long d : dims) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        String shape() {
            StringBuilder s = new StringBuilder("(");
            for (int i = 0; i < dims.length; i++) {
                s.append(i == 0 ? "" : ", ").append(dims[i]);
            }
            return s.append(dims.length == 1 ? ",)" : ")").toString();
        }
    }

    private Npy() {}

    /** The header of a little-endian float32, C-order array of {@code shape}. */
    static byte[] header(Shape shape) {
        StringBuilder dict = new StringBuilder("{'descr': '" + FLOAT32 + "', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.rank(); i++) {
            dict.append(i == 0 ? "" : ", ").append(shape.dim(i));
        }
        dict.append(shape.rank() == 1 ? ",), }" : "), }");
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int padded = (unpadded + 63) / 64 * 64;
        dict.append(" ".repeat(padded - unpadded)).append('\n');
        byte[] text = dict.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[padded];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[6] = 1;
        out[7] = 0;
        out[8] = (byte) text.length;
        out[9] = (byte) (text.length >>> 8);
        System.arraycopy(text, 0, out, 10, text.length);
        return out;
    }

    /** Reads and parses a header from {@code in}, which is left at the first data byte. */
    static Header read(InputStream in, Path file, String entry) throws IOException {
        DataInputStream d = new DataInputStream(in);
        byte[] magic = new byte[8];
        try {
            d.readFully(magic);
        } catch (EOFException e) {
            throw new ModelFileException(file, entry, "an .npy array (magic \\x93NUMPY)", "fewer than 8 bytes");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (magic[i] != MAGIC[i]) {
                throw new ModelFileException(file, entry, "an .npy array (magic \\x93NUMPY)", "other bytes");
            }
        }
        int major = magic[6];
        int length;
        int prefix;
        try {
            if (major == 1) {
                length = Byte.toUnsignedInt(d.readByte()) | Byte.toUnsignedInt(d.readByte()) << 8;
                prefix = 10;
            } else if (major == 2 || major == 3) {
                length = Byte.toUnsignedInt(d.readByte()) | Byte.toUnsignedInt(d.readByte()) << 8
                        | Byte.toUnsignedInt(d.readByte()) << 16 | Byte.toUnsignedInt(d.readByte()) << 24;
                prefix = 12;
            } else {
                throw new ModelFileException(file, entry + ": .npy version", "1, 2 or 3", Integer.toString(major));
            }
            if (length < 0 || length > MAX_HEADER) {
                throw new ModelFileException(file, entry + ": header length", "at most " + MAX_HEADER + " bytes",
                        Integer.toUnsignedString(length));
            }
            byte[] text = new byte[length];
            d.readFully(text);
            String dict = new String(text, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            return parse(dict, file, entry, prefix + length);
        } catch (EOFException e) {
            throw new ModelFileException(file, entry, "a whole .npy header", "the entry ends inside it");
        }
    }

    private static Header parse(String dict, Path file, String entry, int bytes) throws ModelFileException {
        Matcher descr = DESCR.matcher(dict);
        Matcher fortran = FORTRAN.matcher(dict);
        Matcher shape = SHAPE.matcher(dict);
        if (!descr.find() || !fortran.find() || !shape.find()) {
            throw new ModelFileException(file, entry + ": header", "a dict with descr, fortran_order and shape",
                    dict.strip());
        }
        String dims = shape.group(1).strip();
        String[] parts = dims.isEmpty() ? new String[0] : dims.split("\\s*,\\s*");
        int n = parts.length > 0 && parts[parts.length - 1].isEmpty() ? parts.length - 1 : parts.length;
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            try {
                out[i] = Long.parseLong(parts[i].strip().replaceAll("L$", ""));
            } catch (NumberFormatException e) {
                throw new ModelFileException(file, entry + ": shape", "whole numbers", "(" + dims + ")");
            }
            if (out[i] < 0) {
                throw new ModelFileException(file, entry + ": shape", "dimensions >= 0", "(" + dims + ")");
            }
        }
        return new Header(descr.group(1), fortran.group(1).equals("True"), out, bytes);
    }
}
