package dev.pnn.tensor;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CBLAS library behind {@link NativeBackend}, and what it can tell and be told beyond the
 * standard CBLAS calls: its version, the CPU kernel set it chose, its thread count.
 *
 * <p>The standard calls ({@code cblas_sgemm}, {@code cblas_saxpy}, {@code cblas_sscal}) are the
 * same in every CBLAS. The rest differ: OpenBLAS has {@code openblas_set_num_threads} and
 * friends, BLIS {@code bli_thread_set_num_threads}, and another CBLAS may have neither. Each of
 * those calls is looked up by name in the loaded library; what is absent degrades clearly:
 * {@link #version()} and {@link #kernelSet()} say so, {@link #threads()} returns 0 and
 * {@link #setThreads} refuses any count but the one the library runs.
 *
 * <p>Which library is loaded is chosen once per process by the system property
 * {@value NativeLibraries#BLAS_PROPERTY} ({@code openblas}, the default; {@code blis}; or a
 * path), see {@link NativeLibraries}.
 */
public final class BlasLibrary {

    /** The CBLAS families this library knows the extra calls of. */
    public enum Provider {
        /** OpenBLAS ({@code openblas_get_config} and friends). */
        OPENBLAS("openblas"),
        /** BLIS ({@code bli_info_get_version_str} and friends). */
        BLIS("blis"),
        /** Any other CBLAS: the standard calls only. */
        OTHER("cblas");

        private final String label;

        Provider(String label) {
            this.label = label;
        }

        /** {@code openblas}, {@code blis} or {@code cblas}: the name the command line uses. */
        public String label() {
            return label;
        }
    }

    private static final Linker LINKER = Linker.nativeLinker();

    private final Provider provider;
    private final Path path;
    private final String version;
    private final String kernelSet;
    private final MethodHandle getThreads;
    private final MethodHandle setThreads;
    private final boolean longThreadCount;

    private BlasLibrary(Provider provider, Path path, String version, String kernelSet, MethodHandle getThreads,
                        MethodHandle setThreads, boolean longThreadCount) {
        this.provider = provider;
        this.path = path;
        this.version = version;
        this.kernelSet = kernelSet;
        this.getThreads = getThreads;
        this.setThreads = setThreads;
        this.longThreadCount = longThreadCount;
    }

    /**
     * Recognises the library just loaded from {@code path} by the symbols it exports.
     *
     * @throws NativeLibraryException when it has no {@code cblas_sgemm}: it is not a CBLAS
     */
    static BlasLibrary identify(Path path) {
        SymbolLookup lookup = SymbolLookup.loaderLookup();
        for (String required : new String[] {"cblas_sgemm", "cblas_saxpy", "cblas_sscal"}) {
            if (lookup.find(required).isEmpty()) {
                throw new NativeLibraryException("Could not use " + path + " as the BLAS library: it has no "
                        + required + ", so it is not a CBLAS (expected a library such as libopenblas.so.0 or "
                        + "libblis.so.4 that exports the C interface cblas_*)");
            }
        }
        if (lookup.find("openblas_get_config").isPresent()) {
            FunctionDescriptor stringFn = FunctionDescriptor.of(ValueLayout.ADDRESS);
            return new BlasLibrary(Provider.OPENBLAS, path,
                    call(lookup, "openblas_get_config", stringFn),
                    call(lookup, "openblas_get_corename", stringFn),
                    handle(lookup, "openblas_get_num_threads", FunctionDescriptor.of(ValueLayout.JAVA_INT)),
                    handle(lookup, "openblas_set_num_threads", FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT)),
                    false);
        }
        if (lookup.find("bli_info_get_version_str").isPresent()) {
            // BLIS reads BLIS_ARCH_TYPE when it initialises; asking for its kernel set before that aborts
            MethodHandle init = handle(lookup, "bli_init", FunctionDescriptor.ofVoid());
            String arch = "";
            MethodHandle archId = handle(lookup, "bli_arch_query_id", FunctionDescriptor.of(ValueLayout.JAVA_INT));
            MethodHandle archName = handle(lookup, "bli_arch_string",
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            if (init != null && archId != null && archName != null) {
                try {
                    init.invokeExact();
                    arch = cString((MemorySegment) archName.invokeExact((int) archId.invokeExact()));
                } catch (Throwable t) {
                    throw new NativeLibraryException("BLIS in " + path + " failed to name its kernel set: " + t, t);
                }
            }
            // dim_t is 64 bits in Debian's BLIS (BLIS_INT_TYPE_SIZE 64), the default of BLIS's builds
            return new BlasLibrary(Provider.BLIS, path,
                    "BLIS " + call(lookup, "bli_info_get_version_str", FunctionDescriptor.of(ValueLayout.ADDRESS)),
                    arch,
                    handle(lookup, "bli_thread_get_num_threads", FunctionDescriptor.of(ValueLayout.JAVA_LONG)),
                    handle(lookup, "bli_thread_set_num_threads", FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG)),
                    true);
        }
        return new BlasLibrary(Provider.OTHER, path, "", "", null, null, false);
    }

    private static MethodHandle handle(SymbolLookup lookup, String name, FunctionDescriptor fn) {
        Optional<MemorySegment> address = lookup.find(name);
        return address.map(a -> LINKER.downcallHandle(a, fn)).orElse(null);
    }

    private static String call(SymbolLookup lookup, String name, FunctionDescriptor fn) {
        MethodHandle h = handle(lookup, name, fn);
        if (h == null) {
            return "";
        }
        try {
            return cString((MemorySegment) h.invokeExact());
        } catch (Throwable t) {
            throw new NativeLibraryException(name + " failed: " + t, t);
        }
    }

    @SuppressWarnings("restricted") // both libraries return pointers to static, NUL-terminated strings
    private static String cString(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(Integer.MAX_VALUE).getString(0).trim();
    }

    /** Which family of CBLAS this is. */
    public Provider provider() {
        return provider;
    }

    /** The file it was loaded from. */
    public Path path() {
        return path;
    }

    /**
     * Its version or build configuration, e.g. {@code OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY
     * Haswell MAX_THREADS=64} or {@code BLIS 0.9.0}; empty when the library does not say.
     */
    public String version() {
        return version;
    }

    /**
     * The CPU kernel set it picked for this machine, e.g. {@code Haswell}, {@code SkylakeX}
     * (OpenBLAS) or {@code zen3}, {@code skx} (BLIS); empty when the library does not say. A
     * product's last bits depend on it (and on the thread count), never on more.
     */
    public String kernelSet() {
        return kernelSet;
    }

    /** Whether {@link #setThreads} can change the thread count. */
    public boolean threadsSettable() {
        return setThreads != null;
    }

    /** The thread count it runs a product on (process-wide), or 0 when the library has no call to tell. */
    public int threads() {
        if (getThreads == null) {
            return 0;
        }
        int n;
        try {
            n = longThreadCount ? (int) (long) getThreads.invokeExact() : (int) getThreads.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("reading the BLAS thread count failed", t);
        }
        if (n < 1 && provider == Provider.BLIS) {
            // -1: never set; BLIS 0.9 then follows OMP_NUM_THREADS, else runs one thread
            try {
                n = Math.max(1, Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS", "1").trim()));
            } catch (NumberFormatException e) {
                n = 1;
            }
        }
        return n;
    }

    /**
     * Sets the thread count for the whole process.
     *
     * @throws IllegalArgumentException      when {@code threads < 1}
     * @throws UnsupportedOperationException when the library has no call for it (a CBLAS other
     *                                       than OpenBLAS and BLIS); use its own environment
     *                                       variable instead
     */
    public void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        if (setThreads == null) {
            throw new UnsupportedOperationException("the CBLAS in " + path + " has no call to set its thread count "
                    + "(only OpenBLAS's and BLIS's are known): set it with that library's own environment variable");
        }
        try {
            if (longThreadCount) {
                setThreads.invokeExact((long) threads);
            } else {
                setThreads.invokeExact(threads);
            }
        } catch (Throwable t) {
            throw new IllegalStateException("setting the BLAS thread count failed", t);
        }
    }

    /**
     * The most threads it runs ({@code MAX_THREADS} in OpenBLAS's configuration string; a larger
     * count is silently cut to it); {@code Integer.MAX_VALUE} when the library states no limit.
     */
    public int maxThreads() {
        Matcher m = Pattern.compile("MAX_THREADS=(\\d+)").matcher(version);
        return m.find() ? Integer.parseInt(m.group(1)) : Integer.MAX_VALUE;
    }

    /**
     * One line for a run's header, e.g. {@code openblas (OpenBLAS 0.3.21 ..., Haswell)}; says so
     * when BLIS fell back to its portable C kernels (it does that on processors newer than it
     * knows), and when OpenBLAS runs kernels without AVX-512 on a processor that has it (held
     * there by {@code OPENBLAS_CORETYPE}, or not recognised).
     */
    public String describe() {
        String detail = version.isEmpty() ? path.toString()
                : kernelSet.isEmpty() || version.contains(kernelSet) ? version : version + ", " + kernelSet;
        String warning = provider == Provider.BLIS && kernelSet.equals("generic")
                ? "; BLIS did not recognise this processor and runs its slow portable kernels: choose a kernel set "
                + "with BLIS_ARCH_TYPE (0 skx, 3 haswell, 6 zen3 in BLIS 0.9)"
                : provider == Provider.OPENBLAS ? openBlasHint(kernelSet, CpuFlags.get(), System.getenv(CORETYPE))
                : "";
        return provider.label() + " (" + detail + warning + ")";
    }

    /** The environment variable that overrides OpenBLAS's choice of kernels. */
    static final String CORETYPE = "OPENBLAS_CORETYPE";

    /** OpenBLAS's kernel sets that use AVX-512 (0.3.21 and on). */
    private static final Set<String> OPENBLAS_AVX512 = Set.of("skylakex", "cooperlake", "sapphirerapids");

    /** The instructions OpenBLAS's SkylakeX kernels need. */
    private static final Set<String> SKYLAKEX_FLAGS = Set.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl");

    /**
     * The header's hint when OpenBLAS runs the kernel set {@code kernelSet} on a processor with
     * {@code cpuFlags} and {@code coretype} in {@value #CORETYPE} (null when unset): empty unless
     * the processor has AVX-512 and the kernels do not use it.
     */
    static String openBlasHint(String kernelSet, Set<String> cpuFlags, String coretype) {
        if (kernelSet.isEmpty() || OPENBLAS_AVX512.contains(kernelSet.toLowerCase(Locale.ROOT))
                || !cpuFlags.containsAll(SKYLAKEX_FLAGS)) {
            return "";
        }
        String why = coretype == null || coretype.isBlank() ? "it does not recognise this processor"
                : CORETYPE + "=" + coretype + " is set in the environment";
        return "; this processor has AVX-512, which " + kernelSet + " kernels do not use (" + why + "): "
                + CORETYPE + "=SkylakeX selects OpenBLAS's AVX-512 kernels";
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "BlasLibrary[%s, %s, threads %d]", describe(), path, threads());
    }
}
