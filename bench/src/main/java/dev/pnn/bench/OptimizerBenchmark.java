package dev.pnn.bench;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Backends;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Tensor;

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
 * One optimizer update over a flat parameter buffer: MNIST's 109,386 parameters by default. Each
 * update's native result is checked against the reference backend's before anything is timed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class OptimizerBenchmark {

    @Param({"109386"})
    public int parameters;

    @Param({"native", "reference"})
    public String backend;

    private Arena arena;
    private Backend b;
    private Tensor p;
    private Tensor g;
    private Tensor m;
    private Tensor v;
    private long step;

    @Setup
    public void setUp() {
        arena = Arena.ofShared();
        p = Data.random(arena, 1, parameters, 1);
        g = Data.random(arena, 1, parameters, 2);
        m = Tensor.allocate(arena, 1, parameters);
        v = Tensor.allocate(arena, 1, parameters);
        b = Backends.named(backend);
        if (b instanceof NativeBackend) {
            // each update once from the same state on both backends, at a rate that moves the parameters visibly
            check("sgd", (be, x) -> be.sgd(x[0], g, 1e-2f, 5e-4f));
            check("momentum", (be, x) -> {
                be.sgdMomentum(x[0], x[1], g, 1e-2f, 0.9f, 5e-4f, false);
                be.sgdMomentum(x[0], x[1], g, 1e-2f, 0.9f, 5e-4f, false);
            });
            check("adam", (be, x) -> be.adam(x[0], x[1], x[2], g, 1, 1e-3f, 0.9f, 0.999f, 1e-8f, 0, false));
        }
    }

    private interface Update {
        void apply(Backend backend, Tensor[] paramsAndState);
    }

    /** The update on fresh copies of p (and zero state), native against reference. */
    private void check(String what, Update update) {
        Tensor[] nat = {Tensor.allocate(arena, 1, parameters).copyFrom(p), Tensor.allocate(arena, 1, parameters),
                Tensor.allocate(arena, 1, parameters)};
        Tensor[] ref = {Tensor.allocate(arena, 1, parameters).copyFrom(p), Tensor.allocate(arena, 1, parameters),
                Tensor.allocate(arena, 1, parameters)};
        update.apply(b, nat);
        update.apply(ReferenceBackend.INSTANCE, ref);
        Data.check(what, nat[0], ref[0], 1e-6);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public Tensor sgd() {
        b.sgd(p, g, 1e-7f, 0);
        return p;
    }

    @Benchmark
    public Tensor momentum() {
        b.sgdMomentum(p, m, g, 1e-7f, 0.9f, 5e-4f, false);
        return p;
    }

    @Benchmark
    public Tensor adam() {
        b.adam(p, m, v, g, ++step, 1e-7f, 0.9f, 0.999f, 1e-8f, 0, false);
        return p;
    }
}
