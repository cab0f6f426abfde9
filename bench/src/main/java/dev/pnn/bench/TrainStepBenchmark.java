package dev.pnn.bench;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Backends;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.Init;
import dev.pnn.train.Loss;
import dev.pnn.train.Model;
import dev.pnn.train.Network;
import dev.pnn.train.Sgd;
import dev.pnn.train.TrainingStep;

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
import org.openjdk.jmh.infra.Blackhole;

/**
 * One training step of the default 784-128-64-10 network (forward, zero grads, fused loss,
 * backward, momentum update), its forward pass alone, and the eight matrix products a step needs
 * with nothing else around them: the floor OpenBLAS sets. step / gemmFloor is what everything
 * else costs (kernels, FFM calls, Java). Run with {@code -prof gc} for the heap allocated per step.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TrainStepBenchmark {

    @Param({"64"})
    public int batch;

    @Param({"native", "reference"})
    public String backend;

    /** OpenBLAS threads (native only). */
    @Param({"1"})
    public int threads;

    private Arena arena;
    private Backend b;
    private Network net;
    private TrainingStep step;
    private Tensor x;
    private IntVector y;
    private Tensor h1;
    private Tensor h2;
    private Tensor z;
    private Tensor dz;
    private Tensor dh2;
    private Tensor dh1;

    @Setup
    public void setUp() {
        b = Backends.named(backend);
        if (b instanceof NativeBackend nb) {
            nb.setThreads(threads);
        }
        arena = Arena.ofShared();
        net = Network.create(Model.mnist(), b, Init.PYTORCH_DEFAULT, 1);
        step = new TrainingStep(net, Loss.nll(), Sgd.momentum(0.9));
        x = Data.random(arena, batch, 784, 1);
        y = Data.labels(arena, batch, 10, 2);
        h1 = Tensor.allocate(arena, batch, 128);
        h2 = Tensor.allocate(arena, batch, 64);
        z = Tensor.allocate(arena, batch, 10);
        dz = Data.random(arena, batch, 10, 3);
        dh2 = Tensor.allocate(arena, batch, 64);
        dh1 = Tensor.allocate(arena, batch, 128);
        double loss = step.run(x, y, 1e-4f);
        if (!Double.isFinite(loss) || loss < 1 || loss > 4) {
            throw new IllegalStateException("first step's loss " + loss + " is not that of an untrained 10-class net");
        }
    }

    @TearDown
    public void tearDown() {
        step.close();
        net.close();
        arena.close();
    }

    @Benchmark
    public double step() {
        return step.run(x, y, 1e-4f);
    }

    @Benchmark
    public Tensor forward() {
        return net.forward(x).output();
    }

    /** The three forward, three weight-gradient and two input-gradient products of a step. */
    @Benchmark
    public void gemmFloor(Blackhole bh) {
        bh.consume(b.gemm(false, false, 1f, x, net.weight(0), 0f, h1));
        bh.consume(b.gemm(false, false, 1f, h1, net.weight(2), 0f, h2));
        bh.consume(b.gemm(false, false, 1f, h2, net.weight(4), 0f, z));
        bh.consume(b.gemm(true, false, 1f, h2, dz, 1f, net.weightGradient(4)));
        bh.consume(b.gemm(false, true, 1f, dz, net.weight(4), 0f, dh2));
        bh.consume(b.gemm(true, false, 1f, h1, dh2, 1f, net.weightGradient(2)));
        bh.consume(b.gemm(false, true, 1f, dh2, net.weight(2), 0f, dh1));
        bh.consume(b.gemm(true, false, 1f, x, dh1, 1f, net.weightGradient(0)));
    }
}
