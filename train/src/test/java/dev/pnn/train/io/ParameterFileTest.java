package dev.pnn.train.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.train.exec.Parameters;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.LogSoftMax;
import dev.pnn.train.model.Model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParameterFileTest {

    @Test
    void savedParametersLoadBackBitForBit(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("mnist.pnnw");
        try (Parameters a = Parameters.initialized(Model.mnist(), Init.HE_NORMAL, 3);
             Parameters b = Parameters.zeros(Model.mnist())) {
            ParameterFile.save(a, file);
            int spec = Model.mnist().spec().toJson().getBytes(StandardCharsets.UTF_8).length;
            assertEquals(4 + 4 + 4 + spec + 8 + 4 * Model.mnist().parameterCount(), Files.size(file));
            ParameterFile.load(file, b);
            assertArrayEquals(a.flat().toArray(), b.flat().toArray());
            // saving again replaces the file whole, and leaves no temporary file behind
            ParameterFile.save(b, file);
            try (var files = Files.list(dir)) {
                assertEquals(1, files.count());
            }
        }
    }

    /** Files of format version 1 (identified by the model's description) still load. */
    @Test
    void versionOneFilesStillLoad(@TempDir Path dir) throws IOException {
        Model small = Model.sequential(new Linear(3, 2), new LogSoftMax());
        byte[] description = small.toString().getBytes(StandardCharsets.UTF_8);
        float[] values = {1, 2, 3, 4, 5, 6, 7, 8};
        ByteBuffer b = ByteBuffer.allocate(4 + 4 + 4 + description.length + 8 + 4 * values.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {'P', 'N', 'N', 'W'}).putInt(1).putInt(description.length).put(description)
                .putLong(values.length);
        for (float v : values) {
            b.putFloat(v);
        }
        Path file = Files.write(dir.resolve("v1.pnnw"), b.array());
        try (Parameters p = Parameters.zeros(small)) {
            ParameterFile.load(file, p);
            assertArrayEquals(values, p.flat().toArray());
        }
    }

    @Test
    void loadingTheWrongFileNamesItAndChangesNothing(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("small.pnnw");
        Model small = Model.sequential(new Linear(784, 10), new LogSoftMax());
        try (Parameters saved = Parameters.initialized(small, Init.HE_NORMAL, 3);
             Parameters net = Parameters.initialized(Model.mnist(), Init.HE_NORMAL, 4)) {
            ParameterFile.save(saved, file);
            float[] before = net.flat().toArray();
            ParameterFileException e = assertThrows(ParameterFileException.class, () -> ParameterFile.load(file, net));
            assertTrue(e.getMessage().startsWith(file + ": model: expected {\"input\":[784],\"layers\":[{\"type\":"
                    + "\"Linear\",\"in\":784,\"out\":128}"), e.getMessage());
            assertTrue(e.getMessage().contains("found {\"input\":[784],\"layers\":[{\"type\":\"Linear\",\"in\":784,"
                    + "\"out\":10},{\"type\":\"LogSoftMax\"}]}"), e.getMessage());

            byte[] bytes = Files.readAllBytes(file);
            Path cut = Files.write(dir.resolve("cut.pnnw"), Arrays.copyOf(bytes, bytes.length - 7));
            try (Parameters same = Parameters.zeros(small)) {
                e = assertThrows(ParameterFileException.class, () -> ParameterFile.load(cut, same));
                assertTrue(e.getMessage().contains("parameter bytes") && e.getMessage().contains("truncated"),
                        e.getMessage());
                assertArrayEquals(new float[(int) same.count()], same.flat().toArray());
            }
            Path idx = Files.write(dir.resolve("not-weights"), new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 5, 0, 0, 0});
            e = assertThrows(ParameterFileException.class, () -> ParameterFile.load(idx, net));
            assertTrue(e.getMessage().contains("magic: expected PNNW"), e.getMessage());
            byte[] v9 = bytes.clone();
            v9[4] = 9;
            Path future = Files.write(dir.resolve("v9.pnnw"), v9);
            e = assertThrows(ParameterFileException.class, () -> ParameterFile.load(future, net));
            assertTrue(e.getMessage().contains("format version: expected 1 or 2, found 9"), e.getMessage());
            assertArrayEquals(before, net.flat().toArray());
        }
    }
}
