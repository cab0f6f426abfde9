package dev.pnn.bench;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Backends;
import dev.pnn.tensor.ByteMatrix;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Rng;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.data.Batches;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Normalization;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-step work of the training loop around {@code TrainingStep}: the next shuffled batch
 * (gather from an MNIST-sized uint8 dataset, labels) and counting correct predictions. Before
 * timing, the native loader's first batches are checked against the reference backend's (same
 * seed: same examples, pixels within float32 rounding), and the count against a plain loop.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class DataBenchmark {

    @Param({"64"})
    public int batch;

    @Param({"native"})
    public String backend;

    private Arena arena;
    private Backend b;
    private Batches batches;
    private Tensor scores;
    private IntVector labels;
    private int epoch;

    @Setup
    public void setUp() {
        arena = Arena.ofShared();
        b = Backends.named(backend);
        ByteMatrix images = ByteMatrix.allocate(arena, 60_000, 784);
        Rng rng = new Rng(1);
        for (int r = 0; r < 60_000; r++) {
            for (int c = 0; c < 784; c += 8) {
                images.set(r, c, rng.nextInt(256));
            }
        }
        Dataset data = new Dataset(images, Data.labels(arena, 60_000, 10, 2), 10);
        batches = new Batches(data, batch, Normalization.MNIST, b, 3, true);
        if (b instanceof NativeBackend) {
            try (Batches reference = new Batches(data, batch, Normalization.MNIST, ReferenceBackend.INSTANCE, 3, true)) {
                batches.startEpoch(0);
                reference.startEpoch(0);
                for (int i = 0; i < 3; i++) {
                    Batches.Batch n = batches.next();
                    Batches.Batch r = reference.next();
                    Data.check("batch " + i, n.images(), r.images(), 1e-6);
                    if (!java.util.Arrays.equals(n.labels().toArray(), r.labels().toArray())) {
                        throw new AssertionError("batch " + i + ": native and reference loaders gave other labels");
                    }
                }
            }
        }
        batches.startEpoch(epoch);
        scores = Data.random(arena, batch, 10, 4);
        labels = Data.labels(arena, batch, 10, 5);
        int expected = 0;
        for (int r = 0; r < batch; r++) {
            int best = 0;
            for (int c = 1; c < 10; c++) {
                best = scores.get(r, c) > scores.get(r, best) ? c : best;
            }
            expected += best == labels.get(r) ? 1 : 0;
        }
        int counted = b.countCorrect(scores, labels);
        if (counted != expected) {
            throw new AssertionError("countCorrect gave " + counted + ", a plain loop " + expected);
        }
    }

    @TearDown
    public void tearDown() {
        batches.close();
        arena.close();
    }

    @Benchmark
    public Batches.Batch nextBatch() {
        if (!batches.hasNext()) {
            batches.startEpoch(++epoch);
        }
        return batches.next();
    }

    @Benchmark
    public int countCorrect() {
        return b.countCorrect(scores, labels);
    }
}
