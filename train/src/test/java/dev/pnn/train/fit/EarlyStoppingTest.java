package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.NativeBackend;
import dev.pnn.train.MnistFixture;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.exec.Network;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.LrSchedule;
import dev.pnn.train.optim.Sgd;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class EarlyStoppingTest {

    private static final Mnist mnist = MnistFixture.shared();

    /**
     * 300 training examples and a wide network at a constant rate over-fit within a few epochs:
     * the validation loss turns up, training stops after `patience` epochs more, and the network
     * ends with the weights of the best epoch.
     */
    @Test
    void stopsWhenValidationLossTurnsUpAndRestoresTheBestWeights() {
        try (Arena arena = Arena.ofShared();
             Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 3)) {
            Dataset.Split small = mnist.train().subset(arena, range(0, 1300)).split(arena, 1000, 5);
            TrainingConfig config = TrainingConfig.defaults().withEpochs(60).withBatchSize(32)
                    .withOptimizer(Sgd.momentum(0.9)).withSchedule(LrSchedule.constant(0.05));
            List<float[]> weightsByEpoch = new ArrayList<>();
            EarlyStopping early = new EarlyStopping(3);
            History h = Trainer.fit(net, small.train(), small.validation(), mnist.test(), config, new TrainingListener() {
                @Override
                public void onEpoch(EpochStats stats, TrainingRun run) {
                    weightsByEpoch.add(run.network().parameters().flat().toArray());
                    early.onEpoch(stats, run);
                }
            });
            int best = h.bestEpoch();
            assertTrue(h.stoppedEarly() != null && h.stoppedEarly().contains("has not improved for 3 epochs"),
                    String.valueOf(h.stoppedEarly()));
            assertTrue(h.epochs().size() < 60, h.epochs().size() + " epochs ran");
            assertEquals(best + 3, h.epochs().size(), "three epochs without improvement after the best");
            double bestLoss = h.epochs().get(best - 1).validationLoss();
            for (EpochStats e : h.epochs()) {
                assertTrue(e.validationLoss() >= bestLoss, "epoch " + e.epoch() + " was better than the best");
            }
            assertTrue(h.last().trainLoss() < h.epochs().get(best - 1).trainLoss(), "training loss kept falling");
            assertArrayEquals(weightsByEpoch.get(best - 1), net.parameters().flat().toArray(), "the best weights");
            assertTrue(h.toJson().contains("\"best_epoch\": " + best), h.toJson());
        }
    }

    /** The held-out examples never reach a training batch. */
    @Test
    void theValidationSplitNeverLeaksIntoTraining() {
        try (Arena arena = Arena.ofShared()) {
            Dataset.Split split = mnist.train().split(arena, 6000, 42);
            Set<Integer> held = new HashSet<>();
            for (int i : split.validationIndices()) {
                held.add(i);
            }
            assertEquals(6000, held.size());
            assertEquals(54_000, split.train().size());
            for (int i : split.trainIndices()) {
                assertTrue(!held.contains(i), "example " + i + " is in both");
            }
            assertEquals(60_000, held.size() + split.trainIndices().length);
            // the copies hold the right examples: compare a few rows with the originals
            for (int k : new int[] {0, 17, 5999}) {
                int original = split.validationIndices()[k];
                for (int p = 0; p < 784; p += 97) {
                    assertEquals(mnist.train().images().get(original, p), split.validation().images().get(k, p));
                }
                assertEquals(mnist.train().labels().get(original), split.validation().labels().get(k));
            }
            // and the same seed gives the same split
            assertArrayEquals(split.validationIndices(), mnist.train().split(arena, 6000, 42).validationIndices());
        }
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }
}
