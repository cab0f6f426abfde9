package dev.pnn.train.cli;

import java.nio.file.Path;

import picocli.CommandLine.Option;

/** Where the MNIST files are, for every command that reads them. */
final class DataOption {

    @Option(names = "--data", defaultValue = "data/mnist", paramLabel = "DIR",
            description = "folder with the four MNIST IDX files, raw or .gz  [default: ${DEFAULT-VALUE}]")
    Path dir;
}
