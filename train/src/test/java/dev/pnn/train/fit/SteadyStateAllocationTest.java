package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.MnistFixture;
import dev.pnn.train.TestData;
import dev.pnn.train.data.Batches;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Adam;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.Sgd;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * A warm training step of the MLP allocates nothing on the Java heap: its buffers, views,
 * pullback objects and checks are all made once. Counted by the JVM for the calling thread
 * ({@code com.sun.management.ThreadMXBean}) after the JVM's own warm-up (method handles link
 * and customize themselves in the first hundreds of calls); under 1 byte a step on average in
 * the quietest of five windows.
 */
class SteadyStateAllocationTest {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void aWarmStepOfTheMlpAllocatesNothingOnTheHeap() {
        NativeBackend backend = NativeBackend.instance();
        for (Optimizer optimizer : List.of(Sgd.momentum(0.9).withWeightDecay(5e-4), Adam.defaults(), Sgd.plain())) {
            try (Arena arena = Arena.ofShared();
                 Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 1);
                 TrainingStep step = new TrainingStep(net, Loss.nll(), optimizer)) {
                Tensor x = TestData.uniform(arena, 64, 784, -1, 1, 3);
                IntVector y = TestData.labels(arena, 64, 10, 4);
                for (int i = 0; i < 1500; i++) { // past the JVM's own warm-up (method handle linkage, compilation)
                    step.run(x, y, 1e-3f);
                }
                // the fewest bytes of five windows of 200 steps: an allocation in the step shows in
                // every window, a one-off of the JVM's own (a recompilation, a deoptimization) in one
                long fewest = Long.MAX_VALUE;
                for (int window = 0; window < 5; window++) {
                    long before = THREADS.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < 200; i++) {
                        step.run(x, y, 1e-3f);
                    }
                    fewest = Math.min(fewest, THREADS.getCurrentThreadAllocatedBytes() - before);
                }
                assertTrue(fewest >= 0);
                assertEquals(0, fewest / 200, optimizer + ": " + fewest + " bytes in 200 steps");
            }
        }
    }

    /**
     * The loop of {@link Trainer#fit} over real batches: each of two shards gathers its own rows
     * and asks for the next batch's, the labels are copied, the batch order is reshuffled every
     * epoch. Counted on the calling thread, which runs the first shard.
     */
    @Test
    void aWarmShardedStepOverGatheredBatchesAllocatesNothingOnTheHeap() {
        NativeBackend backend = NativeBackend.instance();
        Mnist mnist = MnistFixture.shared();
        try (Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 1);
             TrainingStep step = new TrainingStep(net, Loss.nll(), Sgd.momentum(0.9), 2);
             Batches batches = new Batches(mnist.train(), 64, Normalization.MNIST, backend, 1, true)) {
            TrainingStep.Fill fill = batches::fill;
            int[] epoch = {0};
            Runnable oneStep = () -> {
                if (!batches.hasNext()) {
                    batches.startEpoch(++epoch[0]);
                }
                Batches.Batch b = batches.nextUnfilled();
                step.run(b.images(), b.labels(), 1e-3f, fill);
            };
            batches.startEpoch(0);
            for (int i = 0; i < 2000; i++) {
                oneStep.run();
            }
            long fewest = Long.MAX_VALUE;
            for (int window = 0; window < 5; window++) {
                long before = THREADS.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    oneStep.run();
                }
                fewest = Math.min(fewest, THREADS.getCurrentThreadAllocatedBytes() - before);
            }
            assertEquals(0, fewest / 200, fewest + " bytes in 200 steps");
        }
    }
}
