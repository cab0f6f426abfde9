package dev.pnn.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class BatchBuffersTest {

    @Test
    void keepsTheMostRecentlyUsedSizesAndReleasesTheRest() {
        List<Integer> made = new ArrayList<>();
        try (BatchBuffers<Tensor> buffers = new BatchBuffers<>(2, (arena, rows) -> {
            made.add(rows);
            return Tensor.allocate(arena, rows, 3);
        })) {
            Tensor a = buffers.get(64);
            assertSame(a, buffers.get(64));
            Tensor b = buffers.get(32);
            assertSame(a, buffers.get(64)); // 64 is now the most recent; 32 the least
            buffers.get(1000);              // releases 32
            assertEquals(2, buffers.size());
            assertThrows(IllegalStateException.class, () -> b.get(0, 0), "a released buffer fails, never crashes");
            assertSame(a, buffers.get(64));
            buffers.get(32);                // allocated again
            assertEquals(List.of(64, 32, 1000, 32), made);
            assertEquals(List.of(64, 32), buffers.values().stream().map(Tensor::rows).toList());
        }
    }

    @Test
    void aFactoryFailureReleasesItsArenaAndCloseReleasesAll() {
        BatchBuffers<Tensor> buffers = new BatchBuffers<>(3, (arena, rows) -> {
            if (rows == 13) {
                throw new IllegalArgumentException("no 13");
            }
            return Tensor.allocate(arena, rows, 1);
        });
        Tensor t = buffers.get(5);
        assertThrows(IllegalArgumentException.class, () -> buffers.get(13));
        assertEquals(1, buffers.size());
        buffers.close();
        assertThrows(IllegalStateException.class, () -> t.get(0, 0));
        assertThrows(IllegalStateException.class, () -> buffers.get(5));
        assertThrows(IllegalArgumentException.class, () -> new BatchBuffers<Tensor>(0, (a, r) -> null));
    }
}
