package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.NativeBackend;
import dev.pnn.train.MnistFixture;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.io.ModelFile;
import dev.pnn.train.io.ModelInfo;
import dev.pnn.train.model.Dropout;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.LogSoftMax;
import dev.pnn.train.model.ReLU;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Adam;
import dev.pnn.train.optim.LrSchedule;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resuming from any checkpoint, mid-epoch or at an epoch's end, ends with the bits of the uninterrupted run. */
class CheckpointTest {

    private static final Mnist mnist = MnistFixture.shared();
    private static final ModelInfo INFO = ModelInfo.of(Normalization.MNIST);

    /** Adam, so that the optimizer's two buffers and its step count must all come back exactly. */
    private static TrainingConfig config() {
        return TrainingConfig.defaults().withEpochs(2).withOptimizer(Adam.defaults())
                .withSchedule(LrSchedule.cosine(1e-3, 0)).withBatchSize(128);
    }

    @Test
    void resumingFromEveryCheckpointEndsBitIdenticalToTheUninterruptedRun(@TempDir Path dir) throws IOException {
        NativeBackend backend = NativeBackend.instance();
        try (NativeBackend.ThreadCount one = backend.withThreads(1);
             Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 9)) {
            History full = Trainer.fit(net, mnist.train(), mnist.test(), config(), new Checkpointer(dir, 150, 100, INFO));
            float[] expected = net.parameters().flat().toArray();
            List<Path> checkpoints = Checkpoint.list(dir);
            // every 150 steps of 469, and each epoch's end
            assertEquals(List.of("checkpoint-000000150.npz", "checkpoint-000000300.npz", "checkpoint-000000450.npz",
                    "checkpoint-000000469.npz", "checkpoint-000000619.npz", "checkpoint-000000769.npz",
                    "checkpoint-000000919.npz", "checkpoint-000000938.npz"),
                    checkpoints.stream().map(p -> p.getFileName().toString()).toList());
            for (Path c : List.of(checkpoints.get(1), checkpoints.get(3), checkpoints.get(5))) {
                Checkpoint from = Checkpoint.read(c);
                try (ModelFile.Loaded m = ModelFile.load(c, backend)) {
                    History resumed = Trainer.resume(from, m.network(), mnist.train(), mnist.test(), config(),
                            new TrainingListener() { });
                    assertArrayEquals(expected, m.network().parameters().flat().toArray(), "resumed from " + c);
                    assertEquals(full.last().trainLoss(), resumed.last().trainLoss(), 0.0, "epoch statistics too");
                    assertEquals(full.last().testAccuracy(), resumed.last().testAccuracy(), 0.0);
                    assertEquals(2, resumed.epochs().size());
                }
            }
            Checkpoint last = Checkpoint.read(checkpoints.getLast());
            assertEquals(2, last.epoch());
            assertEquals(0, last.step());
            assertEquals(938, last.optimizerSteps());
        }
    }

    @Test
    void aRunSplitOverTwoShardsWithDropoutResumesBitIdentical(@TempDir Path dir) throws IOException {
        Model model = new Model(784, List.of(new Linear(784, 32), new ReLU(), new Dropout(0.5), new Linear(32, 10),
                new LogSoftMax()));
        TrainingConfig config = config().withShards(2);
        NativeBackend backend = NativeBackend.instance();
        try (NativeBackend.ThreadCount one = backend.withThreads(1);
             Network net = Network.create(model, backend, Init.PYTORCH_DEFAULT, 9)) {
            Trainer.fit(net, mnist.train(), mnist.test(), config, new Checkpointer(dir, 150, 100, INFO));
            float[] expected = net.parameters().flat().toArray();
            Path mid = Checkpoint.list(dir).get(1); // step 300, in the first epoch
            try (ModelFile.Loaded m = ModelFile.load(mid, backend)) {
                Trainer.resume(Checkpoint.read(mid), m.network(), mnist.train(), mnist.test(), config,
                        new TrainingListener() { });
                assertArrayEquals(expected, m.network().parameters().flat().toArray(), "resumed from " + mid);
            }
            try (ModelFile.Loaded m = ModelFile.load(mid, backend)) {
                assertThrows(IllegalArgumentException.class, () -> Trainer.resume(Checkpoint.read(mid), m.network(),
                        mnist.train(), mnist.test(), config.withShards(1), new TrainingListener() { }),
                        "a 2-shard checkpoint resumed on 1 shard would end elsewhere");
            }
        }
    }

    @Test
    void aCheckpointRefusesOtherSettingsAndAFinishedRun(@TempDir Path dir) throws IOException {
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 9)) {
            TrainingConfig one = config().withEpochs(1);
            Trainer.fit(net, mnist.train(), mnist.test(), one, new Checkpointer(dir, 0, 2, INFO));
            Path c = Checkpoint.newest(dir);
            Checkpoint from = Checkpoint.read(c);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Trainer.resume(from, net, mnist.train(), mnist.test(), one.withBatchSize(64), null));
            assertTrue(e.getMessage().contains("was written by a run with batch 128") && e.getMessage().contains(
                    "this run has batch 64"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Trainer.resume(from, net, mnist.train(), mnist.test(), one, null));
            assertTrue(e.getMessage().contains("nothing is left to train"), e.getMessage());
        }
    }
}
