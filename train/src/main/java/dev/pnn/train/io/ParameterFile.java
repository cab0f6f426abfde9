package dev.pnn.train.io;

import dev.pnn.tensor.Tensor;
import dev.pnn.train.exec.Parameters;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.ModelSpec;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A model's parameters in a file: {@code PNNW}, a format version, the model's identity, the
 * parameter count, then the parameters as little-endian float32 in the order of
 * {@link Parameters#flat()}.
 *
 * <p>Version 2 (written) identifies the model by its {@link ModelSpec} as JSON, compared
 * structurally on load; version 1 (read) by {@link Model#toString()}. Writing is atomic: the
 * bytes go to a temporary file in the same folder, which is forced to disk and renamed over the
 * target, so the target holds either the old file or the whole new one.
 */
public final class ParameterFile {

    private static final byte[] MAGIC = {'P', 'N', 'N', 'W'};
    private static final int FORMAT_VERSION = 2;
    private static final int MAX_IDENTITY_BYTES = 1 << 20;

    private ParameterFile() {}

    /** Writes {@code parameters} to {@code file} (format version 2), atomically. */
    public static void save(Parameters parameters, Path file) throws IOException {
        byte[] identity = ModelSpec.of(parameters.model()).toJson().getBytes(StandardCharsets.UTF_8);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer header = ByteBuffer.allocate(4 + 4 + 4 + identity.length + 8).order(ByteOrder.LITTLE_ENDIAN);
                header.put(MAGIC).putInt(FORMAT_VERSION).putInt(identity.length).put(identity)
                        .putLong(parameters.count()).flip();
                while (header.hasRemaining()) {
                    ch.write(header);
                }
                if (parameters.count() > 0) { // a model without parameters still has a one-float buffer
                    parameters.flat().writeTo(ch);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    /**
     * Reads parameters written by {@link #save} (or format version 1) for the same model into
     * {@code parameters}.
     *
     * @throws ParameterFileException naming the file and field when it is not such a file, holds
     *                                another model, or is truncated; {@code parameters} are then unchanged
     */
    public static void load(Path file, Parameters parameters) throws IOException {
        Model model = parameters.model();
        long size = Files.size(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = read(ch, file, 12, "header", "12 bytes");
            byte[] magic = new byte[4];
            head.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new ParameterFileException(file, "magic", "PNNW", new String(magic, StandardCharsets.ISO_8859_1));
            }
            int version = head.getInt();
            if (version != 1 && version != FORMAT_VERSION) {
                throw new ParameterFileException(file, "format version", "1 or " + FORMAT_VERSION,
                        Integer.toString(version));
            }
            int length = head.getInt();
            if (length < 0 || length > MAX_IDENTITY_BYTES) {
                throw new ParameterFileException(file, "model description length", "at most 1 MiB",
                        Integer.toUnsignedString(length));
            }
            String found = StandardCharsets.UTF_8.decode(read(ch, file, length, "model description", length + " bytes"))
                    .toString();
            checkIdentity(file, version, found, model);
            long count = read(ch, file, 8, "parameter count", "8 bytes").getLong();
            if (count != parameters.count()) {
                throw new ParameterFileException(file, "parameter count", Long.toString(parameters.count()),
                        Long.toString(count));
            }
            long bodyBytes = count * Float.BYTES;
            long remaining = size - ch.position();
            if (remaining != bodyBytes) {
                throw new ParameterFileException(file, "parameter bytes", Long.toString(bodyBytes),
                        remaining + (remaining < bodyBytes ? " (the file is truncated)" : " (trailing data)"));
            }
            if (count == 0) {
                return;
            }
            // read everything before touching the parameters: a failure leaves them unchanged
            try (Arena scratch = Arena.ofConfined()) {
                Tensor staged = Tensor.allocate(scratch, parameters.flat().shape());
                long read = staged.readFrom(ch);
                if (read != bodyBytes) {
                    throw new ParameterFileException(file, "parameter bytes", Long.toString(bodyBytes),
                            read + " (the file is truncated)");
                }
                parameters.flat().copyFrom(staged);
            }
        }
    }

    private static void checkIdentity(Path file, int version, String found, Model model) throws ParameterFileException {
        if (version == 1) {
            if (!found.equals(model.toString())) {
                throw new ParameterFileException(file, "model", model.toString(), found);
            }
            return;
        }
        ModelSpec expected = ModelSpec.of(model);
        ModelSpec spec;
        try {
            spec = ModelSpec.fromJson(found);
        } catch (IllegalArgumentException e) {
            throw new ParameterFileException(file, "model", expected.toJson(), "an unreadable spec (" + e.getMessage() + ")");
        }
        if (!spec.equals(expected)) {
            throw new ParameterFileException(file, "model", expected.toJson(), found);
        }
    }

    private static ByteBuffer read(FileChannel ch, Path file, int bytes, String field, String expected)
            throws IOException {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new ParameterFileException(file, field, expected, b.position() + " bytes before the end of the file");
            }
        }
        return b.flip();
    }

    /** Makes the rename durable: on Linux a directory opened for reading can be forced. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // not every file system lets a directory be opened or forced; the rename itself is done
        }
    }
}
