package dev.pnn.bench;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.NativeLibraries;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Parameters;
import dev.pnn.train.exec.Workspace;
import dev.pnn.train.fit.TrainingStep;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.Sgd;

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
 * backward, the update: momentum 0.9, or plain SGD with {@code -p optimizer=sgd}), its forward
 * pass alone, and the eight matrix products a step needs with nothing else around them: the
 * floor the BLAS sets. step / gemmFloor is what everything else costs (kernels, FFM calls,
 * Java). Run with {@code -prof gc} for the heap allocated per step.
 *
 * <p>Checked before timing (native only): the step's loss and gradients, the forward output and
 * each of the eight products against the reference backend on the same parameters and batch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TrainStepBenchmark {

    private static final int BATCH_POOL = 32;

    @Param({"64"})
    public int batch;

    @Param({"native", "reference"})
    public String backend;

    /**
     * Who runs the native products ({@link NativeBackend.Products}): {@code auto}, the own kernel
     * where it applies (on one BLAS thread), or {@code blas}, the BLAS alone. Native only.
     */
    @Param({"auto"})
    public String products;

    /** BLAS threads (native only). */
    @Param({"1"})
    public int threads;

    /** The batch split over this many threads ({@link TrainingStep}'s shards). */
    @Param({"1"})
    public int shards;

    /**
     * The step's optimizer: {@code momentum} (0.9) or {@code sgd} (plain, which the step applies
     * to the weights inside their gradient products).
     */
    @Param({"momentum"})
    public String optimizer;

    /** The CBLAS (native only; one per forked JVM): openblas, blis or a path. */
    @Param({"openblas"})
    public String blas;

    private Arena arena;
    private Backend b;
    private Network net;
    private TrainingStep step;
    private Workspace inference;
    private Tensor w1;
    private Tensor w2;
    private Tensor w3;
    private Tensor dw1;
    private Tensor dw2;
    private Tensor dw3;
    private Tensor x;
    /** Distinct batches that {@link #stepNewBatch} cycles through, and the next one. */
    private Tensor[] pool;
    private int next;
    private IntVector y;
    private Tensor h1;
    private Tensor h2;
    private Tensor z;
    private Tensor dz;
    private Tensor dh2;
    private Tensor dh1;

    @Setup
    public void setUp() {
        System.setProperty(NativeLibraries.BLAS_PROPERTY, blas);
        b = Data.backend(backend, products);
        if (b instanceof NativeBackend nb) {
            nb.setThreads(threads);
        }
        arena = Arena.ofShared();
        net = Network.create(Model.mnist(), b, Init.PYTORCH_DEFAULT, 1);
        Optimizer rule = switch (optimizer) {
            case "momentum" -> Sgd.momentum(0.9);
            case "sgd" -> Sgd.plain();
            default -> throw new IllegalArgumentException("optimizer: expected momentum or sgd, found '" + optimizer
                    + "'");
        };
        step = new TrainingStep(net, Loss.nll(), rule, shards);
        inference = net.newWorkspace();
        Parameters p = net.parameters();
        w1 = p.get("0.weight");
        w2 = p.get("2.weight");
        w3 = p.get("4.weight");
        dw1 = step.workspace().gradient("0.weight");
        dw2 = step.workspace().gradient("2.weight");
        dw3 = step.workspace().gradient("4.weight");
        x = Data.random(arena, batch, 784, 1);
        pool = new Tensor[BATCH_POOL];
        for (int i = 0; i < BATCH_POOL; i++) {
            pool[i] = Data.random(arena, batch, 784, 100 + i);
        }
        y = Data.labels(arena, batch, 10, 2);
        h1 = Data.random(arena, batch, 128, 4);
        h2 = Data.random(arena, batch, 64, 5);
        z = Tensor.allocate(arena, batch, 10);
        dz = Data.random(arena, batch, 10, 3);
        dh2 = Data.random(arena, batch, 64, 6);
        dh1 = Data.random(arena, batch, 128, 7);
        if (b instanceof NativeBackend) {
            check();
        }
        double loss = step.run(x, y, 1e-4f);
        if (!Double.isFinite(loss) || loss < 1 || loss > 4) {
            throw new IllegalStateException("first step's loss " + loss + " is not that of an untrained 10-class net");
        }
    }

    /** What each benchmark times, native against the reference backend on the same parameters and batch. */
    private void check() {
        Backend ref = ReferenceBackend.INSTANCE;
        try (Network reference = Network.over(net.parameters(), ref);
             TrainingStep refStep = new TrainingStep(reference, Loss.nll(), Sgd.momentum(0.9));
             Workspace refInference = reference.newWorkspace()) {
            double lossNative = step.gradients(x, y);
            double lossRef = refStep.gradients(x, y);
            if (!(Math.abs(lossNative - lossRef) <= 1e-5 * Math.abs(lossRef))) {
                throw new AssertionError("step: native loss " + lossNative + ", reference " + lossRef);
            }
            Data.check("step gradients", step.workspace().gradients(), refStep.workspace().gradients(), 2e-4);
            Data.check("forward", inference.forward(x).output(), refInference.forward(x).output(), 1e-5);
        }
        Tensor[][] products = {{x, w1, h1}, {h1, w2, h2}, {h2, w3, z}, {h2, dz, dw3}, {dz, w3, dh2}, {h1, dh2, dw2},
                {dh2, w2, dh1}, {x, dh1, dw1}};
        boolean[][] transposes = {{false, false}, {false, false}, {false, false}, {true, false}, {false, true},
                {true, false}, {false, true}, {true, false}};
        for (int i = 0; i < products.length; i++) {
            Tensor[] t = products[i];
            boolean ta = transposes[i][0];
            boolean tb = transposes[i][1];
            Tensor expected = ref.gemm(ta, tb, 1f, t[0], t[1], 0f, Tensor.allocate(arena, t[2].shape()));
            Data.check("gemmFloor product " + i, b.gemm(ta, tb, 1f, t[0], t[1], 0f, Tensor.allocate(arena, t[2].shape())),
                    expected, 1e-5);
        }
    }

    @TearDown
    public void tearDown() {
        inference.close();
        step.close();
        net.close();
        arena.close();
    }

    @Benchmark
    public double step() {
        return step.run(x, y, 1e-4f);
    }

    /**
     * A step on a batch other than the last one's (BATCH_POOL of them, 6.4 MB at batch 64, in
     * turn): the step as an epoch meets it, its input not in cache, without the gather.
     */
    @Benchmark
    public double stepNewBatch() {
        Tensor in = pool[next];
        next = next + 1 == BATCH_POOL ? 0 : next + 1;
        return step.run(in, y, 1e-4f);
    }

    @Benchmark
    public Tensor forward() {
        return inference.forward(x).output();
    }

    /** The three forward, three weight-gradient and two input-gradient products of a step. */
    @Benchmark
    public void gemmFloor(Blackhole bh) {
        bh.consume(b.gemm(false, false, 1f, x, w1, 0f, h1));
        bh.consume(b.gemm(false, false, 1f, h1, w2, 0f, h2));
        bh.consume(b.gemm(false, false, 1f, h2, w3, 0f, z));
        bh.consume(b.gemm(true, false, 1f, h2, dz, 1f, dw3));
        bh.consume(b.gemm(false, true, 1f, dz, w3, 0f, dh2));
        bh.consume(b.gemm(true, false, 1f, h1, dh2, 1f, dw2));
        bh.consume(b.gemm(false, true, 1f, dh2, w2, 0f, dh1));
        bh.consume(b.gemm(true, false, 1f, x, dh1, 1f, dw1));
    }
}
