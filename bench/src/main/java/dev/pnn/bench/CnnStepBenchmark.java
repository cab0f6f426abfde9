package dev.pnn.bench;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Tensor;
import dev.pnn.tensor.Window;
import dev.pnn.train.exec.Network;
import dev.pnn.train.fit.TrainingStep;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Adam;

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
 * A training step of the CNN preset at batch 64 (Adam, dropout included) and its parts: the two
 * im2col passes and the col2im, every GEMM of the step (convolutions and Linear layers, forward
 * and backward), and the max pooling forward and backward. The step minus the parts is the rest
 * (bias, ReLU, flatten, dropout, loss, update, calls). Checked before timing: im2col, col2im and
 * pooling against the reference backend, and a finite first loss near ln 10.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CnnStepBenchmark {

    @Param({"1", "2"})
    public int threads;

    private static final int BATCH = 64;

    private Arena arena;
    private NativeBackend b;
    private Network net;
    private TrainingStep step;
    private Tensor x;
    private IntVector y;
    private final Window conv1 = new Window(BATCH, 28, 28, 1, 3, 3, 1, 0);
    private final Window pool1 = new Window(BATCH, 26, 26, 32, 2, 2, 2, 0);
    private final Window conv2 = new Window(BATCH, 13, 13, 32, 3, 3, 1, 0);
    private final Window pool2 = new Window(BATCH, 11, 11, 64, 2, 2, 2, 0);
    private Tensor col1;
    private Tensor col2;
    private Tensor a1;
    private Tensor p1;
    private Tensor a2;
    private Tensor p2;
    private IntVector arg1;
    private IntVector arg2;
    private Tensor da1;
    private Tensor da2;
    private Tensor w1;
    private Tensor w2;
    private Tensor w3;
    private Tensor w4;
    private Tensor dw1;
    private Tensor dw2;
    private Tensor dw3;
    private Tensor dw4;
    private Tensor dcol2;
    private Tensor h;
    private Tensor z;
    private Tensor flat;
    private Tensor dflat;

    @Setup
    public void setUp() {
        b = NativeBackend.instance();
        b.setThreads(threads);
        arena = Arena.ofShared();
        net = Network.create(Model.cnn(), b, Init.PYTORCH_DEFAULT, 1);
        step = new TrainingStep(net, Loss.nll(), Adam.defaults()).seed(1);
        x = Data.random(arena, BATCH, 784, 1);
        y = Data.labels(arena, BATCH, 10, 2);
        col1 = Tensor.allocate(arena, conv1.columnRows(), conv1.columnCols());
        col2 = Tensor.allocate(arena, conv2.columnRows(), conv2.columnCols());
        dcol2 = Tensor.allocate(arena, conv2.columnRows(), conv2.columnCols());
        a1 = Data.random(arena, conv1.columnRows(), 32, 3);
        p1 = Tensor.allocate(arena, pool1.columnRows(), 32);
        a2 = Data.random(arena, conv2.columnRows(), 64, 4);
        p2 = Tensor.allocate(arena, pool2.columnRows(), 64);
        arg1 = IntVector.allocate(arena, Math.toIntExact(pool1.pooledSize()));
        arg2 = IntVector.allocate(arena, Math.toIntExact(pool2.pooledSize()));
        da1 = Tensor.allocate(arena, a1.shape());
        da2 = Tensor.allocate(arena, a2.shape());
        w1 = net.parameters().get("0.weight");
        w2 = net.parameters().get("3.weight");
        w3 = net.parameters().get("7.weight");
        w4 = net.parameters().get("10.weight");
        dw1 = Tensor.allocate(arena, w1.shape());
        dw2 = Tensor.allocate(arena, w2.shape());
        dw3 = Tensor.allocate(arena, w3.shape());
        dw4 = Tensor.allocate(arena, w4.shape());
        flat = Data.random(arena, BATCH, 1600, 5);
        dflat = Tensor.allocate(arena, BATCH, 1600);
        h = Data.random(arena, BATCH, 128, 6);
        z = Data.random(arena, BATCH, 10, 7);
        ReferenceBackend ref = ReferenceBackend.INSTANCE;
        Tensor img1 = x.reshape(BATCH * 784, 1);
        Data.check("im2col conv1", b.im2col(img1, conv1, col1), ref.im2col(img1, conv1,
                Tensor.allocate(arena, col1.shape())), 0);
        Tensor img2 = p1.reshape(BATCH * 169, 32).fill(0.25f);
        Data.check("im2col conv2", b.im2col(Data.random(arena, BATCH * 169, 32, 8), conv2, col2), ref.im2col(
                Data.random(arena, BATCH * 169, 32, 8), conv2, Tensor.allocate(arena, col2.shape())), 0);
        Data.check("maxPool", b.maxPool(a1, pool1, arg1, p1), ref.maxPool(a1, pool1,
                IntVector.allocate(arena, arg1.size()), Tensor.allocate(arena, p1.shape())), 0);
        Data.check("col2im", b.col2im(col2, conv2, img2), ref.col2im(col2, conv2, Tensor.allocate(arena, img2.shape())),
                1e-6);
        double loss = step.run(x, y, 1e-4f);
        if (!(loss > 1.5 && loss < 3.5)) {
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

    /** conv1's and conv2's im2col, and conv2's col2im (conv1 needs no input gradient). */
    @Benchmark
    public void im2col(Blackhole bh) {
        bh.consume(b.im2col(x.reshape(BATCH * 784, 1), conv1, col1));
        bh.consume(b.im2col(p1.reshape(BATCH * 169, 32), conv2, col2));
        bh.consume(b.col2im(dcol2, conv2, p1.reshape(BATCH * 169, 32)));
    }

    /** The eleven GEMMs of a step: three per convolution (conv1 two), three per Linear (the last two). */
    @Benchmark
    public void gemm(Blackhole bh) {
        bh.consume(b.gemm(false, false, 1f, col1, w1, 0f, a1));
        bh.consume(b.gemm(false, false, 1f, col2, w2, 0f, a2));
        bh.consume(b.gemm(false, false, 1f, flat, w3, 0f, h));
        bh.consume(b.gemm(false, false, 1f, h, w4, 0f, z));
        bh.consume(b.gemm(true, false, 1f, h, z, 1f, dw4));
        bh.consume(b.gemm(false, true, 1f, z, w4, 0f, h));
        bh.consume(b.gemm(true, false, 1f, flat, h, 1f, dw3));
        bh.consume(b.gemm(false, true, 1f, h, w3, 0f, dflat));
        bh.consume(b.gemm(true, false, 1f, col2, a2, 1f, dw2));
        bh.consume(b.gemm(false, true, 1f, a2, w2, 0f, dcol2));
        bh.consume(b.gemm(true, false, 1f, col1, a1, 1f, dw1));
    }

    /** Both max pools, forward and backward (into their own gradient buffers, as in training). */
    @Benchmark
    public void pooling(Blackhole bh) {
        bh.consume(b.maxPool(a1, pool1, arg1, p1));
        bh.consume(b.maxPool(a2, pool2, arg2, p2));
        bh.consume(b.maxPoolBackward(p2, arg2, da2));
        bh.consume(b.maxPoolBackward(p1, arg1, da1));
    }
}
