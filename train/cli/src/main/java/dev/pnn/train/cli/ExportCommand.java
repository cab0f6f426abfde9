package dev.pnn.train.cli;

import dev.pnn.tensor.Backends;
import dev.pnn.train.exec.Parameters;
import dev.pnn.train.io.AtomicFiles;
import dev.pnn.train.io.ModelFile;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pnn export}: a saved model as JSON (param_0, param_1, ...) or as a fresh .npz. */
@Command(name = "export", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Writes a saved model in another format.",
                "json: {\"param_0\": ..., \"param_1\": ...}, every parameter in the model's order (for each Linear "
                        + "layer its weight, then its bias), as PyTorch holds them: a weight is a list of 'out' rows "
                        + "of 'in' values (y = W x + b), a bias a list of 'out' values.",
                "npz: the model file again (numpy.load and PyTorch open it)."})
final class ExportCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "a model file (.npz)")
    Path model;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "json | npz")
    String format;

    @Option(names = {"--output", "-o"}, required = true, paramLabel = "FILE", description = "the file to write")
    Path output;

    @Override
    public Integer call() throws Exception {
        if (!format.equals("json") && !format.equals("npz")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--format: expected json or npz, found '"
                    + format + "'");
        }
        if (output.toAbsolutePath().normalize().equals(model.toAbsolutePath().normalize())) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--output: expected another file than "
                    + "--model, found the same (" + output + ")");
        }
        AtomicFiles.checkWritable(output);
        try (ModelFile.Loaded m = ModelFile.load(model, Backends.named("reference"))) {
            if (format.equals("npz")) {
                ModelFile.save(output, m.network(), m.info());
            } else {
                Parameters p = m.network().parameters();
                AtomicFiles.write(output, out -> ParamJson.write(out, p));
            }
        }
        spec.commandLine().getOut().println("wrote " + output);
        return Main.OK;
    }
}
