package dev.pnn.train.exec;

import static dev.pnn.train.exec.NetworkTest.input;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.TestData;
import dev.pnn.train.model.Fusions;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.Vjp;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Per-caller workspaces over shared parameters: buffers, bounds, lifetimes, threads. */
class WorkspaceTest {

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofShared();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void buffersAreAllocatedOncePerBatchSizeAndReused() {
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1);
             Workspace ws = net.newWorkspace()) {
            Tensor full = input(arena, 64, 784, 1);
            Tensor last = input(arena, 32, 784, 2);
            Tensor first = ws.forward(full).output();
            long bytes = 0;
            for (int i = 0; i < 5; i++) {
                assertTrue(ws.forward(full).output().sameMemory(first), "a new output buffer on step " + i);
                Vjp v = ws.forward(last);
                assertSame(ws.lossGradient(v.output()), ws.lossGradient(v.output()));
                v.pullback().apply(ws.lossGradient(v.output()));
                if (i == 0) {
                    bytes = ws.allocatedBytes();
                }
                assertEquals(bytes, ws.allocatedBytes(), "step " + i + " allocated more");
            }
            assertEquals(2, ws.batchSizes());
        }
    }

    /** Today's bug in the old design: 2,000 batch sizes kept 2,000 workspaces. Now a few are kept. */
    @Test
    void manyBatchSizesKeepOnlyTheMostRecentFew() {
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1);
             Workspace ws = net.newWorkspace(3)) {
            Tensor x = input(arena, 300, 784, 1);
            long most = 0;
            for (int rows = 1; rows <= 300; rows++) {
                ws.forward(x.rows(0, rows));
                assertTrue(ws.batchSizes() <= 3, ws.batchSizes() + " batch sizes held");
                most = Math.max(most, ws.allocatedBytes());
            }
            // three frames of at most 300 rows of (128 + 128 + 64 + 64 + 10 + 10) floats, 64-byte aligned
            long bound = 3 * (300L * 404 * 4 + 6 * 64);
            assertTrue(most <= bound, most + " bytes held, more than three batch sizes' " + bound);
        }
    }

    @Test
    void aPullbackAfterItsBuffersWereReusedOrReleasedThrows() {
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1)) {
            Tensor a = input(arena, 16, 784, 1);
            Tensor b = input(arena, 16, 784, 2);
            Tensor dy = Tensor.allocate(arena, 16, 10).fill(0.1f);
            Workspace ws = net.newWorkspace(2);
            Vjp stale = ws.forward(a);
            Vjp fresh = ws.forward(b);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> stale.pullback().apply(dy));
            assertTrue(e.getMessage().contains("a later forward pass with 16 rows"), e.getMessage());
            fresh.pullback().apply(dy); // the current one still works
            // another batch size does not touch these buffers
            Vjp other = ws.forward(input(arena, 8, 784, 3));
            fresh.pullback().apply(dy);
            // two more sizes release the 16-row buffers (capacity 2)
            ws.forward(input(arena, 4, 784, 4));
            other.pullback().apply(Tensor.allocate(arena, 8, 10));
            ws.forward(input(arena, 2, 784, 5));
            e = assertThrows(IllegalStateException.class, () -> fresh.pullback().apply(dy));
            assertTrue(e.getMessage().contains("released"), e.getMessage());
            Vjp last = ws.forward(input(arena, 2, 784, 5));
            ws.close();
            assertThrows(IllegalStateException.class, () -> last.pullback().apply(Tensor.allocate(arena, 2, 10)));
        }
    }

    @Test
    void forwardOnlyUseAllocatesNoGradientBuffers() {
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1);
             Workspace inference = net.newWorkspace();
             Workspace training = net.newWorkspace()) {
            Tensor x = input(arena, 64, 784, 1);
            inference.forward(x);
            inference.forward(x);
            Vjp v = training.forward(x);
            long activations = inference.allocatedBytes();
            assertEquals(activations, training.allocatedBytes(), "the same activations before any backward pass");
            v.pullback().apply(training.lossGradient(v.output()));
            long gradients = net.parameters().count() * Float.BYTES;
            assertTrue(training.allocatedBytes() >= activations + gradients, training.allocatedBytes() + " bytes");
            // activations (outputs) of 64 rows: 128 + 128 + 64 + 64 + 10 + 10 floats a row, aligned
            assertTrue(activations < 64L * 404 * 4 + 6 * 64 + 1, activations + " bytes for inference");
        }
    }

    /**
     * Two threads, each with its own workspace on one set of parameters, computing gradients of
     * different batches at the same time, get exactly what one thread gets running the two in turn.
     */
    @Test
    void twoWorkspacesOnOneNetworkFromTwoThreadsMatchRunningThemInTurn() throws Exception {
        NativeBackend backend = NativeBackend.instance();
        // bit-identical products need the same BLAS thread count throughout
        try (NativeBackend.ThreadCount one = backend.withThreads(1);
             Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 5)) {
            Fusions.Objective objective = Fusions.objective(net.model(), Loss.nll());
            Tensor[] xs = {input(arena, 64, 784, 1), input(arena, 64, 784, 2)};
            IntVector[] ys = {labels(64, 3), labels(64, 4)};
            float[][] sequential = new float[2][];
            float[][] sequentialOut = new float[2][];
            try (Workspace ws = net.newWorkspace()) {
                for (int t = 0; t < 2; t++) {
                    Vjp v = gradients(ws, objective, xs[t], ys[t], 50);
                    sequential[t] = ws.gradients().toArray();
                    sequentialOut[t] = v.output().toArray();
                }
            }
            CyclicBarrier start = new CyclicBarrier(2);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<float[][]>> results = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    int mine = t;
                    Callable<float[][]> task = () -> {
                        try (Workspace ws = net.newWorkspace()) {
                            start.await();
                            Vjp v = gradients(ws, objective, xs[mine], ys[mine], 50);
                            return new float[][] {ws.gradients().toArray(), v.output().toArray()};
                        }
                    };
                    results.add(pool.submit(task));
                }
                for (int t = 0; t < 2; t++) {
                    float[][] r = results.get(t).get();
                    assertArrayEquals(sequential[t], r[0], "thread " + t + " gradients");
                    assertArrayEquals(sequentialOut[t], r[1], "thread " + t + " logits");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** {@code repeats} rounds of forward, zero grads, loss, backward; returns the last forward. */
    private static Vjp gradients(Workspace ws, Fusions.Objective objective, Tensor x, IntVector y, int repeats) {
        Vjp v = null;
        for (int i = 0; i < repeats; i++) {
            v = ws.forward(x, objective.layers(), false);
            ws.zeroGradients();
            Tensor dy = ws.lossGradient(v.output());
            objective.loss().valueAndGradient(ws.network().backend(), v.output(), y, dy);
            v.pullback().apply(dy);
        }
        return v;
    }

    private IntVector labels(int n, long seed) {
        return TestData.labels(arena, n, 10, seed);
    }
}
