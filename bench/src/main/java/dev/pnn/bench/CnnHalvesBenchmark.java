package dev.pnn.bench;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.exec.Network;
import dev.pnn.train.fit.TrainingStep;
import dev.pnn.train.model.Dropout;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Adam;

import java.lang.foreign.Arena;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * A study, not a feature: would the CNN step use two cores better as two halves of the batch,
 * each on its own thread with one-thread products and kernels, than as one batch with OpenBLAS's
 * two threads? {@code mode}: {@code batch-1} and {@code batch-2} run the whole batch of 64 with
 * 1 and 2 OpenBLAS threads; {@code halves} runs rows 0-31 on the calling thread and 32-63 on a
 * second one, each in its own workspace over the shared parameters, with one OpenBLAS thread,
 * then adds the two gradients, halves them (each is a mean over 32 rows) and takes the Adam
 * step. The model is {@link Model#cnn()} without its dropout, so that the halves' gradient is
 * the batch's; the setup of {@code halves} checks that it is, to float rounding, before anything
 * is timed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CnnHalvesBenchmark {

    @Param({"batch-1", "batch-2", "halves"})
    public String mode;

    private static final int BATCH = 64;
    private static final float LR = 1e-4f;

    private Arena arena;
    private NativeBackend b;
    private Network net;
    private final Adam adam = Adam.defaults();
    private TrainingStep whole;
    private TrainingStep left;
    private TrainingStep right;
    private ExecutorService worker;
    private Tensor x;
    private IntVector y;

    @Setup
    public void setUp() throws Exception {
        b = NativeBackend.instance();
        b.setThreads(mode.equals("batch-2") ? 2 : 1);
        arena = Arena.ofShared();
        Model cnn = Model.cnn();
        Model model = new Model(cnn.input(), cnn.layers().stream().filter(l -> !(l instanceof Dropout)).toList());
        net = Network.create(model, b, Init.PYTORCH_DEFAULT, 1);
        whole = new TrainingStep(net, Loss.nll(), adam);
        left = new TrainingStep(net, Loss.nll(), adam);
        right = new TrainingStep(net, Loss.nll(), adam);
        worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "second half");
            t.setDaemon(true);
            return t;
        });
        x = Data.random(arena, BATCH, 784, 1);
        y = Data.labels(arena, BATCH, 10, 2);
        if (mode.equals("halves")) {
            double wholeLoss = whole.gradients(x, y);
            double halvesLoss = halves();
            if (Math.abs(wholeLoss - halvesLoss) > 1e-5 * Math.abs(wholeLoss)) {
                throw new IllegalStateException("the halves' loss " + halvesLoss + " is not the batch's " + wholeLoss);
            }
            Data.check("the halves' gradient against the whole batch's", left.workspace().gradients(),
                    whole.workspace().gradients(), 1e-4);
        }
    }

    /** Both halves' gradients, their mean left in {@code left}'s workspace; returns the mean loss. */
    private double halves() throws InterruptedException, ExecutionException {
        int half = BATCH / 2;
        Future<Double> second = worker.submit(() -> right.gradients(x.rows(half, half), y.slice(half, half)));
        double first = left.gradients(x.rows(0, half), y.slice(0, half));
        double loss = (first + second.get()) / 2;
        Tensor g = left.workspace().gradients();
        b.axpy(1f, right.workspace().gradients(), g);
        b.scale(0.5f, g);
        return loss;
    }

    @Benchmark
    public double step() throws InterruptedException, ExecutionException {
        if (mode.equals("halves")) {
            double loss = halves();
            adam.step(b, net.parameters().flat(), left.workspace().gradients(), left.optimizerState(), LR);
            return loss;
        }
        return whole.run(x, y, LR);
    }

    @TearDown
    public void tearDown() {
        worker.shutdownNow();
        whole.close();
        left.close();
        right.close();
        net.close();
        arena.close();
    }
}
