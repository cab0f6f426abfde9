package dev.pnn.example;

import dev.pnn.tensor.Backends;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.exec.Network;
import dev.pnn.train.fit.History;
import dev.pnn.train.fit.Trainer;
import dev.pnn.train.fit.TrainingConfig;
import dev.pnn.train.infer.Classifier;
import dev.pnn.train.infer.Prediction;
import dev.pnn.train.io.ModelFile;
import dev.pnn.train.io.ModelInfo;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Model;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Trains the MNIST network for an epoch, saves it, loads it as a Classifier and classifies the
 * test images from four threads at once.
 *
 * <pre>java --enable-native-access=dev.pnn.bindings,dev.pnn.tensor -p target/classes:target/lib \
 *     -m dev.pnn.example/dev.pnn.example.Example data/mnist mnist.npz</pre>
 */
public final class Example {

    private Example() {}

    public static void main(String[] args) throws Exception {
        Path data = Path.of(args.length > 0 ? args[0] : "data/mnist");
        Path file = Path.of(args.length > 1 ? args[1] : "mnist.npz");
        try (Arena arena = Arena.ofShared()) {
            Mnist mnist = Mnist.load(data, arena);
            TrainingConfig config = TrainingConfig.defaults().withEpochs(1);
            try (Network net = Network.create(Model.mnist(), Backends.named("native"), Init.PYTORCH_DEFAULT, 42)) {
                History h = Trainer.fit(net, mnist.train(), mnist.test(), config, e -> System.out.println(e));
                ModelFile.save(file, net, ModelInfo.of(config.normalization()));
                System.out.printf("trained one epoch: %.2f%% on the test set; saved %s%n", h.last().testAccuracy(), file);
            }
            Dataset test = mnist.test();
            try (Classifier classifier = Classifier.load(file); ExecutorService pool = Executors.newFixedThreadPool(4)) {
                List<Future<Integer>> parts = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int first = t;
                    parts.add(pool.submit(() -> {
                        int right = 0;
                        byte[] image = new byte[784];
                        for (int i = first; i < test.size(); i += 4) {
                            for (int p = 0; p < image.length; p++) {
                                image[p] = (byte) test.images().get(i, p);
                            }
                            Prediction prediction = classifier.classify(image);
                            right += prediction.index() == test.labels().get(i) ? 1 : 0;
                        }
                        return right;
                    }));
                }
                int right = 0;
                for (Future<Integer> f : parts) {
                    right += f.get();
                }
                System.out.printf("classified %d test images from 4 threads: %d right (%.2f%%)%n", test.size(), right,
                        100.0 * right / test.size());
                if (right < 0.9 * test.size()) {
                    throw new IllegalStateException("the loaded classifier gets only " + right + " right");
                }
            }
        }
    }
}
