package dev.pnn.train.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.NativeBackend;
import dev.pnn.train.MnistFixture;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.fit.Trainer;
import dev.pnn.train.fit.TrainingConfig;
import dev.pnn.train.io.ModelFile;
import dev.pnn.train.io.ModelInfo;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierTest {

    private static final Dataset test = MnistFixture.shared().test();
    private static byte[][] images;

    @BeforeAll
    static void images() {
        images = new byte[test.size()][784];
        for (int i = 0; i < test.size(); i++) {
            for (int p = 0; p < 784; p++) {
                images[i][p] = (byte) test.images().get(i, p);
            }
        }
    }

    /** A network trained for one epoch, saved and loaded back as a classifier. */
    private static Classifier trained(Path dir) throws Exception {
        Path file = dir.resolve("mnist.npz");
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 42)) {
            Trainer.fit(net, MnistFixture.shared().train(), test, TrainingConfig.defaults().withEpochs(1), e -> { });
            ModelFile.save(file, net, new ModelInfo(Normalization.MNIST, List.of("zero", "one", "two", "three", "four",
                    "five", "six", "seven", "eight", "nine"), java.util.Map.of()));
        }
        return Classifier.load(file);
    }

    /** 100,000 single-image predictions from 8 threads are exactly the single-threaded ones. */
    @Test
    void eightThreadsGetExactlyTheSingleThreadedPredictions(@TempDir Path dir) throws Exception {
        NativeBackend backend = NativeBackend.instance();
        try (NativeBackend.ThreadCount one = backend.withThreads(1);
             Classifier c = trained(dir)) {
            int n = 100_000;
            Prediction[] alone = new Prediction[test.size()];
            int right = 0;
            for (int i = 0; i < test.size(); i++) {
                alone[i] = c.classify(images[i]);
                right += alone[i].index() == test.labels().get(i) ? 1 : 0;
            }
            assertTrue(right > 9300, right + " of 10,000 right after one epoch");
            assertEquals("seven", alone[0].label());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                AtomicInteger next = new AtomicInteger();
                List<Future<Integer>> done = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    done.add(pool.submit(() -> {
                        int checked = 0;
                        for (int k; (k = next.getAndIncrement()) < n; checked++) {
                            int i = k % test.size();
                            Prediction p = c.classify(images[i]);
                            if (p.index() != alone[i].index()
                                    || !java.util.Arrays.equals(p.probabilities(), alone[i].probabilities())) {
                                throw new AssertionError("image " + i + " differs from the single-threaded result");
                            }
                        }
                        return checked;
                    }));
                }
                int total = 0;
                for (Future<Integer> f : done) {
                    total += f.get();
                }
                assertEquals(n, total);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void bytesFloatsAndBatchesAgree(@TempDir Path dir) throws Exception {
        try (Classifier c = trained(dir)) {
            float[][] floats = new float[300][784];
            for (int i = 0; i < 300; i++) {
                for (int p = 0; p < 784; p++) {
                    floats[i][p] = Byte.toUnsignedInt(images[i][p]) / 255f;
                }
            }
            List<Prediction> batch = c.classify(floats);
            assertEquals(300, batch.size());
            for (int i = 0; i < 300; i++) {
                Prediction one = c.classify(images[i]);
                assertArrayEquals(one.probabilities(), c.classify(floats[i]).probabilities());
                assertEquals(one.index(), batch.get(i).index(), "image " + i);
                assertArrayEquals(one.probabilities(), batch.get(i).probabilities(), 1e-5f, "image " + i);
                double sum = 0;
                for (float p : one.probabilities()) {
                    sum += p;
                }
                assertEquals(1, sum, 1e-5);
            }
            Prediction p = c.classify(images[0]);
            assertEquals(3, p.top(3, c.info().classes()).size());
            assertEquals(p.index(), p.top(1, c.info().classes()).getFirst().index());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.classify(new float[783]));
            assertTrue(e.getMessage().contains("783") && e.getMessage().contains("784"), e.getMessage());
        }
    }

    /** Closing while calls run: running calls finish, later ones throw, nothing crashes. */
    @Test
    void closingWhileCallsRunNeverCrashes(@TempDir Path dir) throws Exception {
        Classifier c = trained(dir);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger refused = new AtomicInteger();
        AtomicInteger classified = new AtomicInteger();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                running.add(pool.submit(() -> {
                    for (int i = 0; !stop.get(); i++) {
                        try {
                            c.classify(images[i % images.length]);
                            classified.incrementAndGet();
                        } catch (IllegalStateException e) {
                            assertEquals("the classifier is closed", e.getMessage());
                            refused.incrementAndGet();
                            if (refused.get() > 100) {
                                return;
                            }
                        }
                    }
                }));
            }
            while (classified.get() < 1000) {
                Thread.onSpinWait();
            }
            c.close();
            for (Future<?> f : running) {
                f.get();
            }
            stop.set(true);
            assertTrue(refused.get() > 0, "calls after close are refused");
            c.close(); // twice is fine
            assertThrows(IllegalStateException.class, () -> c.classify(images[0]));
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
    }
}
