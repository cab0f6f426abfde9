package dev.pnn.train.cli;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Backends;
import dev.pnn.tensor.BlasLibrary;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.NativeLibraries;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options every command that computes shares: where it computes and how loudly it fails. */
final class BackendOptions {

    @Option(names = "--backend", defaultValue = "native", paramLabel = "NAME",
            description = "native | reference (pure Java, slow)  [default: ${DEFAULT-VALUE}]")
    String backend;

    @Option(names = "--blas", paramLabel = "LIB",
            description = "native backend's CBLAS: openblas | blis | PATH of any CBLAS library  "
                    + "[default: the system property pnn.blas, else openblas]")
    String blas;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
            description = "BLAS threads (native backend)  [default: ${DEFAULT-VALUE}]")
    int threads;

    @Option(names = "--verbose", description = "print the stack trace of a failure")
    boolean verbose;

    /** The backend, its BLAS chosen and its thread count set and checked against what the BLAS allows. */
    Backend open(CommandLine cli) {
        if (!backend.equals("native") && !backend.equals("reference")) {
            throw new CommandLine.ParameterException(cli, "--backend: expected native or reference, found '" + backend
                    + "'");
        }
        if (threads < 1) {
            throw new CommandLine.ParameterException(cli, "--threads: expected 1 or more, found " + threads);
        }
        if (blas != null) {
            if (blas.isBlank()) {
                throw new CommandLine.ParameterException(cli, "--blas: expected openblas, blis or a library's path, "
                        + "found nothing");
            }
            System.setProperty(NativeLibraries.BLAS_PROPERTY, blas);
        }
        Backend b = Backends.named(backend);
        if (b instanceof NativeBackend nb) {
            BlasLibrary lib = nb.blas();
            if (threads > lib.maxThreads()) {
                throw new CommandLine.ParameterException(cli, "--threads: expected 1 to " + lib.maxThreads()
                        + " (this OpenBLAS was built for at most " + lib.maxThreads() + " threads), found " + threads);
            }
            if (lib.threadsSettable()) {
                lib.setThreads(threads);
            } else if (threads != 1) {
                throw new CommandLine.ParameterException(cli, "--threads: " + lib.path() + " has no call to set its "
                        + "thread count (only OpenBLAS's and BLIS's are known): leave --threads at 1 and set the "
                        + "library's own environment variable, found " + threads);
            }
        }
        return b;
    }

    static String describe(Backend b) {
        if (!(b instanceof NativeBackend nb)) {
            return "reference (pure Java, double accumulation)";
        }
        int t = nb.threads();
        return "native: " + nb.blas().describe() + ", "
                + (t == 0 ? "its own thread count" : t + (t == 1 ? " thread" : " threads")) + "; products: "
                + nb.matmul();
    }
}
