package dev.pnn.bench;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Backends;
import dev.pnn.tensor.ByteMatrix;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Tensor;
import dev.pnn.tensor.Rng;

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
 * The small C kernels of a training step, on a {@code rows x cols} activation: fused bias + ReLU,
 * its gradient, LogSoftMax, the fused cross-entropy loss and gradient, the bias gradient and the
 * batch gather. At these sizes the FFM call itself is part of what is measured. Each kernel's native
 * result is checked against the reference backend's before anything is timed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class KernelBenchmark {

    /** Activation shape: batch 64 at MNIST's first hidden layer, and its 10-class output. */
    @Param({"64x128", "64x10"})
    public String shape;

    @Param({"native", "reference"})
    public String backend;

    private Arena arena;
    private Backend b;
    private Tensor x;
    private Tensor bias;
    private Tensor out;
    private Tensor dout;
    private Tensor dinp;
    private Tensor dbias;
    private IntVector labels;
    private ByteMatrix images;
    private IntVector indices;
    private Tensor batch;

    @Setup
    public void setUp() {
        String[] dims = shape.split("x");
        int rows = Integer.parseInt(dims[0]);
        int cols = Integer.parseInt(dims[1]);
        arena = Arena.ofShared();
        x = Data.random(arena, rows, cols, 1);
        bias = Data.random(arena, 1, cols, 2);
        out = Tensor.allocate(arena, rows, cols);
        dout = Data.random(arena, rows, cols, 3);
        dinp = Tensor.allocate(arena, rows, cols);
        dbias = Tensor.allocate(arena, 1, cols);
        labels = Data.labels(arena, rows, cols, 4);
        images = ByteMatrix.allocate(arena, 1000, 784);
        Rng rng = new Rng(5);
        for (int r = 0; r < 1000; r++) {
            for (int c = 0; c < 784; c++) {
                images.set(r, c, rng.nextInt(256));
            }
        }
        indices = Data.labels(arena, rows, 1000, 6);
        batch = Tensor.allocate(arena, rows, 784);
        b = Backends.named(backend);
        if (b instanceof NativeBackend) {
            Backend ref = ReferenceBackend.INSTANCE;
            Tensor expected = Tensor.allocate(arena, rows, cols);
            Data.check("biasAddRelu", b.biasAddRelu(x, bias, out), ref.biasAddRelu(x, bias, expected), 0);
            Data.check("logSoftmax", b.logSoftmax(x, out), ref.logSoftmax(x, expected), 1e-6);
            Data.check("crossEntropy", grad(b), grad(ref), 1e-6);
            Data.check("reluBackward", b.reluBackward(x, dout, dinp), ref.reluBackward(x, dout, expected), 0);
            Tensor dbiasRef = Tensor.allocate(arena, 1, cols);
            Data.check("biasBackward", b.biasBackward(dout, dbias), ref.biasBackward(dout, dbiasRef), 1e-6);
            Data.check("gather", b.gatherRows(images, indices, 0, 1f / 255, 0, batch),
                    ref.gatherRows(images, indices, 0, 1f / 255, 0, Tensor.allocate(arena, rows, 784)), 1e-6);
        }
    }

    private Tensor grad(Backend backend) {
        Tensor d = Tensor.allocate(arena, x.rows(), x.cols());
        backend.crossEntropy(x, labels, d);
        return d;
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public Tensor biasAddRelu() {
        return b.biasAddRelu(x, bias, out);
    }

    @Benchmark
    public Tensor reluBackward() {
        return b.reluBackward(x, dout, dinp);
    }

    @Benchmark
    public Tensor logSoftmax() {
        return b.logSoftmax(x, out);
    }

    @Benchmark
    public double crossEntropy() {
        return b.crossEntropy(x, labels, dinp);
    }

    @Benchmark
    public Tensor biasBackward() {
        return b.biasBackward(dout, dbias);
    }

    @Benchmark
    public Tensor gather() {
        return b.gatherRows(images, indices, 0, 1f / 255, 0, batch);
    }
}
