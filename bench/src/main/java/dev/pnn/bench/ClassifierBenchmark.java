package dev.pnn.bench;

import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.Rng;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Workspace;
import dev.pnn.train.infer.Classifier;
import dev.pnn.train.infer.Prediction;
import dev.pnn.train.io.ModelInfo;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Model;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@link Classifier} shared by every caller thread, as a server shares it between request
 * threads: single-image latency and batches of 256. Run it at 1, 2 and 8 caller threads with
 * JMH's {@code -t}; OpenBLAS runs one thread, so callers are the only parallelism. Before timing,
 * the classifier's probabilities are checked against the network's own forward pass.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ClassifierBenchmark {

    private Network net;
    private Classifier classifier;

    /** Each caller thread's own input. */
    @State(Scope.Thread)
    public static class Input {
        float[] image;
        float[][] batch;

        @Setup
        public void setUp() {
            Rng rng = new Rng(Thread.currentThread().threadId());
            batch = new float[256][784];
            for (float[] row : batch) {
                for (int i = 0; i < row.length; i++) {
                    row[i] = (float) rng.nextDouble();
                }
            }
            image = batch[0];
        }
    }

    @Setup
    public void setUp() {
        NativeBackend.instance().setThreads(1);
        net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1);
        classifier = Classifier.of(net, ModelInfo.of(Normalization.MNIST));
        float[] image = new float[784];
        for (int i = 0; i < image.length; i++) {
            image[i] = (i % 29) / 28f;
        }
        Prediction p = classifier.classify(image);
        try (Arena arena = Arena.ofConfined(); Workspace ws = net.newWorkspace()) {
            Tensor x = Tensor.allocate(arena, 1, 784);
            for (int i = 0; i < image.length; i++) {
                x.setFlat(i, (float) ((image[i] - Normalization.MNIST.mean()) / Normalization.MNIST.std()));
            }
            Tensor logp = ws.forward(x).output();
            for (int c = 0; c < 10; c++) {
                if (Math.abs(Math.exp(logp.getFlat(c)) - p.probabilities()[c]) > 1e-6) {
                    throw new AssertionError("class " + c + ": the classifier says " + p.probabilities()[c]
                            + ", the network " + Math.exp(logp.getFlat(c)));
                }
            }
        }
    }

    @TearDown
    public void tearDown() {
        classifier.close();
        net.close();
    }

    @Benchmark
    public Prediction single(Input in) {
        return classifier.classify(in.image);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public List<Prediction> batch256(Input in) {
        return classifier.classify(in.batch);
    }
}
