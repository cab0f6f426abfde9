package dev.pnn.train.cli;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Backends;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.NativeLibraryException;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.exec.Network;
import dev.pnn.train.fit.EpochStats;
import dev.pnn.train.fit.History;
import dev.pnn.train.fit.Trainer;
import dev.pnn.train.fit.TrainingConfig;
import dev.pnn.train.fit.TrainingDivergedException;
import dev.pnn.train.io.ParameterFile;
import dev.pnn.train.model.Model;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.Locale;

/** {@code pnn-train.jar}: trains a multilayer perceptron on MNIST and prints the test accuracy. */
public final class Main {

    /** Exit codes: 0 trained, 1 could not train (data, native libraries, divergence), 2 bad command line. */
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (Options.UsageException e) {
            err.println("error: " + e.getMessage());
            err.println("Run with --help to see the options.");
            return USAGE;
        }
        if (options.help()) {
            out.print(Options.USAGE);
            return OK;
        }
        try {
            return train(options, out);
        } catch (NoSuchFileException e) {
            err.println("error: cannot read " + e.getFile() + (e.getReason() == null ? "" : ": " + e.getReason()));
            return FAILED;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return FAILED;
        } catch (NativeLibraryException e) {
            err.println("error: " + e.getMessage());
            err.println("On this command line, --backend reference trains without native code (about 36 times slower).");
            return FAILED;
        } catch (TrainingDivergedException e) {
            err.println("error: " + e.getMessage() + " (--lr)");
            return FAILED;
        }
    }

    private static int train(Options o, PrintStream out) throws IOException {
        Backend backend = Backends.named(o.backend());
        if (backend instanceof NativeBackend nb) {
            nb.setThreads(o.threads());
        }
        try (Arena arena = Arena.ofShared()) {
            Mnist mnist = Mnist.load(o.data(), arena);
            Model model = o.model(mnist.train().features(), mnist.train().classes());
            TrainingConfig config = o.config();
            out.printf(Locale.ROOT, "model    %s, %,d parameters, init %s, seed %d%n", model, model.parameterCount(),
                    o.init(), o.seed());
            out.printf(Locale.ROOT, "backend  %s%n", backend instanceof NativeBackend nb
                    ? "native: " + nb.openBlasConfig() + " (" + nb.openBlasCoreName() + "), " + nb.threads()
                    + (nb.threads() == 1 ? " thread" : " threads")
                    : "reference (pure Java, double accumulation)");
            out.printf(Locale.ROOT, "data     %s: %,d training and %,d test images, %s%n", o.data(),
                    mnist.train().size(), mnist.test().size(), config.normalization());
            out.printf(Locale.ROOT, "training %d epochs, batch %d, %s, lr %s, loss %s%n", config.epochs(),
                    config.batchSize(), config.optimizer(), config.schedule(), config.loss());
            History history;
            try (Network net = Network.create(model, backend, o.init(), o.seed())) {
                double[] elapsed = {0};
                history = Trainer.fit(net, mnist.train(), mnist.test(), config, e -> {
                    elapsed[0] += e.seconds();
                    printEpoch(out, e, config, elapsed[0]);
                });
                if (o.save() != null) {
                    ParameterFile.save(net.parameters(), o.save());
                }
            }
            if (o.history() != null) {
                Files.writeString(o.history(), history.toJson());
            }
            out.printf(Locale.ROOT, "test accuracy: %.2f%%%n", history.last().testAccuracy());
        }
        return OK;
    }

    private static void printEpoch(PrintStream out, EpochStats e, TrainingConfig config, double elapsed) {
        out.printf(Locale.ROOT, "epoch %2d/%d  loss %.4f  train %6.2f%%  test %6.2f%% (loss %.4f)  %,9.0f samples/s"
                + "  elapsed %.1f s%n", e.epoch(), config.epochs(), e.trainLoss(), e.trainAccuracy(), e.testAccuracy(),
                e.testLoss(), e.samplesPerSecond(), elapsed);
    }
}
