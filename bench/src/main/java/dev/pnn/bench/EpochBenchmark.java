package dev.pnn.bench;

import dev.pnn.tensor.BlasLibrary;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.NativeLibraries;
import dev.pnn.tensor.Pinning;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.exec.Network;
import dev.pnn.train.fit.EpochStats;
import dev.pnn.train.fit.Trainer;
import dev.pnn.train.fit.TrainingConfig;
import dev.pnn.train.fit.TrainingListener;
import dev.pnn.train.fit.TrainingRun;
import dev.pnn.train.model.Activation;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Linear;
import dev.pnn.train.io.AtomicFiles;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Sgd;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The epoch benchmark: one training epoch of an MNIST MLP measured against what the machine's
 * BLAS can do, in one process, interleaved round by round so that a slow patch of a shared
 * machine hits every measurement alike:
 *
 * <ol>
 *   <li>the FLOP limit: the fastest product rate measured on as many cores as the configuration
 *       uses, turned into seconds for the epoch's arithmetic: {@code sgemm} GFLOP/s at 2048^3 with
 *       the same BLAS and as many BLAS threads, or the own product kernel ({@code pnn_matmul}) on
 *       the step's largest product (64x128x784 at batch 64, in cache) on that many threads at once,
 *       whichever is faster (the own kernel runs at the core's peak there, above the BLAS's large
 *       product on this kind of machine);</li>
 *   <li>the sgemm bound: the epoch's products alone (three forward, three weight gradients, two
 *       input gradients per step, at the configured shapes), on the same threads: with shards,
 *       each thread the products of its rows of every batch, all at once on one BLAS thread each;
 *       else one batch's on the BLAS's threads;</li>
 *   <li>a full training epoch ({@link Trainer#fit}, as {@code pnn train} runs it: shuffling,
 *       batch gathering, forward, backward, update; evaluation excluded);</li>
 *   <li>with {@code --peer}, one epoch of the same workload in PyTorch or numpy
 *       ({@code bench/epoch_peer.py}), on as many threads (or {@code --peer-threads}).</li>
 * </ol>
 *
 * <p>On more than one thread each round also times a value's round trip between two threads
 * ({@link CoreRoundTrip}): how far apart the machine has put the cores this round, which no
 * FLOP rate shows and every hand-off between the shards pays.
 *
 * <p>The first {@code --warmup} rounds are dropped. Reported: medians and minima, samples per
 * second, the ratios of the epoch's median to the sgemm bound's and to the FLOP limit, and to the
 * peer's median; {@code --json FILE} writes them, and each measured round's figures.
 */
@Command(name = "bench-epoch", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Times MNIST training epochs against the FLOP limit, the sgemm bound and a peer.")
public final class EpochBenchmark implements Callable<Integer> {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR",
            defaultValue = "data/mnist", description = "MNIST IDX folder  [default: ${DEFAULT-VALUE}]")
    Path data;

    @Option(names = "--batch-size", paramLabel = "N",
            defaultValue = "64", description = "[default: ${DEFAULT-VALUE}]")
    int batchSize;

    @Option(names = "--threads", paramLabel = "N",
            defaultValue = "1", description = "cores to use  [default: ${DEFAULT-VALUE}]")
    int threads;

    @Option(names = "--parallel", paramLabel = "MODE",
            defaultValue = "shards", description = "how more than one thread is used: "
            + "shards (the batch split over a worker team, one BLAS thread each) or blas (the BLAS's own "
            + "threads)  [default: ${DEFAULT-VALUE}]")
    String parallel;

    @Option(names = "--pin-threads", arity = "0..1", fallbackValue = "true", paramLabel = "CPUS",
            description = "keep each shard's thread on one CPU: the first ones this process may use, or CPUS "
                    + "(such as 2,3)  [default: the system property " + Pinning.PROPERTY + ", else not pinned]")
    String pinThreads;

    /** The CPU of each shard's thread, as --pin-threads or the system property asks; empty when not pinned. */
    private List<Integer> pinnedCpus = List.of();

    @Option(names = "--blas", paramLabel = "LIB",
            description = "openblas | blis | PATH  [default: the system property pnn.blas, "
            + "else openblas]")
    String blas;

    @Option(names = "--hidden", paramLabel = "N,N",
            defaultValue = "128,64", split = ",", description = "hidden widths  "
            + "[default: ${DEFAULT-VALUE}]")
    List<Integer> hidden;

    @Option(names = "--optimizer", paramLabel = "NAME",
            defaultValue = "momentum", description = "momentum (make train's: momentum 0.9, weight decay 5e-4) | "
            + "sgd (plain: no momentum, no weight decay), the same learning rates  [default: ${DEFAULT-VALUE}]")
    String optimizer;

    @Option(names = "--epochs", paramLabel = "N",
            defaultValue = "5", description = "measured rounds, >= 5  [default: ${DEFAULT-VALUE}]")
    int epochs;

    @Option(names = "--warmup", paramLabel = "N",
            description = "rounds dropped first: the JIT's second tier compiles a one-thread step in about "
                    + "five epochs, a two-shard step in about ten (its compiler shares the cores with the "
                    + "shards)  [default: 6 on one thread, 12 on more]")
    Integer warmupOption;
    /** The rounds dropped: {@link #warmupOption}, else its default for the thread count. */
    private int warmup;

    @Option(names = "--json", paramLabel = "FILE", description = "write the results to this file")
    Path json;

    @Option(names = "--peer", paramLabel = "NAME",
            defaultValue = "none", description = "none | pytorch | numpy  [default: ${DEFAULT-VALUE}]")
    String peer;

    @Option(names = "--peer-threads", paramLabel = "N",
            description = "the peer's threads  [default: --threads]")
    Integer peerThreads;

    @Option(names = "--python", paramLabel = "PATH",
            defaultValue = "/usr/bin/python3", description = "[default: ${DEFAULT-VALUE}]")
    String python;

    @Option(names = "--peer-script", paramLabel = "FILE",
            defaultValue = "bench/epoch_peer.py", description = "[default: ${DEFAULT-VALUE}]")
    Path peerScript;

    /**
     * A pause before each phase of a round that follows threaded BLAS work: OpenBLAS's idle
     * threads spin for about 0.1 s (2^28 cycles) before they sleep, OpenMP's for a while too, so
     * a phase started at once would share its cores with the previous phase's spinning threads
     * (ours or the peer's).
     */
    static final long SETTLE_MILLIS = 250;

    /** 2048^3 products per round for the FLOP limit; the fastest counts. */
    private static final int PEAK_REPEATS = 3;
    private static final int PEAK_N = 2048;
    /** Products of the own kernel's peak measurement, per thread and repeat (about 10 ms). */
    private static final int KERNEL_PEAK_PRODUCTS = 200;

    public static void main(String[] args) {
        System.exit(new CommandLine(new EpochBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        atLeast("--epochs", epochs, 5);
        atLeast("--threads", threads, 1);
        warmup = warmupOption != null ? warmupOption : threads == 1 ? 6 : 12;
        atLeast("--warmup", warmup, 0);
        atLeast("--batch-size", batchSize, 1);
        if (!parallel.equals("shards") && !parallel.equals("blas")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parallel: expected shards or blas, "
                    + "found '" + parallel + "'");
        }
        if (!List.of("none", "pytorch", "numpy").contains(peer)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--peer: expected none, pytorch or "
                    + "numpy, found '" + peer + "'");
        }
        if (!optimizer.equals("momentum") && !optimizer.equals("sgd")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--optimizer: expected momentum or sgd, "
                    + "found '" + optimizer + "'");
        }
        if (blas != null) {
            System.setProperty(NativeLibraries.BLAS_PROPERTY, blas);
        }
        Pinning pinning;
        try {
            pinning = pinThreads == null ? Pinning.fromSystemProperty() : Pinning.parse(pinThreads, "--pin-threads");
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        NativeBackend backend = NativeBackend.instance();
        BlasLibrary lib = backend.blas();
        if (!lib.threadsSettable()) {
            throw new CommandLine.ParameterException(spec.commandLine(), lib.path() + " has no call to set its "
                    + "thread count, which the FLOP limit and the sgemm bound need: use openblas or blis");
        }
        int shards = parallel.equals("shards") ? threads : 1;
        int trainingBlasThreads = parallel.equals("shards") ? 1 : threads;
        Model model = Model.mlp(784, hidden, 10, Activation.RELU);
        int[][] layers = linearShapes(model);
        TrainingConfig config = TrainingConfig.defaults().withEpochs(warmup + epochs).withBatchSize(batchSize)
                .withShards(shards).withPinning(pinning);
        if (optimizer.equals("sgd")) {
            config = config.withOptimizer(Sgd.plain());
        }

        String configuration = String.format(Locale.ROOT, "%s, batch %d, %s, %d thread%s (%s)", model.widths(),
                batchSize, config.optimizer(), threads, threads == 1 ? "" : "s", threads == 1 ? "one thread" : parallel.equals("shards")
                        ? threads + " shards, 1 BLAS thread each" : threads + " BLAS threads");
        pinnedCpus = pinning.cpusFor(shards == 1 ? 0 : shards);
        if (!pinnedCpus.isEmpty()) {
            configuration += ", " + Pinning.describe(pinnedCpus);
        }
        System.out.println("blas     " + lib.describe());
        System.out.println("products " + backend.matmul());
        System.out.println("config   " + configuration);

        List<Double> epochSeconds = new ArrayList<>();
        List<Double> boundSeconds = new ArrayList<>();
        List<Double> peakGflops = new ArrayList<>();
        List<Double> blasGflops = new ArrayList<>();
        List<Double> kernelGflops = new ArrayList<>();
        List<Double> peerSeconds = new ArrayList<>();
        List<Double> tripNanos = new ArrayList<>();
        double[] accuracy = new double[1];
        try (Arena arena = Arena.ofShared();
             Peer p = peer.equals("none") ? null : Peer.start(python, peerScript, peer, data, batchSize,
                     peerThreads == null ? threads : peerThreads, hidden, optimizer, warmup + epochs)) {
            Mnist mnist = Mnist.load(data, arena);
            int samples = mnist.train().size();
            double epochFlops = epochFlops(layers, samples);
            // the products as the training runs them: with shards, each thread its part of every
            // batch (its rows), all threads at once; else one batch on the BLAS's threads
            Products[] products = new Products[shards];
            for (int s = 0; s < shards; s++) {
                products[s] = new Products(arena, layers, (batchSize + shards - 1) / shards,
                        (samples + shards - 1) / shards);
            }
            Tensor[] peak = {Data.random(arena, PEAK_N, PEAK_N, 1), Data.random(arena, PEAK_N, PEAK_N, 2),
                             Tensor.allocate(arena, PEAK_N, PEAK_N)};
            Team team = new Team(threads);
            KernelPeak kernelPeak = new KernelPeak(arena, team, batchSize, layers[0][0], layers[0][1]);
            // on one processor the two threads would take turns by the scheduler's time slices
            CoreRoundTrip coreRoundTrip = threads > 1 && Runtime.getRuntime().availableProcessors() > 1
                    ? new CoreRoundTrip(team) : null;
            if (p != null) {
                System.out.println("peer     " + p.description());
            }
            System.out.printf(Locale.ROOT, "epoch    %.2f GFLOP in %d steps%n%n", epochFlops / 1e9,
                    (samples + batchSize - 1) / batchSize);
            System.out.printf(Locale.ROOT, "%-6s %10s %14s %14s %14s %12s%n", "round", "epoch s", "sgemm bound s",
                    "FLOP limit s", coreRoundTrip == null ? "" : "round trip ns", p == null ? "" : "peer s");
            backend.setThreads(trainingBlasThreads);
            TrainingListener listener = new TrainingListener() {
                @Override
                public void onEpoch(EpochStats stats, TrainingRun run) {
                    double epoch = samples / stats.samplesPerSecond();
                    backend.setThreads(threads);
                    double blas = 0;
                    for (int r = 0; r < PEAK_REPEATS; r++) {
                        long t0 = System.nanoTime();
                        backend.gemm(false, false, 1f, peak[0], peak[1], 0f, peak[2]);
                        blas = Math.max(blas, 2.0 * PEAK_N * PEAK_N * PEAK_N / (System.nanoTime() - t0));
                    }
                    double bound;
                    if (shards == 1) {
                        bound = products[0].epoch(backend);
                        backend.setThreads(1);
                    } else {
                        backend.setThreads(1);
                        bound = team.seconds(shard -> products[shard].epoch(backend));
                    }
                    double kernel = kernelPeak.gflops();
                    double gflops = Math.max(blas, kernel);
                    double trip = coreRoundTrip == null ? Double.NaN : coreRoundTrip.nanos();
                    backend.setThreads(trainingBlasThreads);
                    settle();
                    double peerEpoch = p == null ? Double.NaN : p.epoch();
                    boolean measured = stats.epoch() > warmup;
                    if (measured) {
                        epochSeconds.add(epoch);
                        boundSeconds.add(bound);
                        peakGflops.add(gflops);
                        blasGflops.add(blas);
                        kernelGflops.add(kernel);
                        if (coreRoundTrip != null) {
                            tripNanos.add(trip);
                        }
                        if (p != null) {
                            peerSeconds.add(peerEpoch);
                        }
                    }
                    accuracy[0] = stats.testAccuracy();
                    System.out.printf(Locale.ROOT, "%-6s %10.3f %14.3f %14.3f %14s %12s%n",
                            measured ? String.valueOf(stats.epoch() - warmup) : "warm", epoch, bound,
                            epochFlops / (gflops * 1e9),
                            coreRoundTrip == null ? "" : String.format(Locale.ROOT, "%.0f", trip),
                            p == null ? "" : String.format(Locale.ROOT, "%.3f", peerEpoch));
                    settle(); // before the next epoch
                }
            };
            try (Network net = Network.create(model, backend, Init.PYTORCH_DEFAULT, config.seed())) {
                if (!pinnedCpus.isEmpty()) {
                    // the BLAS's threads made now, before the training pins this thread: made later, from
                    // here, they would inherit its one CPU (an OpenMP BLIS makes them at its first product)
                    backend.setThreads(threads);
                    backend.gemm(false, false, 1f, peak[0], peak[1], 0f, peak[2]);
                    backend.setThreads(trainingBlasThreads);
                }
                Trainer.fit(net, mnist.train(), mnist.test(), config, listener);
            }
            report(lib, configuration, samples, epochFlops, epochSeconds, boundSeconds, peakGflops, blasGflops,
                    kernelGflops, kernelPeak.shape(), tripNanos, peerSeconds, accuracy[0],
                    p == null ? null : p.description());
            team.close();
        }
        return 0;
    }

    private void report(BlasLibrary lib, String configuration, int samples, double epochFlops,
                        List<Double> epochSeconds, List<Double> boundSeconds, List<Double> peakGflops,
                        List<Double> blasGflops, List<Double> kernelGflops, String kernelShape,
                        List<Double> tripNanos, List<Double> peerSeconds, double accuracy,
                        String peerDescription) throws IOException {
        double epochMedian = median(epochSeconds);
        double boundMedian = median(boundSeconds);
        double flopLimit = epochFlops / (median(peakGflops) * 1e9);
        System.out.println();
        System.out.printf(Locale.ROOT, "epoch         median %.3f s, min %.3f s, %,.0f samples/s, test %.2f%%%n",
                epochMedian, min(epochSeconds), samples / epochMedian, accuracy);
        System.out.printf(Locale.ROOT, "sgemm bound   median %.3f s, min %.3f s: epoch / bound = %.2fx%n",
                boundMedian, min(boundSeconds), epochMedian / boundMedian);
        System.out.printf(Locale.ROOT, "FLOP limit    %.3f s (%.1f GFLOP/s, median of the faster of sgemm at %d^3, "
                + "%.1f, and the own kernel at %s on %d thread%s, %.1f): epoch / limit = %.2fx%n", flopLimit,
                median(peakGflops), PEAK_N, median(blasGflops), kernelShape, threads, threads == 1 ? "" : "s",
                median(kernelGflops), epochMedian / flopLimit);
        boolean tripsMeasured = !tripNanos.isEmpty();
        if (tripsMeasured) {
            System.out.printf(Locale.ROOT, "round trip    median %.0f ns, min %.0f ns, max %.0f ns between two "
                    + "threads%n", median(tripNanos), min(tripNanos), max(tripNanos));
        } else if (threads > 1) {
            System.out.println("round trip    not measured: one processor");
        }
        if (peerDescription != null) {
            System.out.printf(Locale.ROOT, "peer          median %.3f s, min %.3f s: peer / ours = %.2fx%n",
                    median(peerSeconds), min(peerSeconds), median(peerSeconds) / epochMedian);
        }
        if (json != null) {
            JsonObject o = new JsonObject();
            o.addProperty("blas", lib.provider().label());
            o.addProperty("blas_version", lib.version());
            o.addProperty("blas_kernels", lib.kernelSet());
            o.addProperty("configuration", configuration);
            o.addProperty("threads", threads);
            o.addProperty("parallel", parallel);
            JsonArray pinned = new JsonArray();
            pinnedCpus.forEach(pinned::add);
            o.add("pinned_cpus", pinned);
            o.addProperty("batch_size", batchSize);
            o.addProperty("optimizer", optimizer);
            o.addProperty("warmup", warmup);
            o.addProperty("epochs", epochSeconds.size());
            o.addProperty("epoch_median_s", epochMedian);
            o.addProperty("epoch_min_s", min(epochSeconds));
            o.addProperty("sgemm_bound_median_s", boundMedian);
            o.addProperty("sgemm_bound_min_s", min(boundSeconds));
            o.addProperty("flop_limit_s", flopLimit);
            o.addProperty("peak_gflops", median(peakGflops));
            o.addProperty("sgemm_peak_gflops", median(blasGflops));
            o.addProperty("kernel_peak_gflops", median(kernelGflops));
            o.addProperty("kernel_peak_shape", kernelShape);
            o.addProperty("epoch_gflop", epochFlops / 1e9);
            o.addProperty("ratio_to_sgemm_bound", epochMedian / boundMedian);
            o.addProperty("ratio_to_flop_limit", epochMedian / flopLimit);
            o.addProperty("samples_per_second", samples / epochMedian);
            o.addProperty("test_accuracy", accuracy);
            if (tripsMeasured) {
                o.addProperty("round_trip_median_ns", median(tripNanos));
            }
            if (peerDescription != null) {
                o.addProperty("peer", peer);
                o.addProperty("peer_description", peerDescription);
                o.addProperty("peer_median_s", median(peerSeconds));
                o.addProperty("peer_min_s", min(peerSeconds));
                o.addProperty("peer_ratio", median(peerSeconds) / epochMedian);
            }
            JsonArray rounds = new JsonArray();
            for (int r = 0; r < epochSeconds.size(); r++) {
                JsonObject round = new JsonObject();
                round.addProperty("epoch_s", epochSeconds.get(r));
                round.addProperty("sgemm_bound_s", boundSeconds.get(r));
                round.addProperty("flop_limit_s", epochFlops / (peakGflops.get(r) * 1e9));
                if (tripsMeasured) {
                    round.addProperty("round_trip_ns", tripNanos.get(r));
                }
                if (peerDescription != null) {
                    round.addProperty("peer_s", peerSeconds.get(r));
                }
                rounds.add(round);
            }
            o.add("rounds", rounds);
            String text = new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
            AtomicFiles.write(json, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
            System.out.println("wrote " + json);
        }
    }

    private void atLeast(String option, int value, int least) {
        if (value < least) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    option + ": expected " + least + " or more, found " + value);
        }
    }

    /** (in, out) of each Linear layer of {@code model}. */
    static int[][] linearShapes(Model model) {
        return model.layers().stream().filter(l -> l instanceof Linear).map(l -> (Linear) l)
                .map(l -> new int[] {l.in(), l.out()}).toArray(int[][]::new);
    }

    /** The arithmetic of one epoch: forward, weight gradient and (past the first layer) input gradient products. */
    static double epochFlops(int[][] layers, int samples) {
        double perSample = 0;
        for (int i = 0; i < layers.length; i++) {
            perSample += 2.0 * layers[i][0] * layers[i][1] * (i == 0 ? 2 : 3);
        }
        return perSample * samples;
    }

    /**
     * Threads that run one task each at once, for the measurements that use several cores. Not
     * the training's {@link dev.pnn.tensor.WorkerTeam}: that runs part 0 on the calling thread, and
     * measured that way the two-shard sgemm bound came out at 0.10 to 0.11 s in 2 of 6 rounds
     * (0.06 s in the others, and in every round on this pool) in two runs each way.
     */
    static final class Team implements AutoCloseable {
        private final ExecutorService pool;
        private final int size;

        Team(int size) {
            this.size = size;
            ThreadPoolExecutor p = new ThreadPoolExecutor(size, size, 0, TimeUnit.MILLISECONDS,
                    new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "bench-epoch-team");
                        t.setDaemon(true);
                        return t;
                    });
            // every thread made now, by a thread the training has not pinned yet: made later from a
            // pinned one (in a round's measurements), they would inherit its one CPU
            p.prestartAllCoreThreads();
            this.pool = p;
        }

        int size() {
            return size;
        }

        /** Runs {@code task(0)} to {@code task(size - 1)} at once, one a thread; the seconds until the last ends. */
        double seconds(IntConsumer task) {
            List<Future<?>> running = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < size; i++) {
                int member = i;
                running.add(pool.submit(() -> task.accept(member)));
            }
            try {
                for (Future<?> f : running) {
                    f.get();
                }
            } catch (InterruptedException | ExecutionException e) {
                throw new IllegalStateException("a measurement on " + size + " threads failed", e);
            }
            return (System.nanoTime() - t0) * 1e-9;
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }

    /**
     * The own product kernel's rate on the step's largest product (batch x out x in of the first
     * layer, operands in cache), on every thread of a team at once, each on operands of its own;
     * the BLAS must run one thread meanwhile (the kernel takes such products only then).
     */
    static final class KernelPeak {
        private final NativeBackend own = NativeBackend.instance(NativeBackend.Products.AUTO);
        private final Team team;
        private final int m;
        private final int n;
        private final int k;
        private final Tensor[][] operands;

        KernelPeak(Arena arena, Team team, int m, int k, int n) {
            this.team = team;
            this.m = m;
            this.n = n;
            this.k = k;
            this.operands = new Tensor[team.size()][];
            for (int t = 0; t < operands.length; t++) {
                operands[t] = new Tensor[] {Data.random(arena, m, k, 10 + t), Data.random(arena, k, n, 20 + t),
                                            Tensor.allocate(arena, m, n)};
            }
        }

        String shape() {
            return m + "x" + n + "x" + k;
        }

        /** The best of {@value #PEAK_REPEATS} timings, in GFLOP/s of all threads together. */
        double gflops() {
            double best = 0;
            for (int r = 0; r < PEAK_REPEATS; r++) {
                double seconds = team.seconds(member -> {
                    Tensor[] o = operands[member];
                    for (int i = 0; i < KERNEL_PEAK_PRODUCTS; i++) {
                        own.gemm(false, false, 1f, o[0], o[1], 0f, o[2]);
                    }
                });
                best = Math.max(best, 2.0 * m * n * k * KERNEL_PEAK_PRODUCTS * operands.length / (seconds * 1e9));
            }
            return best;
        }
    }

    /**
     * The time for a value to go from one thread to another and back: members 0 and 1 of a team
     * take turns to write a counter, each spinning ({@link Thread#onSpinWait}, as the training's
     * worker team waits) until the other's write arrives. It measures where the machine has put the
     * two cores: a shared machine may give a guest's virtual cores neighbouring cores (a shared
     * cache) in one round and cores on different dies in the next, and a step on two threads pays
     * that distance at every hand-off and for every line that the threads share.
     */
    static final class CoreRoundTrip {
        /** Round trips before the timing starts: the two threads' start and the spin loops' compilation. */
        private static final int WARMUP = 2_000;
        /** Timed round trips (about 2 ms for cores that share a cache, 10 ms for cores on different dies). */
        private static final int TRIPS = 20_000;
        private final Team team;
        private final AtomicLong ball = new AtomicLong();
        private volatile long elapsed;

        CoreRoundTrip(Team team) {
            if (team.size() < 2) {
                throw new IllegalArgumentException("a round trip needs two threads, the team has " + team.size());
            }
            this.team = team;
        }

        /** Nanoseconds per round trip between two of the team's threads, both running at once. */
        double nanos() {
            ball.set(0);
            team.seconds(member -> {
                if (member == 0) {
                    serve();
                } else if (member == 1) {
                    answer();
                }
            });
            return (double) elapsed / TRIPS;
        }

        private void serve() {
            long t0 = 0;
            for (long i = 0; i < WARMUP + TRIPS; i++) {
                if (i == WARMUP) {
                    t0 = System.nanoTime();
                }
                ball.setRelease(2 * i + 1);
                while (ball.getAcquire() != 2 * i + 2) {
                    Thread.onSpinWait();
                }
            }
            elapsed = System.nanoTime() - t0;
        }

        private void answer() {
            for (long i = 0; i < WARMUP + TRIPS; i++) {
                while (ball.getAcquire() != 2 * i + 1) {
                    Thread.onSpinWait();
                }
                ball.setRelease(2 * i + 2);
            }
        }
    }

    /** The products of one epoch, at the configured batch size (the last batch smaller), on their own tensors. */
    static final class Products {
        private final int[][] layers;
        private final int batchSize;
        private final int samples;
        private final Tensor[] acts;
        private final Tensor[] grads;
        private final Tensor[] weights;
        private final Tensor[] weightGrads;

        Products(Arena arena, int[][] layers, int batchSize, int samples) {
            this.layers = layers;
            this.batchSize = batchSize;
            this.samples = samples;
            int n = layers.length;
            acts = new Tensor[n + 1];
            grads = new Tensor[n + 1];
            weights = new Tensor[n];
            weightGrads = new Tensor[n];
            acts[0] = Data.random(arena, batchSize, layers[0][0], 3);
            for (int i = 0; i < n; i++) {
                weights[i] = Data.random(arena, layers[i][0], layers[i][1], 4 + i);
                weightGrads[i] = Tensor.allocate(arena, layers[i][0], layers[i][1]);
                acts[i + 1] = Tensor.allocate(arena, batchSize, layers[i][1]);
                grads[i + 1] = Data.random(arena, batchSize, layers[i][1], 10 + i);
            }
        }

        /** Seconds for every step's eight products. */
        double epoch(NativeBackend b) {
            long t0 = System.nanoTime();
            for (int done = 0; done < samples; done += batchSize) {
                int rows = Math.min(batchSize, samples - done);
                for (int i = 0; i < layers.length; i++) {
                    b.gemm(false, false, 1f, acts[i].rows(0, rows), weights[i], 0f, acts[i + 1].rows(0, rows));
                }
                for (int i = layers.length - 1; i >= 0; i--) {
                    b.gemm(true, false, 1f, acts[i].rows(0, rows), grads[i + 1].rows(0, rows), 0f, weightGrads[i]);
                    if (i > 0) {
                        b.gemm(false, true, 1f, grads[i + 1].rows(0, rows), weights[i], 0f, grads[i].rows(0, rows));
                    }
                }
            }
            return (System.nanoTime() - t0) * 1e-9;
        }
    }

    /** The peer implementation in Python, one epoch per request over its standard input. */
    static final class Peer implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;
        private final Writer in;
        private final String description;

        private Peer(Process process, BufferedReader out, Writer in, String description) {
            this.process = process;
            this.out = out;
            this.in = in;
            this.description = description;
        }

        static Peer start(String python, Path script, String impl, Path data, int batchSize, int threads,
                          List<Integer> hidden, String optimizer, int totalEpochs) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(python, script.toString(), "--impl", impl, "--data",
                    data.toString(), "--batch-size", String.valueOf(batchSize), "--threads", String.valueOf(threads),
                    "--hidden", String.join(",", hidden.stream().map(String::valueOf).toList()),
                    "--optimizer", optimizer, "--epochs", String.valueOf(totalEpochs)));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
            Process process = pb.start();
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            String ready = out.readLine();
            if (ready == null || !ready.startsWith("ready ")) {
                process.destroy();
                throw new IOException("the peer " + String.join(" ", cmd) + " did not start: it printed "
                        + (ready == null ? "nothing" : "'" + ready + "'") + " instead of 'ready ...'");
            }
            return new Peer(process, out, in, ready.substring("ready ".length()));
        }

        String description() {
            return description;
        }

        /** One epoch in the peer; its training seconds. */
        double epoch() {
            try {
                in.write("epoch\n");
                in.flush();
                String line = out.readLine();
                if (line == null) {
                    throw new IllegalStateException("the peer exited (exit code " + process.waitFor() + ")");
                }
                return Double.parseDouble(line.trim().split("\\s+")[0]);
            } catch (IOException e) {
                throw new IllegalStateException("talking to the peer failed: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the peer ran", e);
            }
        }

        @Override
        public void close() {
            try {
                in.close();
                process.waitFor();
            } catch (IOException | InterruptedException e) {
                process.destroy();
            }
        }
    }

    private static void settle() {
        try {
            Thread.sleep(SETTLE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted between the phases of a round", e);
        }
    }

    static double median(List<Double> xs) {
        double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double min(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    static double max(List<Double> xs) {
        return xs.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }
}
