package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.ByteMatrix;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.MnistFixture;
import dev.pnn.train.data.Batches;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.LrSchedule;
import dev.pnn.train.optim.Sgd;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class TrainerTest {

    private static final Mnist mnist = MnistFixture.shared();

    @Test
    void batchesCoverEveryExampleOnceIncludingTheLastPartialBatch() {
        try (Batches b = new Batches(mnist.test(), 64, Normalization.NONE, NativeBackend.instance(), 1, true)) {
            assertEquals(157, b.batchCount()); // 156 full batches and one of 16
            b.startEpoch(0);
            int seen = 0;
            List<Integer> sizes = new ArrayList<>();
            int[] labelCounts = new int[10];
            while (b.hasNext()) {
                Batches.Batch batch = b.next();
                sizes.add(batch.rows());
                for (int r = 0; r < batch.rows(); r++) {
                    labelCounts[batch.labels().get(r)]++;
                    float pixel = batch.images().get(r, 400);
                    assertTrue(pixel >= 0 && pixel <= 1, "pixel scaled to [0, 1]: " + pixel);
                }
                seen += batch.rows();
            }
            assertEquals(10_000, seen);
            assertEquals(16, sizes.getLast());
            int[] expected = new int[10];
            for (int i = 0; i < mnist.test().size(); i++) {
                expected[mnist.test().labels().get(i)]++;
            }
            assertArrayEquals(expected, labelCounts, "every label exactly once");
            assertThrows(IllegalStateException.class, b::next);
        }
    }

    @Test
    void everyRowOfABatchComesWithItsOwnLabel() {
        // example i holds i in its first two features and has label i % 7: a row and its label
        // must come from the same example, in every batch of every epoch, images or a table
        int n = 300;
        try (Arena arena = Arena.ofConfined()) {
            ByteMatrix images = ByteMatrix.allocate(arena, n, 3);
            Tensor table = Tensor.allocate(arena, n, 3);
            IntVector labels = IntVector.allocate(arena, n);
            for (int i = 0; i < n; i++) {
                images.set(i, 0, i / 256);
                images.set(i, 1, i % 256);
                table.set(i, 0, i / 256);
                table.set(i, 1, i % 256);
                labels.set(i, i % 7);
            }
            for (Dataset data : List.of(new Dataset(images, labels, 7),
                    Dataset.ofTable(table, labels, 7, List.of()))) {
                float unit = data.isImages() ? 1f / 255 : 1; // NONE still scales pixels to [0, 1]
                try (Batches b = new Batches(data, 32, Normalization.NONE, NativeBackend.instance(), 3, true)) {
                    for (int epoch = 0; epoch < 2; epoch++) {
                        b.startEpoch(epoch);
                        Set<Integer> seen = new HashSet<>();
                        while (b.hasNext()) {
                            Batches.Batch batch = b.next();
                            for (int r = 0; r < batch.rows(); r++) {
                                int example = Math.round(batch.images().get(r, 0) / unit) * 256
                                        + Math.round(batch.images().get(r, 1) / unit);
                                assertEquals(example % 7, batch.labels().get(r), "epoch " + epoch + ", example "
                                        + example);
                                assertTrue(seen.add(example), "example " + example + " twice");
                            }
                        }
                        assertEquals(n, seen.size());
                    }
                }
            }
        }
    }

    @Test
    void aBatchFilledInPartsIsTheBatchGatheredWhole() {
        try (Batches whole = new Batches(mnist.train(), 64, Normalization.MNIST, NativeBackend.instance(), 5, true);
             Batches parts = new Batches(mnist.train(), 64, Normalization.MNIST, NativeBackend.instance(), 5, true)) {
            assertThrows(IllegalStateException.class, () -> parts.fill(whole.nextUnfilled().images(), 0),
                    "nothing taken from parts yet");
            whole.startEpoch(2);
            parts.startEpoch(2);
            for (int s = 0; s < 3; s++) {
                Batches.Batch expected = whole.next();
                Batches.Batch batch = parts.nextUnfilled();
                assertArrayEquals(expected.labels().toArray(), batch.labels().toArray(), "labels come at once");
                parts.fill(batch.images().rows(40, 24), 40); // the second part first
                parts.fill(batch.images().rows(0, 40), 0);
                assertArrayEquals(expected.images().toArray(), batch.images().toArray(), "batch " + s);
            }
            Batches.Batch batch = parts.nextUnfilled();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> parts.fill(batch.images().rows(40, 24), 41));
            assertEquals("cannot fill 24 rows of 784 features from row 41, feature 0 of a batch of 64 rows of 784 features",
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> parts.fill(batch.images().rows(0, 8), -1));
            parts.startEpoch(3);
            assertThrows(IllegalStateException.class, () -> parts.fill(batch.images(), 0), "a new epoch's order");
        }
    }

    /**
     * Blocks of features filled into tensors of their own (as threads that split the first layer
     * by its inputs fill them) are those columns of the batch gathered whole, to the bit; for
     * images and for a table's rows.
     */
    @Test
    void blocksOfFeaturesAreThoseColumnsOfTheWholeBatch() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor table = Tensor.allocate(arena, 30, 7);
            for (int r = 0; r < 30; r++) {
                for (int c = 0; c < 7; c++) {
                    table.set(r, c, r * 7 + c * 0.5f - 3);
                }
            }
            Dataset rows = Dataset.ofTable(table, dev.pnn.tensor.IntVector.allocate(arena, 30), 2, List.of("a", "b"));
            for (Dataset data : List.of(mnist.train(), rows)) {
                int features = data.features();
                int[] columns = {0, features / 3, features / 2 + 1, features};
                try (Batches whole = new Batches(data, 16, Normalization.MNIST, NativeBackend.instance(), 9, true);
                     Batches parts = new Batches(data, 16, Normalization.MNIST, NativeBackend.instance(), 9, true)) {
                    whole.startEpoch(1);
                    parts.startEpoch(1);
                    for (int s = 0; s < 2; s++) {
                        Batches.Batch expected = whole.next();
                        Batches.Batch batch = parts.nextUnfilled();
                        for (int k = columns.length - 2; k >= 0; k--) {
                            int width = columns[k + 1] - columns[k];
                            Tensor block = Tensor.allocate(arena, 8, width);
                            parts.fill(block, 5, columns[k]);
                            for (int r = 0; r < 8; r++) {
                                for (int c = 0; c < width; c++) {
                                    assertEquals(expected.images().get(5 + r, columns[k] + c), block.get(r, c),
                                            features + " features, batch " + s + ", row " + (5 + r) + ", column "
                                                    + (columns[k] + c));
                                }
                            }
                        }
                    }
                    parts.startEpoch(2);
                    parts.nextUnfilled();
                    Tensor wide = Tensor.allocate(arena, 4, 6);
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> parts.fill(wide, 0, features - 5));
                    assertEquals("cannot fill 4 rows of 6 features from row 0, feature " + (features - 5)
                            + " of a batch of 16 rows of " + features + " features", e.getMessage());
                }
            }
        }
    }

    @Test
    void shuffleDependsOnSeedAndEpochOnly() {
        try (Batches a = new Batches(mnist.train(), 32, Normalization.MNIST, NativeBackend.instance(), 7, true);
             Batches b = new Batches(mnist.train(), 32, Normalization.MNIST, NativeBackend.instance(), 7, true)) {
            a.startEpoch(0);
            a.startEpoch(1);
            b.startEpoch(1);
            int[] la = a.next().labels().toArray();
            int[] lb = b.next().labels().toArray();
            assertArrayEquals(la, lb, "epoch 1 of the same seed, whatever came before");
            b.startEpoch(2);
            assertNotEquals(java.util.Arrays.toString(la), java.util.Arrays.toString(b.next().labels().toArray()));
            Set<Integer> firstLabels = new HashSet<>();
            for (int label : la) {
                firstLabels.add(label);
            }
            assertTrue(firstLabels.size() > 5, "a shuffled batch mixes classes");
        }
    }

    @Test
    void aNonFiniteLossStopsTrainingWithTheEpochAndStep() {
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1)) {
            net.parameters().get("4.bias").setFlat(3, Float.NaN);
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> Trainer.fit(net, mnist.train(), mnist.test(), TrainingConfig.defaults().withEpochs(1), s -> { }));
            assertEquals(1, e.epoch());
            assertEquals(1, e.step());
            assertTrue(e.getMessage().contains("epoch 1, step 1 of 938") && e.getMessage().contains(
                    "because the parameters hold a NaN or an infinity before that step"), e.getMessage());
            assertTrue(!e.getMessage().contains("learning rate"), "a NaN weight is not the learning rate's doing");
        }
        // a learning rate far too high diverges part-way, and is reported the same way
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1)) {
            TrainingConfig wild = TrainingConfig.defaults().withEpochs(1).withSchedule(LrSchedule.constant(10))
                    .withOptimizer(Sgd.plain());
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> Trainer.fit(net, mnist.train(), mnist.test(), wild, s -> { }));
            assertTrue(e.getMessage().contains("learning rate 10.0"), e.getMessage());
        }
    }

    @Test
    void argmaxTakesTheFirstMaximumAndRejectsNan() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.copyOf(arena, new float[][] {{1, 3, 3}, {Float.NaN, 0, 1}, {-1, -2, -0.5f}});
            assertEquals(1, Trainer.argmax(t, 0));
            assertEquals(-1, Trainer.argmax(t, 1));
            assertEquals(2, Trainer.argmax(t, 2));
        }
    }

    /** The integration test of the main job: one epoch on the real files reaches at least 93%. */
    @Test
    void oneEpochOnRealMnistReachesAtLeast93Percent() {
        List<EpochStats> seen = new ArrayList<>();
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 42)) {
            History h = Trainer.fit(net, mnist.train(), mnist.test(), TrainingConfig.defaults().withEpochs(1), seen::add);
            assertEquals(seen, h.epochs());
            EpochStats e = h.last();
            assertTrue(e.testAccuracy() >= 93, "test accuracy after one epoch: " + e.testAccuracy() + "%");
            assertTrue(e.trainLoss() > 0 && e.trainLoss() < 1, "train loss " + e.trainLoss());
            Evaluation again = Trainer.evaluate(net, mnist.test(), Loss.nll(), Normalization.MNIST, 500);
            assertEquals(e.testAccuracy(), again.accuracy(), 1e-9, "evaluation does not depend on its batch size");
            assertEquals(10_000, again.total());
            // predict (batches of 300: the last one partial) agrees with the evaluation's accuracy
            int[] predicted = Trainer.predict(net, mnist.test().images(), Normalization.MNIST, 300);
            int right = 0;
            for (int i = 0; i < predicted.length; i++) {
                right += predicted[i] == mnist.test().labels().get(i) ? 1 : 0;
            }
            assertEquals(again.correct(), right);
        }
    }
}
