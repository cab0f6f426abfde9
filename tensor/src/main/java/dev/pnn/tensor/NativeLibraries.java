package dev.pnn.tensor;

import dev.pnn.bindings.kernels.pnn_kernels_h;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Loads a CBLAS library and our kernels library into this class loader, where the jextract
 * bindings find their symbols ({@code SymbolLookup.loaderLookup()}).
 *
 * <ul>
 *   <li>CBLAS, chosen by the system property {@value #BLAS_PROPERTY}: {@code openblas} (the
 *       default) loads the first {@code libopenblas.so.0} or {@code libopenblas.so}, {@code blis}
 *       the first {@code libblis.so.4} or {@code libblis.so}, found in {@code LD_LIBRARY_PATH},
 *       {@code java.library.path} and the usual system library folders; any other value is the
 *       path of the library to load. One per process: the property is read on first use.</li>
 *   <li>Kernels: the file named by {@value #KERNELS_PROPERTY}, else {@code libpnnkernels.so}
 *       from the bindings jar's {@code native/<os>-<arch>/} folder, copied once to a private
 *       temporary file that is deleted as soon as it is loaded.</li>
 * </ul>
 */
public final class NativeLibraries {

    /**
     * System property: the CBLAS library, {@code openblas} (the default), {@code blis}, or the
     * path of any shared library that exports the CBLAS interface.
     */
    public static final String BLAS_PROPERTY = "pnn.blas";
    /** System property: path of a libpnnkernels.so to load instead of the one in the jar. */
    public static final String KERNELS_PROPERTY = "pnn.kernels.path";

    private static final String KERNELS_FILE = "libpnnkernels.so";
    private static final List<String> OPENBLAS_FILES = List.of("libopenblas.so.0", "libopenblas.so");
    private static final List<String> BLIS_FILES = List.of("libblis.so.4", "libblis.so");

    private static volatile Loaded loaded;

    /** The CBLAS library loaded, and where the kernels came from. */
    public record Loaded(BlasLibrary blas, String kernels) {}

    private NativeLibraries() {}

    /** Loads both libraries once; later calls return the same answer. */
    public static Loaded load() {
        Loaded l = loaded;
        if (l == null) {
            synchronized (NativeLibraries.class) {
                l = loaded;
                if (l == null) {
                    BlasLibrary blas = loadBlas();
                    String kernels = loadKernels();
                    checkAbi(kernels);
                    loaded = l = new Loaded(blas, kernels);
                }
            }
        }
        return l;
    }

    /** {@code linux-x86_64}, {@code linux-aarch64}, ...: the jar folder for this machine. */
    public static String platform() {
        String os = System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            os = "linux";
        } else if (os.startsWith("mac")) {
            os = "darwin";
        } else if (os.startsWith("windows")) {
            os = "windows";
        }
        String arch = System.getProperty("os.arch", "unknown").toLowerCase(Locale.ROOT);
        arch = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "arm64", "aarch64" -> "aarch64";
            default -> arch;
        };
        return os + "-" + arch;
    }

    private static BlasLibrary loadBlas() {
        String choice = System.getProperty(BLAS_PROPERTY, "openblas").trim();
        List<String> files = switch (choice.toLowerCase(Locale.ROOT)) {
            case "openblas" -> OPENBLAS_FILES;
            case "blis" -> BLIS_FILES;
            default -> null;
        };
        if (files == null) {
            Path p = Path.of(choice);
            if (!Files.isRegularFile(p)) {
                throw new NativeLibraryException("Could not load the BLAS library: " + BLAS_PROPERTY
                        + " (--blas on the command line) is '" + choice + "', which is neither 'openblas' nor 'blis' "
                        + "nor the path of a file. " + installHint());
            }
            loadFile(p, "the BLAS library");
            return BlasLibrary.identify(p);
        }
        List<Path> tried = new ArrayList<>();
        for (Path dir : librarySearchPath()) {
            for (String name : files) {
                Path p = dir.resolve(name);
                tried.add(p);
                if (Files.isRegularFile(p)) {
                    loadFile(p, choice);
                    return BlasLibrary.identify(p);
                }
            }
        }
        throw new NativeLibraryException("Could not load " + choice + ": none of " + files + " is in "
                + librarySearchPath() + " (looked for " + tried.size() + " files). " + installHint());
    }

    private static String installHint() {
        return "Install OpenBLAS with 'sudo apt-get install libopenblas0' or BLIS with 'sudo apt-get install "
                + "libblis4' (Debian/Ubuntu; 'make deps' installs both), or name any CBLAS library with -D"
                + BLAS_PROPERTY + "=/path/to/libcblas.so. "
                + "Without native code, the pure-Java reference backend still works: Backends.named(\"reference\") "
                + "in Java, --backend reference on the command line.";
    }

    /** LD_LIBRARY_PATH, java.library.path, then the usual system folders, without duplicates. */
    static List<Path> librarySearchPath() {
        Set<String> dirs = new LinkedHashSet<>();
        for (String list : new String[] {System.getenv("LD_LIBRARY_PATH"), System.getProperty("java.library.path")}) {
            if (list != null) {
                for (String d : list.split(java.io.File.pathSeparator)) {
                    if (!d.isBlank()) {
                        dirs.add(d);
                    }
                }
            }
        }
        String multiarch = switch (platform()) {
            case "linux-x86_64" -> "x86_64-linux-gnu";
            case "linux-aarch64" -> "aarch64-linux-gnu";
            default -> null;
        };
        if (multiarch != null) {
            dirs.add("/usr/lib/" + multiarch);
            dirs.add("/lib/" + multiarch);
        }
        dirs.addAll(List.of("/usr/lib64", "/usr/lib", "/usr/local/lib", "/opt/OpenBLAS/lib"));
        return dirs.stream().map(Path::of).toList();
    }

    private static String loadKernels() {
        String override = System.getProperty(KERNELS_PROPERTY);
        if (override != null) {
            Path p = Path.of(override);
            if (!Files.isRegularFile(p)) {
                throw new NativeLibraryException("Could not load the panama-nn kernels: -D" + KERNELS_PROPERTY + "="
                        + override + " names no file. Build it with 'make native'.");
            }
            loadFile(p, "the panama-nn kernels");
            return p.toString();
        }
        String resource = "/native/" + platform() + "/" + KERNELS_FILE;
        try (InputStream in = pnn_kernels_h.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new NativeLibraryException("Could not load the panama-nn kernels: the pnn-bindings jar has no "
                        + resource + " (this platform is " + platform() + "; the jar is built for the machine "
                        + "that ran 'make build'). Build it here with 'make build', or name a library with -D"
                        + KERNELS_PROPERTY + "=/path/to/" + KERNELS_FILE + ".");
            }
            // createTempFile makes the file readable by its owner only (rw-------)
            Path tmp = Files.createTempFile("pnn-kernels-", ".so");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                loadFile(tmp, "the panama-nn kernels (copied from the jar's " + resource + ")");
            } finally {
                // once mapped, the file is no longer needed: nothing is left behind, even after a crash
                Files.deleteIfExists(tmp);
            }
            return "jar:" + resource;
        } catch (IOException e) {
            throw new NativeLibraryException("Could not copy the panama-nn kernels " + resource
                    + " to a temporary file: " + e.getMessage(), e);
        }
    }

    private static void loadFile(Path p, String what) {
        try {
            System.load(p.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError e) {
            throw new NativeLibraryException("Could not load " + what + " from " + p + ": " + e.getMessage(), e);
        }
    }

    private static void checkAbi(String kernels) {
        int found = pnn_kernels_h.pnn_kernels_abi_version();
        int expected = pnn_kernels_h.PNN_KERNELS_ABI_VERSION();
        if (found != expected) {
            throw new NativeLibraryException("The panama-nn kernels from " + kernels + " have ABI version " + found
                    + " but these bindings were generated for version " + expected
                    + ": rebuild both with 'make native bindings build'.");
        }
    }
}
