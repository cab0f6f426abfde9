package dev.pnn.train.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code pnn}: train, evaluate, predict and export with panama-nn from the command line. Exit
 * codes: 0 done, 1 failed (data, files, native libraries, divergence), 2 bad command line.
 */
@Command(name = "pnn", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Trains, evaluates and runs neural networks on the CPU (panama-nn).",
        subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, ExportCommand.class,
                PlotCommand.class, InspectCommand.class, MoonsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line with {@code args}, printing to {@code out} and {@code err}; returns the exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        PrintWriter o = new PrintWriter(out, true, StandardCharsets.UTF_8);
        PrintWriter e = new PrintWriter(err, true, StandardCharsets.UTF_8);
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(o);
        cli.setErr(e);
        cli.setExitCodeExceptionMapper(t -> FAILED);
        cli.setParameterExceptionHandler((ex, args1) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("error: " + ex.getMessage());
            c.getErr().println("Run '" + c.getCommandSpec().qualifiedName() + " --help' to see the options.");
            return USAGE;
        });
        cli.setExecutionExceptionHandler((ex, c, parsed) -> {
            c.getErr().println("error: " + Errors.describe(ex));
            if (parsed.hasMatchedOption("--verbose")
                    || parsed.subcommand() != null && parsed.subcommand().hasMatchedOption("--verbose")) {
                ex.printStackTrace(c.getErr());
            }
            return Errors.exitCode(ex);
        });
        int code = cli.execute(args);
        o.flush();
        e.flush();
        return code;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** The project version, from the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"panama-nn " + p.getProperty("version", "(unknown version)") + ", Java "
                    + Runtime.version()};
        }
    }
}
