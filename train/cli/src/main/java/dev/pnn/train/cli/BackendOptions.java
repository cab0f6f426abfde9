package dev.pnn.train.cli;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Backends;
import dev.pnn.tensor.NativeBackend;

import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options every command that computes shares: where it computes and how loudly it fails. */
final class BackendOptions {

    @Option(names = "--backend", defaultValue = "native", paramLabel = "NAME",
            description = "native | reference (pure Java, slow)  [default: ${DEFAULT-VALUE}]")
    String backend;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N",
            description = "OpenBLAS threads (native backend); one is fastest at batch 64  [default: ${DEFAULT-VALUE}]")
    int threads;

    @Option(names = "--verbose", description = "print the stack trace of a failure")
    boolean verbose;

    /** The backend, its thread count set and checked against what the OpenBLAS build allows. */
    Backend open(CommandLine cli) {
        if (!backend.equals("native") && !backend.equals("reference")) {
            throw new CommandLine.ParameterException(cli, "--backend: expected native or reference, found '" + backend
                    + "'");
        }
        if (threads < 1) {
            throw new CommandLine.ParameterException(cli, "--threads: expected 1 or more, found " + threads);
        }
        Backend b = Backends.named(backend);
        if (b instanceof NativeBackend nb) {
            if (threads > nb.maxThreads()) {
                throw new CommandLine.ParameterException(cli, "--threads: expected 1 to " + nb.maxThreads()
                        + " (this OpenBLAS was built for at most " + nb.maxThreads() + " threads), found " + threads);
            }
            nb.setThreads(threads);
        }
        return b;
    }

    static String describe(Backend b) {
        return b instanceof NativeBackend nb
                ? "native: " + nb.openBlasConfig() + " (" + nb.openBlasCoreName() + "), " + nb.threads()
                + (nb.threads() == 1 ? " thread" : " threads")
                : "reference (pure Java, double accumulation)";
    }
}
