package dev.pnn.train.cli;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Pinning;
import dev.pnn.train.classic.Perceptron;
import dev.pnn.train.data.Csv;
import dev.pnn.train.data.Dataset;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.fit.Checkpoint;
import dev.pnn.train.fit.Checkpointer;
import dev.pnn.train.fit.EarlyStopping;
import dev.pnn.train.fit.EpochStats;
import dev.pnn.train.fit.History;
import dev.pnn.train.fit.Preset;
import dev.pnn.train.fit.Recipe;
import dev.pnn.train.fit.Trainer;
import dev.pnn.train.fit.TrainingConfig;
import dev.pnn.train.fit.TrainingListener;
import dev.pnn.train.fit.TrainingRun;
import dev.pnn.train.io.AtomicFiles;
import dev.pnn.train.io.ModelFile;
import dev.pnn.train.io.ModelInfo;
import dev.pnn.train.model.Activation;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Model;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code pnn train}: trains a model (a preset, or an MLP of your making) and prints the test accuracy. */
@Command(name = "train", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = {"Trains a model on MNIST (or any data in its IDX layout, or a CSV table) and prints the test "
                + "accuracy.", "", "Models (--model NAME); each sets the defaults of the options, which override them:",
                "  mlp             784-128-64-10 ReLU, nll, momentum 0.9 + weight decay 5e-4, lr 0.05 cosine,",
                "                  batch 64 over 2 shards, 10 epochs, MNIST normalization: >= 98.2%% (98.31 to",
                "                  98.51%% for 6 seeds here)",
                "  softmax         784-10 (one Linear layer), otherwise as mlp: >= 92%% (92.58%% here)",
                "  sigmoid-30      Nielsen's network.py: 784-30-10 sigmoid, quadratic cost, plain SGD lr 3.0,",
                "                  batch 10, 30 epochs, pixels in [0, 1]: >= 95%%",
                "  cnn             conv 1-32 3x3, ReLU, max-pool 2, conv 32-64 3x3, ReLU, max-pool 2, Linear",
                "                  1600-128, ReLU, dropout 0.5, Linear 128-10; Adam lr 2e-3 cosine, batch 64",
                "                  over 2 shards, 5 epochs: >= 99.3%% (99.34 to 99.38%% for 3 seeds here)",
                "  perceptron-3v7  3s against 7s: 784 weights and a bias, averaged perceptron, lr 1, 5 epochs:",
                "                  >= 98%% of the test set's 3s and 7s (--save writes its JSON)", ""})
final class TrainCommand implements Callable<Integer> {

    /**
     * The header's hint for a run with shards when the JVM profiles code before its optimizing
     * compiler takes it (its defaults): the shards then update the same profile counters at once
     * and the first epochs run two to three times slower. Empty when the JVM runs C1 alone
     * ({@code TieredStopAtLevel} 1) or C2 alone, or when the options are unknown (null).
     */
    static String profilingHint(String tieredCompilation, String tieredStopAtLevel) {
        if (!"true".equals(tieredCompilation) || tieredStopAtLevel == null || tieredStopAtLevel.equals("1")) {
            return "";
        }
        return "; the JVM profiles the first few thousand steps, which slows threads that share the profile: "
                + "-XX:TieredStopAtLevel=1 spares it (as make train does)";
    }

    /** A HotSpot option's value, or null where the JVM has no such option. */
    private static String jvmOption(String name) {
        try {
            return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name).getValue();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The lowest learning rate that still moves float32 weights. */
    static final double MIN_LR = 1e-10;
    static final double MAX_LR = 10;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", defaultValue = "mlp", paramLabel = "NAME",
            description = "mlp | softmax | sigmoid-30 | cnn | perceptron-3v7  [default: ${DEFAULT-VALUE}]")
    String model;

    @Mixin
    DataOption data;

    @Option(names = "--csv", paramLabel = "FILE", description = "train on a CSV table instead of MNIST")
    Path csv;

    @Option(names = "--test-csv", paramLabel = "FILE",
            description = "the CSV test set (else the --validation share of --csv, 20%% by default, is held out)")
    Path testCsv;

    @Option(names = "--label", defaultValue = "label", paramLabel = "NAME|INDEX",
            description = "the CSV column of class labels, by name or index from 0  [default: ${DEFAULT-VALUE}]")
    String label;

    @Option(names = "--epochs", paramLabel = "N", description = "passes over the training set (the total, when resuming)")
    Integer epochs;

    @Option(names = "--batch-size", paramLabel = "N", description = "examples per step")
    Integer batchSize;

    @Option(names = "--lr", paramLabel = "X", description = "initial learning rate  [adam, adamw: 0.001]")
    Double lr;

    @Option(names = "--optimizer", paramLabel = "NAME", description = "sgd | momentum | nesterov | adam | adamw")
    String optimizer;

    @Option(names = "--momentum", paramLabel = "X", description = "momentum of momentum and nesterov, in [0, 1)")
    Double momentum;

    @Option(names = "--weight-decay", paramLabel = "X", description = "L2 weight decay (decoupled for adamw)")
    Double weightDecay;

    @Option(names = "--schedule", paramLabel = "NAME",
            description = "constant | step (x0.5 every 3 epochs) | cosine (to 0)")
    String schedule;

    @Option(names = "--hidden", paramLabel = "W,W,...", description = "hidden layer widths; 'none' for a linear model")
    String hidden;

    @Option(names = "--activation", paramLabel = "NAME", description = "relu | sigmoid")
    String activation;

    @Option(names = "--loss", paramLabel = "NAME",
            description = "nll (LogSoftMax output) | mse | quadratic (sigmoid output)")
    String loss;

    @Option(names = "--init", paramLabel = "NAME", description = "pytorch (uniform +-1/sqrt(fan_in)) | he (normal)")
    String init;

    @Option(names = "--seed", paramLabel = "N", description = "seeds the initial weights, the shuffles and the splits")
    Long seed;

    @Option(names = "--eval-batch-size", paramLabel = "N", description = "examples per evaluation batch")
    Integer evalBatchSize;

    @Option(names = "--shards", paramLabel = "N",
            description = "split each training batch over N threads, each with --threads BLAS threads (use N = the "
                    + "cores with --threads 1); the same N gives the same bits  [default: the model's: 2 for cnn, 2 "
                    + "for mlp on two cores or more, else 1]")
    Integer shards;

    @Option(names = "--pin-threads", arity = "0..1", fallbackValue = "true", paramLabel = "CPUS",
            description = "keep each shard's thread on one CPU: the first ones this process may use, or CPUS "
                    + "(such as 2,3); Linux only  [default: the system property " + Pinning.PROPERTY + ", else "
                    + "not pinned]")
    String pinThreads;

    @Option(names = "--normalize", paramLabel = "MODE",
            description = "none (pixels in [0, 1]) | mnist (MNIST's mean and std) | auto (the training set's: pixel "
                    + "mean and std, or each CSV feature's)  [default: the model's; auto for CSV]")
    String normalize;

    @Option(names = "--validation", paramLabel = "N|F",
            description = "hold out N examples, or the fraction F, of the training set; reported every epoch")
    String validation;

    @Option(names = "--early-stopping", paramLabel = "PATIENCE",
            description = "stop when the validation loss has not improved for PATIENCE epochs, keep the best weights")
    Integer earlyStopping;

    @Option(names = "--save", paramLabel = "FILE",
            description = "write the trained model to FILE (.npz: numpy and PyTorch open it; JSON for the perceptron)")
    Path save;

    @Option(names = "--history", paramLabel = "FILE", description = "write per-epoch statistics as JSON to FILE")
    Path history;

    @Option(names = "--plots", paramLabel = "DIR",
            description = "draw the loss and accuracy curves, the first layer's weights and the confusion matrix "
                    + "as PNG files into DIR (created if missing)")
    Path plots;

    @Option(names = "--snapshots", paramLabel = "DIR",
            description = "write the model as JSON (param_0, ...) into DIR after every epoch (for pnn inspect)")
    Path snapshots;

    @Option(names = "--checkpoint-dir", paramLabel = "DIR",
            description = "write a checkpoint into DIR at the end of every epoch (created if missing)")
    Path checkpointDir;

    @Option(names = "--checkpoint-every", defaultValue = "0", paramLabel = "N",
            description = "also write one every N steps (with --checkpoint-dir)  [default: ${DEFAULT-VALUE}: off]")
    int checkpointEvery;

    @Option(names = "--keep-checkpoints", defaultValue = "3", paramLabel = "N",
            description = "how many checkpoints to keep  [default: ${DEFAULT-VALUE}]")
    int keepCheckpoints;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "continue the run that wrote the checkpoint FILE (or the newest in a folder)")
    Path resume;

    @Mixin
    BackendOptions backendOptions;

    private Preset preset() {
        try {
            return Preset.named(model);
        } catch (IllegalArgumentException e) {
            throw usage("--model: " + e.getMessage().replace("unknown model ", "unknown model "));
        }
    }

    /** The preset's recipe with every option given on the command line in place of its value. */
    Recipe recipe() {
        Recipe r = preset().recipe();
        if (r == null) {
            throw usage("--model " + model + " is not a network");
        }
        String opt = optimizer != null ? optimizer.toLowerCase(Locale.ROOT) : r.optimizer();
        double rate = lr != null ? lr : optimizer != null && opt.startsWith("adam") ? dev.pnn.train.optim.Adam.DEFAULT_LR
                : r.lr();
        Normalization norm = r.normalization();
        if (normalize != null && !normalize.equals("auto")) {
            norm = switch (normalize) {
                case "none" -> Normalization.NONE;
                case "mnist" -> Normalization.MNIST;
                default -> throw usage("--normalize: expected none, mnist or auto, found '" + normalize + "'");
            };
        }
        if (r.architecture().equals("cnn") && (hidden != null || activation != null || loss != null)) {
            throw usage("--model cnn has its own layers: --hidden, --activation and --loss do not apply");
        }
        return new Recipe(r.architecture(), hidden != null ? widths(hidden) : r.hidden(), activation != null ? activation(activation)
                : r.activation(), loss != null ? loss : r.loss(), epochs != null ? epochs : r.epochs(),
                batchSize != null ? batchSize : r.batchSize(), opt, rate, momentum != null ? momentum : r.momentum(),
                weightDecay != null ? weightDecay : r.weightDecay(), schedule != null ? schedule : r.schedule(), norm,
                init != null ? initScheme(init) : r.init(), seed != null ? seed : r.seed(),
                evalBatchSize != null ? evalBatchSize : r.evalBatchSize(), shards != null ? shards : r.shards());
    }

    /** The recipe checked option by option, and its configuration. */
    TrainingConfig config(Recipe r) {
        checkRange("--epochs", r.epochs(), 1, 100_000);
        checkRange("--batch-size", r.batchSize(), 1, 1 << 20);
        checkRange("--eval-batch-size", r.evalBatchSize(), 1, 1 << 20);
        checkRange("--checkpoint-every", checkpointEvery, 0, Integer.MAX_VALUE);
        checkRange("--keep-checkpoints", keepCheckpoints, 1, 1000);
        choice("--optimizer", r.optimizer(), "sgd", "momentum", "nesterov", "adam", "adamw");
        choice("--schedule", r.schedule(), "constant", "step", "cosine");
        choice("--loss", r.loss(), "nll", "mse", "quadratic");
        if (!(r.lr() >= MIN_LR && r.lr() <= MAX_LR)) {
            throw usage("--lr: expected a number in [" + MIN_LR + ", " + MAX_LR + "] (smaller steps vanish in float32 "
                    + "weights), found " + r.lr());
        }
        if (!(r.momentum() >= 0 && r.momentum() < 1)) {
            throw usage("--momentum: expected a number in [0, 1), found " + r.momentum());
        }
        if (!(r.weightDecay() >= 0 && r.weightDecay() <= 1)) {
            throw usage("--weight-decay: expected a number in [0, 1], found " + r.weightDecay());
        }
        if (r.shards() < 1 || r.shards() > MAX_SHARDS) {
            throw usage("--shards: expected 1 to " + MAX_SHARDS + " threads, found " + r.shards());
        }
        if (earlyStopping != null && (earlyStopping < 1 || validation == null)) {
            throw usage(earlyStopping < 1 ? "--early-stopping: expected 1 or more epochs, found " + earlyStopping
                    : "--early-stopping: needs --validation (the loss it watches)");
        }
        if (pinThreads == null) {
            return r.config();
        }
        Pinning pinning;
        try {
            pinning = Pinning.parse(pinThreads, "--pin-threads");
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (pinning.enabled() && !Pinning.supported()) {
            throw usage("--pin-threads: pinning threads needs Linux, found " + System.getProperty("os.name"));
        }
        return r.config().withPinning(pinning);
    }

    private static final int MAX_SHARDS = 256;

    /** ", pinned to CPUs 0, 1" when the threads of a run of {@code config} are pinned, else "". */
    private static String pinnedTo(TrainingConfig config) {
        List<Integer> cpus = config.pinning().cpusFor(config.shards());
        return cpus.isEmpty() ? "" : ", " + Pinning.describe(cpus);
    }

    @Override
    public Integer call() throws IOException {
        if (preset() == Preset.PERCEPTRON_3V7) {
            return perceptron();
        }
        Recipe recipe = recipe();
        TrainingConfig config = config(recipe);
        checkOutputs();
        Backend backend = backendOptions.open(spec.commandLine());
        Path checkpoint = resume == null ? null : Files.isDirectory(resume) ? Checkpoint.newest(resume) : resume;
        if (resume != null && checkpoint == null) {
            throw new IOException(resume + ": expected a checkpoint (checkpoint-*.npz) in the folder, found none");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Arena arena = Arena.ofShared()) {
            Data d = load(arena, recipe);
            config = config.withNormalization(d.normalization());
            Model m = recipe.model(d.train().features(), d.train().classes());
            ModelInfo info = info(config, d, Double.NaN);
            Checkpoint from = checkpoint == null ? null : Checkpoint.read(checkpoint);
            try (Network net = checkpoint == null ? Network.create(m, backend, recipe.init(), recipe.seed())
                    : ModelFile.load(checkpoint, backend).network()) {
                if (!net.model().equals(m)) {
                    throw new IllegalArgumentException("the checkpoint " + checkpoint + " holds model "
                            + net.model().widths() + ", the options describe " + m.widths());
                }
                out.printf(Locale.ROOT, "model    %s, %,d parameters, init %s, seed %d%n", m, m.parameterCount(),
                        recipe.init(), recipe.seed());
                out.printf(Locale.ROOT, "backend  %s%n", BackendOptions.describe(backend));
                out.printf(Locale.ROOT, "data     %s: %,d training%s and %,d test examples, %s%n", d.source(),
                        d.train().size(), d.validation() == null ? "" : String.format(Locale.ROOT, ", %,d validation",
                                d.validation().size()), d.test().size(), d.describeNormalization());
                out.printf(Locale.ROOT, "training %d epochs, batch %d, %s, lr %s, loss %s%s%n", config.epochs(),
                        config.batchSize(), config.optimizer(), config.schedule(), config.loss(),
                        config.shards() == 1 ? "" : ", each batch over " + config.shards() + " threads"
                                + pinnedTo(config)
                                + profilingHint(jvmOption("TieredCompilation"), jvmOption("TieredStopAtLevel")));
                if (from != null) {
                    out.printf(Locale.ROOT, "resuming from %s: epoch %d, step %d%n", checkpoint, from.epoch() + 1,
                            from.step());
                }
                Listeners listeners = new Listeners(out, config, info);
                History h = from == null ? Trainer.fit(net, d.train(), d.validation(), d.test(), config, listeners)
                        : Trainer.resume(from, net, d.train(), d.test(), config, listeners);
                if (h.stoppedEarly() != null) {
                    out.printf(Locale.ROOT, "stopped early: %s; the weights are epoch %d's%n", h.stoppedEarly(),
                            h.bestEpoch());
                }
                double accuracy = h.bestEpoch() > 0 ? h.epochs().get(h.bestEpoch() - 1).testAccuracy()
                        : h.last().testAccuracy();
                if (save != null) {
                    ModelFile.save(save, net, info(config, d, accuracy));
                }
                if (history != null) {
                    AtomicFiles.write(history, o -> o.write(h.toJson().getBytes(StandardCharsets.UTF_8)));
                }
                if (plots != null) {
                    PlotCommand.draw(plots, h, net, d.test(), config.normalization(), info(config, d, accuracy), out);
                }
                out.printf(Locale.ROOT, "test accuracy: %.2f%%%n", accuracy);
            }
        }
        return Main.OK;
    }

    /** The data a run trains on: the training set, the held-out validation set (or null), the test set. */
    record Data(Dataset train, Dataset validation, Dataset test, Normalization normalization, float[][] scaling,
                String source) {
        String describeNormalization() {
            return scaling != null ? "features standardized by the training set's means and standard deviations"
                    : scaling == null && train.isImages() ? normalization.toString() : "features as they are";
        }
    }

    private Data load(Arena arena, Recipe recipe) throws IOException {
        if (csv != null) {
            Csv.Table table = Csv.read(csv, label, arena);
            Dataset train = table.data();
            Dataset test = testCsv == null ? null : Csv.read(testCsv, label, train.classNames(), arena).data();
            Dataset validation = null;
            if (test == null) {
                // without a test file, the held-out share is the test set (and the validation set, when asked for)
                Dataset.Split split = train.split(arena, heldOut(this.validation == null ? "0.2" : this.validation,
                        train.size()), recipe.seed());
                train = split.train();
                test = split.validation();
                validation = this.validation == null ? null : test;
            }
            if (this.validation != null && testCsv != null) {
                Dataset.Split split = train.split(arena, heldOut(this.validation, train.size()), recipe.seed());
                train = split.train();
                validation = split.validation();
            }
            float[][] scaling = null;
            if (normalize == null || normalize.equals("auto")) {
                scaling = validation == null || validation == test ? Csv.standardize(train, test)
                        : Csv.standardize(train, test, validation);
            } else if (!normalize.equals("none")) {
                throw usage("--normalize: a CSV table takes auto or none, found '" + normalize + "'");
            }
            return new Data(train, validation, test, Normalization.NONE, scaling, csv.toString());
        }
        if (testCsv != null) {
            throw usage("--test-csv: needs --csv");
        }
        Mnist mnist = Mnist.load(data.dir, arena);
        Dataset train = mnist.train();
        Dataset validation = null;
        if (this.validation != null) {
            Dataset.Split split = train.split(arena, heldOut(this.validation, train.size()), recipe.seed());
            train = split.train();
            validation = split.validation();
        }
        Normalization norm = "auto".equals(normalize) ? pixelStatistics(train) : recipe.normalization();
        return new Data(train, validation, mnist.test(), norm, null, data.dir.toString());
    }

    /** {@code N} examples, or the fraction {@code F} of {@code size}. */
    private int heldOut(String spec, int size) {
        try {
            double v = Double.parseDouble(spec);
            int n = v > 0 && v < 1 ? (int) Math.round(v * size) : v == Math.rint(v) ? (int) v : -1;
            if (n >= 1 && n < size) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw usage("--validation: expected a number of examples from 1 to " + (size - 1) + " or a fraction in "
                + "(0, 1), found '" + spec + "'");
    }

    /** The training images' pixel mean and standard deviation, in [0, 1] units. */
    private static Normalization pixelStatistics(Dataset train) {
        double sum = 0;
        double sumSq = 0;
        byte[] row = new byte[train.features()];
        for (int r = 0; r < train.size(); r++) {
            train.images().read((long) r * row.length, row);
            for (byte b : row) {
                double v = Byte.toUnsignedInt(b) / 255.0;
                sum += v;
                sumSq += v * v;
            }
        }
        double n = (double) train.size() * row.length;
        double mean = sum / n;
        return new Normalization(mean, Math.sqrt(Math.max(sumSq / n - mean * mean, 1e-12)));
    }

    /** Epoch lines (and a progress bar on a terminal), checkpoints, early stopping, snapshots. */
    private final class Listeners implements TrainingListener {
        private final List<TrainingListener> all = new ArrayList<>();
        private final PrintWriter out;
        private final TrainingConfig config;
        private final Progress progress;
        private double elapsed;

        Listeners(PrintWriter out, TrainingConfig config, ModelInfo info) {
            this.out = out;
            this.config = config;
            this.progress = Progress.forTerminal(config);
            if (checkpointDir != null) {
                all.add(new Checkpointer(checkpointDir, checkpointEvery, keepCheckpoints, info));
            }
            if (earlyStopping != null) {
                all.add(new EarlyStopping(earlyStopping));
            }
            if (snapshots != null) {
                all.add(new TrainingListener() {
                    @Override
                    public void onEpoch(EpochStats stats, TrainingRun run) {
                        Path file = snapshots.resolve(String.format(Locale.ROOT, "epoch-%03d.json", stats.epoch()));
                        try {
                            AtomicFiles.write(file, o -> ParamJson.write(o, run.network().parameters()));
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                });
            }
        }

        @Override
        public void onStep(TrainingRun run) {
            progress.step(run);
            all.forEach(l -> l.onStep(run));
        }

        @Override
        public void onEpoch(EpochStats e, TrainingRun run) {
            progress.epochDone();
            elapsed += e.seconds();
            out.printf(Locale.ROOT, "epoch %2d/%d  loss %.4f  train %6.2f%%%s  test %6.2f%% (loss %.4f)  %,9.0f "
                            + "samples/s  elapsed %.1f s%n", e.epoch(), config.epochs(), e.trainLoss(), e.trainAccuracy(),
                    e.hasValidation() ? String.format(Locale.ROOT, "  validation %6.2f%% (loss %.4f)",
                            e.validationAccuracy(), e.validationLoss()) : "", e.testAccuracy(), e.testLoss(),
                    e.samplesPerSecond(), elapsed);
            out.flush();
            all.forEach(l -> l.onEpoch(e, run));
        }
    }

    private int perceptron() throws IOException {
        for (Object given : new Object[] {batchSize, optimizer, momentum, weightDecay, schedule, hidden, activation, loss,
                init, evalBatchSize, normalize, validation, earlyStopping, history, plots, snapshots, checkpointDir,
                resume, csv, testCsv}) {
            if (given != null) {
                throw usage("--model perceptron-3v7 takes --epochs, --lr, --seed, --data and --save (its JSON) only");
            }
        }
        Perceptron.Settings d = Perceptron.Settings.defaults();
        Perceptron.Settings s = new Perceptron.Settings(epochs != null ? epochs : d.epochs(), lr != null ? lr : d.lr(),
                d.margin(), d.averaged(), seed != null ? seed : d.seed());
        if (save != null) {
            AtomicFiles.checkWritable(save);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Arena arena = Arena.ofShared()) {
            Mnist mnist = Mnist.load(data.dir, arena);
            long start = System.nanoTime();
            Perceptron p = Perceptron.train(mnist.train(), 3, 7, s);
            double seconds = (System.nanoTime() - start) * 1e-9;
            double test = p.accuracy(mnist.test());
            out.printf(Locale.ROOT, "model    %s%n", p);
            out.printf(Locale.ROOT, "trained  on %,d 3s and 7s in %.2f s: %.2f%% of them right%n", p.trainingSamples(),
                    seconds, p.accuracy(mnist.train()));
            out.println("weights  (bright: evidence for 7, dark: evidence for 3)");
            out.print(p.ascii());
            if (save != null) {
                AtomicFiles.write(save, o -> o.write(p.toJson(test).getBytes(StandardCharsets.UTF_8)));
            }
            out.printf(Locale.ROOT, "test accuracy: %.2f%% (the test set's 3s and 7s)%n", test);
        }
        return Main.OK;
    }

    /** Every output is checked before any training: a run never ends in a "cannot write". */
    private void checkOutputs() throws IOException {
        Map<Path, String> seen = new HashMap<>();
        for (Map.Entry<String, Path> o : outputs().entrySet()) {
            Path p = o.getValue().toAbsolutePath().normalize();
            String other = seen.put(p, o.getKey());
            if (other != null) {
                throw usage(o.getKey() + ": expected a file of its own, found the same path as " + other + " ("
                        + o.getValue() + ")");
            }
            AtomicFiles.checkWritable(o.getValue());
        }
        for (Map.Entry<String, Path> dir : Map.of("--checkpoint-dir", nullSafe(checkpointDir), "--plots",
                nullSafe(plots), "--snapshots", nullSafe(snapshots)).entrySet()) {
            Path d = dir.getValue();
            if (d.toString().isEmpty()) {
                continue;
            }
            if (Files.exists(d) && !Files.isDirectory(d)) {
                throw new IOException(d + ": expected a folder for " + dir.getKey() + ", found a file");
            }
            Files.createDirectories(d);
            AtomicFiles.checkWritable(d.resolve("probe"));
        }
        if (checkpointDir == null && checkpointEvery != 0) {
            throw usage("--checkpoint-every: needs --checkpoint-dir");
        }
        if (resume != null && !Files.exists(resume)) {
            throw new java.nio.file.NoSuchFileException(resume.toString(), null, "no such checkpoint (--resume)");
        }
    }

    private static Path nullSafe(Path p) {
        return p == null ? Path.of("") : p;
    }

    private Map<String, Path> outputs() {
        Map<String, Path> m = new LinkedHashMap<>();
        if (save != null) {
            m.put("--save", save);
        }
        if (history != null) {
            m.put("--history", history);
        }
        return m;
    }

    private List<Integer> widths(String spec) {
        if (spec.equalsIgnoreCase("none")) {
            return List.of();
        }
        List<Integer> w = new ArrayList<>();
        for (String part : spec.split(",", -1)) {
            try {
                int n = Integer.parseInt(part.trim());
                if (n < 1 || n > 1 << 16) {
                    throw usage("--hidden: expected widths from 1 to 65536, found " + n);
                }
                w.add(n);
            } catch (NumberFormatException e) {
                throw usage("--hidden: expected widths separated by commas (e.g. 128,64), found '" + spec + "'");
            }
        }
        return w;
    }

    private Activation activation(String name) {
        try {
            return Activation.parse(name);
        } catch (IllegalArgumentException e) {
            throw usage("--activation: " + e.getMessage());
        }
    }

    private Init initScheme(String name) {
        try {
            return Init.parse(name);
        } catch (IllegalArgumentException e) {
            throw usage("--init: " + e.getMessage());
        }
    }

    private ModelInfo info(TrainingConfig config, Data d, double accuracy) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("model", model);
        t.put("epochs", config.epochs());
        t.put("batch_size", config.batchSize());
        t.put("optimizer", config.optimizer().toString());
        t.put("schedule", config.schedule().toString());
        t.put("loss", config.loss().toString());
        t.put("seed", config.seed());
        t.put("data", d.source());
        if (!Double.isNaN(accuracy)) {
            t.put("final_accuracy", accuracy);
        }
        List<String> names = !d.train().classNames().isEmpty() ? d.train().classNames()
                : IntStream.range(0, d.train().classes()).mapToObj(Integer::toString).collect(Collectors.toList());
        List<Float> mean = new ArrayList<>();
        List<Float> std = new ArrayList<>();
        if (d.scaling() != null) {
            for (int i = 0; i < d.scaling()[0].length; i++) {
                mean.add(d.scaling()[0][i]);
                std.add(d.scaling()[1][i]);
            }
        }
        return new ModelInfo(config.normalization(), names, t, mean, std);
    }

    private void checkRange(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw usage(option + ": expected " + min + " to " + max + ", found " + value);
        }
    }

    private void choice(String option, String value, String... allowed) {
        for (String a : allowed) {
            if (a.equals(value)) {
                return;
            }
        }
        throw usage(option + ": expected one of " + String.join(", ", allowed) + ", found '" + value + "'");
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
