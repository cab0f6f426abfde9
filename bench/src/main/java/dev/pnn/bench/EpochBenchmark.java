package dev.pnn.bench;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Backends;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.exec.Network;
import dev.pnn.train.fit.Trainer;
import dev.pnn.train.fit.TrainingConfig;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The epoch benchmark: trains the default model on real MNIST with the default configuration
 * and reports training throughput (samples per second over the training steps of an epoch,
 * evaluation excluded) per configuration, all in one JVM.
 *
 * <p>A throwaway run warms the JIT first. Then the configurations take turns, round after round
 * (A B A B ...), so that a slow patch of a shared machine or late JIT work does not favour one of
 * them; each run's first epoch is dropped. Reported: the median over every remaining epoch, its
 * range, and the ratio of medians to the first configuration.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.pnn.bench.EpochBenchmark \
 *     [--data data/mnist] [--epochs 4] [--rounds 3] [--threads 1,2] [--batch-sizes 64] [--backends native]
 * </pre>
 */
public final class EpochBenchmark {

    private EpochBenchmark() {}

    private record Result(String name, double median, double min, double max, double testAccuracy) {}

    public static void main(String[] args) throws IOException {
        Path data = Path.of("data/mnist");
        int epochs = 4;
        int rounds = 3;
        int[] threads = {1, 2};
        int[] batchSizes = {64};
        String[] backends = {"native"};
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[i + 1]);
                case "--epochs" -> epochs = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = ints(args[i + 1]);
                case "--batch-sizes" -> batchSizes = ints(args[i + 1]);
                case "--backends" -> backends = args[i + 1].split(",");
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (epochs < 2 || rounds < 1) {
            throw new IllegalArgumentException("--epochs must be >= 2 (each run's first is dropped), --rounds >= 1");
        }
        List<Config> configs = new ArrayList<>();
        for (String name : backends) {
            Backend backend = Backends.named(name);
            for (int t : backend instanceof NativeBackend ? threads : new int[] {1}) {
                for (int batch : batchSizes) {
                    configs.add(new Config(String.format(Locale.ROOT, "%s, %d thread%s, batch %d", name, t,
                            t == 1 ? "" : "s", batch), backend, t, batch, new ArrayList<>(), new double[1]));
                }
            }
        }
        try (Arena arena = Arena.ofShared()) {
            Mnist mnist = Mnist.load(data, arena);
            Config first = configs.getFirst();
            run(new Config("warm-up", first.backend(), first.threads(), first.batch(), new ArrayList<>(),
                    new double[1]), mnist, 2);
            for (int round = 0; round < rounds; round++) {
                for (Config c : configs) {
                    run(c, mnist, epochs);
                }
            }
        }
        List<Result> results = configs.stream().map(EpochBenchmark::summarize).toList();
        System.out.println();
        System.out.printf(Locale.ROOT, "%-32s %14s %14s %10s %10s%n", "configuration", "samples/s", "min-max",
                "ratio", "test acc");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%-32s %,14.0f %6.0fk-%4.0fk %9.2fx %9.2f%%%n", r.name(), r.median(),
                    r.min() / 1e3, r.max() / 1e3, r.median() / results.getFirst().median(), r.testAccuracy());
        }
    }

    private record Config(String name, Backend backend, int threads, int batch, List<Double> rates,
                          double[] lastAccuracy) {}

    private static void run(Config c, Mnist mnist, int epochs) {
        if (c.backend() instanceof NativeBackend nb) {
            nb.setThreads(c.threads());
        }
        TrainingConfig config = TrainingConfig.defaults().withEpochs(epochs).withBatchSize(c.batch());
        try (Network net = Network.create(Model.mnist(), c.backend(), Init.PYTORCH_DEFAULT, config.seed())) {
            Trainer.fit(net, mnist.train(), mnist.test(), config, e -> {
                if (e.epoch() > 1) {
                    c.rates().add(e.samplesPerSecond());
                }
                c.lastAccuracy()[0] = e.testAccuracy();
                System.out.printf(Locale.ROOT, "%-32s epoch %d: %,10.0f samples/s, test %.2f%%%n", c.name(), e.epoch(),
                        e.samplesPerSecond(), e.testAccuracy());
            });
        }
    }

    private static Result summarize(Config c) {
        double[] rates = c.rates().stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = rates.length % 2 == 1 ? rates[rates.length / 2]
                : (rates[rates.length / 2 - 1] + rates[rates.length / 2]) / 2;
        return new Result(c.name(), median, rates[0], rates[rates.length - 1], c.lastAccuracy()[0]);
    }

    private static int[] ints(String list) {
        return Arrays.stream(list.split(",")).mapToInt(s -> Integer.parseInt(s.trim())).toArray();
    }
}
