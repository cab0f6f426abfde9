package dev.pnn.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.BitSet;
import java.util.Optional;

/**
 * The set of CPUs a thread may run on, read and set through Linux's {@code sched_getaffinity}
 * and {@code sched_setaffinity} in the C library (looked up at first use: on other systems, or
 * a C library without them, {@link #supported()} is false and the rest throws).
 */
final class ThreadAffinity {

    /** Bytes of the CPU mask passed to the kernel: glibc's {@code cpu_set_t}, 1024 CPUs. */
    private static final int MASK_BYTES = 128;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle GET = find("sched_getaffinity");
    private static final MethodHandle SET = find("sched_setaffinity");
    private static final MethodHandle GETTID = LINKER.defaultLookup().find("gettid")
            .map(a -> LINKER.downcallHandle(a, FunctionDescriptor.of(ValueLayout.JAVA_INT)))
            .orElse(null);

    private ThreadAffinity() {}

    /** {@code int name(pid_t pid, size_t size, cpu_set_t* mask)}, errno captured; null where absent. */
    private static MethodHandle find(String name) {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            return null;
        }
        SymbolLookup libc = LINKER.defaultLookup();
        Optional<MemorySegment> address = libc.find(name);
        return address.map(a -> LINKER.downcallHandle(a,
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS),
                Linker.Option.captureCallState("errno"))).orElse(null);
    }

    /** Whether threads' CPU sets can be read and set here (Linux, with its C library's calls found). */
    static boolean supported() {
        return GET != null && SET != null && GETTID != null;
    }

    /** The kernel's id of the calling thread (its {@code gettid}). */
    static int currentTid() {
        requireSupported();
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("gettid failed", t);
        }
    }

    /** The CPUs thread {@code tid} may run on; 0 for the calling thread. */
    static BitSet get(int tid) {
        requireSupported();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES);
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) GET.invokeExact(state, tid, (long) MASK_BYTES, mask);
            if (rc != 0) {
                throw new IllegalStateException("sched_getaffinity(" + tid + ") failed: errno "
                        + (int) ERRNO.get(state, 0L));
            }
            return BitSet.valueOf(mask.toArray(ValueLayout.JAVA_BYTE));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sched_getaffinity failed", t);
        }
    }

    /**
     * Lets thread {@code tid} (0: the calling thread) run on {@code cpus} only.
     *
     * @throws IllegalArgumentException when the kernel refuses the set (EINVAL: none of its CPUs
     *                                  is online and allowed to this process), naming the CPUs
     */
    static void set(int tid, BitSet cpus) {
        requireSupported();
        if (cpus.isEmpty() || cpus.length() > MASK_BYTES * 8) {
            throw new IllegalArgumentException("a thread's CPUs must be some of 0 to " + (MASK_BYTES * 8 - 1)
                    + ", got " + cpus);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(MASK_BYTES);
            mask.copyFrom(MemorySegment.ofArray(cpus.toByteArray()));
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) SET.invokeExact(state, tid, (long) MASK_BYTES, mask);
            if (rc != 0) {
                int errno = (int) ERRNO.get(state, 0L);
                // EINVAL = 22: no CPU of the set is online and allowed; ESRCH = 3: no such thread
                throw errno == 22
                        ? new IllegalArgumentException("cannot run a thread on CPUs " + cpus + ": none of them is "
                                + "online and allowed to this process (it may use " + get(0) + ")")
                        : new IllegalStateException("sched_setaffinity(" + tid + ", " + cpus + ") failed: errno "
                                + errno);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("sched_setaffinity failed", t);
        }
    }

    /** @throws UnsupportedOperationException when threads' CPU sets cannot be read and set here */
    static void requireSupported() {
        if (!supported()) {
            throw new UnsupportedOperationException("pinning threads to CPUs needs Linux's sched_setaffinity, "
                    + "sched_getaffinity and gettid, not found on " + System.getProperty("os.name"));
        }
    }
}
