package dev.pnn.bench;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.NativeLibraries;
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
 * {@code c = op(a) op(b)} at the shapes of one MNIST training step (batch 64), and a large square
 * product for the attainable peak. Shape {@code MxNxK:TT}: op(a) is M x K, op(b) is K x N, T/N
 * says whether a and b are transposed. GFLOP/s = 2 M N K / time. Every shape's native product is
 * checked against the reference backend's before it is timed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class GemmBenchmark {

    /**
     * Forward layers 1-3 ({@code x W}), backward dW1 ({@code x^T dy}), dX of layer 2
     * ({@code dy W^T}), and a square product for the attainable peak. Add the transposed layouts
     * ({@code -p shape=64x128x784:NT,...}) to compare weight layouts.
     */
    @Param({"64x128x784:NN", "64x64x128:NN", "64x10x64:NN", "784x128x64:TN", "64x128x64:NT", "1024x1024x1024:NN"})
    public String shape;

    @Param({"native", "reference"})
    public String backend;

    /**
     * Who runs the native products ({@link NativeBackend.Products}): {@code auto}, the own kernel
     * where it applies (on one BLAS thread), or {@code blas}, the BLAS alone. Native only.
     */
    @Param({"auto", "blas"})
    public String products;

    /** BLAS threads (native only). */
    @Param({"1"})
    public int threads;

    /** The CBLAS (native only; one per forked JVM): openblas, blis or a path. */
    @Param({"openblas"})
    public String blas;

    private Arena arena;
    private Backend b;
    private boolean transA;
    private boolean transB;
    private Tensor x;
    private Tensor y;
    private Tensor out;

    @Setup
    public void setUp() {
        String[] dims = shape.split(":")[0].split("x");
        int m = Integer.parseInt(dims[0]);
        int n = Integer.parseInt(dims[1]);
        int k = Integer.parseInt(dims[2]);
        transA = shape.endsWith(":TN") || shape.endsWith(":TT");
        transB = shape.endsWith(":NT") || shape.endsWith(":TT");
        arena = Arena.ofShared();
        x = transA ? Data.random(arena, k, m, 1) : Data.random(arena, m, k, 1);
        y = transB ? Data.random(arena, n, k, 2) : Data.random(arena, k, n, 2);
        out = Tensor.allocate(arena, m, n);
        System.setProperty(NativeLibraries.BLAS_PROPERTY, blas);
        b = Data.backend(backend, products);
        if (b instanceof NativeBackend nb) {
            nb.setThreads(threads);
            // the reference takes about a second at 1024^3: acceptable once, before timing
            Tensor expected = ReferenceBackend.INSTANCE.gemm(transA, transB, 1, x, y, 0, Tensor.allocate(arena, m, n));
            Data.check("gemm " + shape, nb.gemm(transA, transB, 1, x, y, 0, out), expected, 1e-5);
        }
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public Tensor gemm() {
        return b.gemm(transA, transB, 1f, x, y, 0f, out);
    }
}
