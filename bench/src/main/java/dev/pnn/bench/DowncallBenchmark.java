package dev.pnn.bench;

import dev.pnn.tensor.NativeBackend;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
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
 * What a downcall costs, with and without {@code Linker.Option.critical}: an empty kernel
 * ({@code pnn_kernels_abi_version}, which returns a constant) and a small one
 * ({@code pnn_relu_forward} over {@code n} floats), on off-heap memory and, where a critical
 * downcall allows it ({@code critical(true)}), on a Java {@code float[]} passed directly.
 *
 * <p>A normal downcall switches the thread to native state and back (so a safepoint need not
 * wait for it); a critical one does not, and may take heap arrays, but must be short. A
 * training step of the MLP makes ten small kernel calls (bias and ReLU forward and backward, the
 * loss, the update) besides its eight products: ten times the difference per call is what
 * critical downcalls could save a step.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class DowncallBenchmark {

    /** Floats the small kernel processes (640: a batch of 64 logits; 8192: 64 x 128 activations). */
    @Param({"640", "8192"})
    public int n;

    private Arena arena;
    private MethodHandle empty;
    private MethodHandle emptyCritical;
    private MethodHandle relu;
    private MethodHandle reluCritical;
    private MethodHandle reluCriticalHeap;
    private MemorySegment in;
    private MemorySegment out;
    private float[] heapIn;
    private float[] heapOut;

    @Setup
    public void setUp() {
        NativeBackend.instance(); // loads the kernels into this class loader
        SymbolLookup lookup = SymbolLookup.loaderLookup();
        Linker linker = Linker.nativeLinker();
        MemorySegment abi = lookup.findOrThrow("pnn_kernels_abi_version");
        MemorySegment reluAddress = lookup.findOrThrow("pnn_relu_forward");
        FunctionDescriptor intFn = FunctionDescriptor.of(ValueLayout.JAVA_INT);
        FunctionDescriptor reluFn = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG);
        empty = linker.downcallHandle(abi, intFn);
        emptyCritical = linker.downcallHandle(abi, intFn, Linker.Option.critical(false));
        relu = linker.downcallHandle(reluAddress, reluFn);
        reluCritical = linker.downcallHandle(reluAddress, reluFn, Linker.Option.critical(false));
        reluCriticalHeap = linker.downcallHandle(reluAddress, reluFn, Linker.Option.critical(true));
        arena = Arena.ofShared();
        in = arena.allocate((long) n * Float.BYTES, 64);
        out = arena.allocate((long) n * Float.BYTES, 64);
        heapIn = new float[n];
        heapOut = new float[n];
        for (int i = 0; i < n; i++) {
            float v = (i % 7) - 3;
            in.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
            heapIn[i] = v;
        }
        try {
            reluCriticalHeap.invokeExact(MemorySegment.ofArray(heapOut), MemorySegment.ofArray(heapIn), (long) n);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        for (int i = 0; i < n; i++) {
            if (heapOut[i] != Math.max(heapIn[i], 0f)) {
                throw new AssertionError("relu on heap arrays: element " + i + " is " + heapOut[i]);
            }
        }
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public int emptyNormal() throws Throwable {
        return (int) empty.invokeExact();
    }

    @Benchmark
    public int emptyCritical() throws Throwable {
        return (int) emptyCritical.invokeExact();
    }

    @Benchmark
    public void reluOffHeapNormal() throws Throwable {
        relu.invokeExact(out, in, (long) n);
    }

    @Benchmark
    public void reluOffHeapCritical() throws Throwable {
        reluCritical.invokeExact(out, in, (long) n);
    }

    @Benchmark
    public void reluHeapCritical() throws Throwable {
        reluCriticalHeap.invokeExact(MemorySegment.ofArray(heapOut), MemorySegment.ofArray(heapIn), (long) n);
    }
}
