package dev.pnn.tensor;

import static dev.pnn.tensor.TestSupport.assertBitIdentical;
import static dev.pnn.tensor.TestSupport.random;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Products on several Java threads at once, each on its own tensors, as training shards and
 * concurrent classifiers run them: every result has the bits the same product has when it runs
 * alone, at the same BLAS thread count. A BLAS whose per-call buffers were shared between
 * callers would mix rows of one product into another here.
 */
class ConcurrentGemmTest {

    private static final int CALLERS = 4;
    /**
     * Rounds per caller. Fewer at two BLAS threads: OpenBLAS 0.3.21 queues concurrent threaded
     * calls behind one another and each caller's threads wait on the others', about 30 ms a
     * product here, so four callers would take half a minute.
     */
    private static int rounds(int blasThreads) {
        return blasThreads == 1 ? 40 : 3;
    }
    /** The MLP's products at batch 32 (a shard of 64): forward, weight gradient, input gradient. */
    private static final int[][] SHAPES = {{32, 128, 784}, {32, 64, 128}, {32, 10, 64}, {128, 784, 32},
                                           {64, 128, 32}, {32, 128, 64}, {257, 129, 300}};

    @ParameterizedTest(name = "{0} BLAS threads per call")
    @ValueSource(ints = {1, 2})
    void concurrentProductsHaveTheBitsOfProductsRunAlone(int blasThreads) throws Exception {
        NativeBackend b = NativeBackend.instance();
        int before = b.threads();
        b.setThreads(blasThreads);
        ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
        try (Arena arena = Arena.ofShared()) {
            // each caller gets its own inputs and outputs, and the expected result of each product
            List<Tensor[][]> work = new ArrayList<>();
            SplittableRandom rnd = new SplittableRandom(9);
            for (int c = 0; c < CALLERS; c++) {
                Tensor[][] mine = new Tensor[SHAPES.length][];
                for (int s = 0; s < SHAPES.length; s++) {
                    int m = SHAPES[s][0], n = SHAPES[s][1], k = SHAPES[s][2];
                    Tensor a = random(arena, m, k, rnd);
                    Tensor bt = random(arena, n, k, rnd);
                    Tensor expected = Tensor.allocate(arena, m, n);
                    b.gemm(false, true, 1f, a, bt, 0f, expected);
                    mine[s] = new Tensor[] {a, bt, expected, Tensor.allocate(arena, m, n)};
                }
                work.add(mine);
            }
            CyclicBarrier start = new CyclicBarrier(CALLERS);
            List<Future<?>> done = new ArrayList<>();
            for (Tensor[][] mine : work) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int r = 0; r < rounds(blasThreads); r++) {
                        for (int s = 0; s < SHAPES.length; s++) {
                            Tensor[] t = mine[(s + r) % SHAPES.length];
                            t[3].fill(Float.NaN);
                            b.gemm(false, true, 1f, t[0], t[1], 0f, t[3]);
                            assertBitIdentical("round " + r + ", shape " + t[3].shape(), t[3], t[2]);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
            b.setThreads(before);
        }
    }
}
