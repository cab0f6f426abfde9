package dev.pnn.train.io;

import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.model.ParameterSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * numpy's {@code .npz}: a zip of {@code .npy} arrays (and here JSON entries), written and read
 * with every check a model file needs. Arrays are little-endian float32 in C order.
 */
final class Npz {

    /** A weight larger than this overflows float32 as soon as two of its products are summed. */
    static final float MAX_MAGNITUDE = 1e30f;
    private static final int MAX_JSON = 1 << 20;
    private static final int CHUNK = 1 << 14;

    private Npz() {}

    /** Writes entries into a zip stream; the caller closes it (through {@link AtomicFiles}). */
    static final class Writer {
        private final ZipOutputStream zip;

        Writer(OutputStream out) {
            this.zip = new ZipOutputStream(out, StandardCharsets.UTF_8);
            zip.setLevel(Deflater.BEST_SPEED);
        }

        void json(String name, String json) throws IOException {
            zip.putNextEntry(new ZipEntry(name));
            zip.write(json.getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }

        /** Array {@code name}.npy of {@code tensor}'s values, laid out in the file as {@code layout} says. */
        void array(String name, Tensor tensor, ParameterSpec.FileLayout layout) throws IOException {
            zip.putNextEntry(new ZipEntry(name + ".npy"));
            zip.write(Npy.header(layout.fileShape()));
            float[] values = layout.toFile(tensor.toArray());
            ByteBuffer buf = ByteBuffer.allocate(CHUNK * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                buf.putFloat(v);
                if (!buf.hasRemaining()) {
                    zip.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
            }
            zip.write(buf.array(), 0, buf.position());
            zip.closeEntry();
        }

        void finish() throws IOException {
            zip.finish();
        }
    }

    /** Reads entries of an opened zip, checking each against what the caller expects. */
    static final class Reader implements AutoCloseable {
        private final Path file;
        private final ZipFile zip;
        private final Map<String, ZipEntry> entries = new LinkedHashMap<>();

        /**
         * Opens {@code file}: it must be a regular file holding a zip archive.
         *
         * @throws ModelFileException naming what the file is instead
         */
        Reader(Path file) throws IOException {
            this.file = file;
            if (!Files.exists(file)) {
                throw new java.nio.file.NoSuchFileException(file.toString(), null, "no such file");
            }
            if (!Files.isRegularFile(file)) {
                throw new ModelFileException(file, "file", "a regular file (an .npz)",
                        Files.isDirectory(file) ? "a folder" : "a special file (FIFO, device or socket)");
            }
            if (Files.size(file) == 0) {
                throw new ModelFileException(file, "file", "a zip archive (an .npz)", "an empty file");
            }
            try {
                this.zip = new ZipFile(file.toFile(), StandardCharsets.UTF_8);
            } catch (ZipException e) {
                throw new ModelFileException(file, "zip structure", "a zip archive (an .npz)",
                        "none (" + e.getMessage() + "; the file is truncated or not a zip)", e);
            }
            Enumeration<? extends ZipEntry> all = zip.entries();
            while (all.hasMoreElements()) {
                ZipEntry e = all.nextElement();
                entries.put(e.getName(), e);
            }
        }

        boolean has(String name) {
            return entries.containsKey(name);
        }

        /** Names of the {@code .npy} entries, without the suffix, in file order. */
        List<String> arrays() {
            List<String> names = new ArrayList<>();
            for (String n : entries.keySet()) {
                if (n.endsWith(".npy")) {
                    names.add(n.substring(0, n.length() - 4));
                }
            }
            return names;
        }

        /** A JSON entry as text, its CRC checked. */
        String json(String name) throws IOException {
            ZipEntry e = entry(name);
            if (e.getSize() > MAX_JSON) {
                throw new ModelFileException(file, name, "at most " + MAX_JSON + " bytes", e.getSize() + " bytes");
            }
            try (InputStream in = zip.getInputStream(e)) {
                byte[] bytes = in.readNBytes(MAX_JSON + 1);
                checkCrc(e, bytes, bytes.length);
                return new String(bytes, StandardCharsets.UTF_8);
            } catch (ZipException ex) {
                throw corrupt(name, ex);
            }
        }

        /**
         * Checks array {@code name}.npy's header against {@code expected} (float32, C order, that
         * shape) and the entry's size against the header, without reading its data.
         */
        void checkArray(String name, Shape expected) throws IOException {
            ZipEntry e = entry(name + ".npy");
            try (InputStream in = zip.getInputStream(e)) {
                Npy.Header h = Npy.read(in, file, e.getName());
                if (!h.descr().equals(Npy.FLOAT32)) {
                    throw new ModelFileException(file, e.getName() + ": dtype", Npy.FLOAT32
                            + " (little-endian float32)", h.descr());
                }
                if (h.fortranOrder()) {
                    throw new ModelFileException(file, e.getName() + ": fortran_order", "False (C order)", "True");
                }
                String want = shape(expected);
                if (!h.shape().equals(want)) {
                    throw new ModelFileException(file, e.getName() + ": shape", want, h.shape());
                }
                long bytes = h.bytes() + expected.size() * Float.BYTES;
                if (e.getSize() != -1 && e.getSize() != bytes) {
                    throw new ModelFileException(file, e.getName() + ": size", bytes + " bytes (header and "
                            + expected.size() + " float32)", e.getSize() + " bytes");
                }
            } catch (ZipException ex) {
                throw corrupt(e.getName(), ex);
            }
        }

        /**
         * Reads array {@code name}.npy (checked by {@link #checkArray}) into {@code into}, laid
         * out as {@code layout} says; verifies the CRC and that every value is finite and below
         * {@link #MAX_MAGNITUDE}.
         */
        void readArray(String name, Tensor into, ParameterSpec.FileLayout layout) throws IOException {
            ZipEntry e = entry(name + ".npy");
            try (CheckedInputStream in = new CheckedInputStream(zip.getInputStream(e), new CRC32())) {
                Npy.Header h = Npy.read(in, file, e.getName());
                long n = into.size();
                float[] values = new float[Math.toIntExact(n)];
                byte[] buf = new byte[CHUNK * Float.BYTES];
                ByteBuffer view = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
                int done = 0;
                while (done < values.length) {
                    int want = Math.min(CHUNK, values.length - done) * Float.BYTES;
                    int got = in.readNBytes(buf, 0, want);
                    if (got < want) {
                        throw new ModelFileException(file, e.getName(), n * Float.BYTES + " bytes of data",
                                ((long) done * Float.BYTES + got) + " (the entry is truncated)");
                    }
                    for (int k = 0; k < want / Float.BYTES; k++) {
                        float v = view.getFloat(k * Float.BYTES);
                        if (!(Math.abs(v) < MAX_MAGNITUDE)) {
                            throw new ModelFileException(file, e.getName() + ": element " + (done + k),
                                    "a finite value of magnitude below " + MAX_MAGNITUDE, Float.toString(v));
                        }
                        values[done + k] = v;
                    }
                    done += want / Float.BYTES;
                }
                if (in.read() >= 0) {
                    throw new ModelFileException(file, e.getName(), (h.bytes() + n * Float.BYTES) + " bytes",
                            "more (trailing data)");
                }
                verifyCrc(e, file, in.getChecksum().getValue());
                into.set(0, layout.fromFile(values));
            } catch (ZipException ex) {
                throw corrupt(e.getName(), ex);
            }
        }

        private ZipEntry entry(String name) throws ModelFileException {
            ZipEntry e = entries.get(name);
            if (e == null) {
                throw new ModelFileException(file, name, "an entry of that name", "none (the file has "
                        + String.join(", ", entries.keySet()) + ")");
            }
            return e;
        }

        private void checkCrc(ZipEntry e, byte[] bytes, int length) throws ModelFileException {
            CRC32 crc = new CRC32();
            crc.update(bytes, 0, length);
            verifyCrc(e, file, crc.getValue());
        }

        private ModelFileException corrupt(String name, ZipException e) {
            return new ModelFileException(file, name, "intact compressed data", "a corrupt entry (" + e.getMessage()
                    + ")", e);
        }

        @Override
        public void close() throws IOException {
            zip.close();
        }
    }

    private static void verifyCrc(ZipEntry e, Path file, long actual) throws ModelFileException {
        if (e.getCrc() != -1 && e.getCrc() != actual) {
            throw new ModelFileException(file, e.getName() + ": CRC-32", String.format("%08x", e.getCrc()),
                    String.format("%08x (the entry is corrupted)", actual));
        }
    }

    /** numpy's shape tuple: {@code (128, 784)}, {@code (10,)}. */
    static String shape(Shape s) {
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < s.rank(); i++) {
            b.append(i == 0 ? "" : ", ").append(s.dim(i));
        }
        return b.append(s.rank() == 1 ? ",)" : ")").toString();
    }

}
