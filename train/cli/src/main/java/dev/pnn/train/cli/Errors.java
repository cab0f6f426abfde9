package dev.pnn.train.cli;

import dev.pnn.tensor.NativeLibraryException;
import dev.pnn.train.fit.TrainingDivergedException;

import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

import picocli.CommandLine;

/** One line for a failure: what went wrong, where, and (when known) what to do; no stack trace. */
final class Errors {

    private Errors() {}

    static String describe(Throwable t) {
        if (t instanceof UncheckedIOException u && u.getCause() != null) {
            return describe(u.getCause());
        }
        return switch (t) {
            case NoSuchFileException e -> "cannot read " + e.getFile() + ": " + (e.getReason() == null
                    ? "no such file" : e.getReason());
            case AccessDeniedException e -> e.getFile() + ": permission denied"
                    + (e.getReason() == null ? "" : " (" + e.getReason() + ")");
            case FileSystemException e -> e.getFile() + ": " + (e.getReason() == null ? e.getClass().getSimpleName()
                    : e.getReason()) + (e.getOtherFile() == null ? "" : " (" + e.getOtherFile() + ")");
            case NativeLibraryException e -> e.getMessage()
                    + " On this command line, --backend reference runs without native code (about 36 times slower).";
            case TrainingDivergedException e -> e.getMessage();
            case OutOfMemoryError e -> "out of memory (" + e.getMessage() + "): a smaller model or batch needs less";
            default -> t.getMessage() == null ? t.toString() : t.getMessage();
        };
    }

    static int exitCode(Throwable t) {
        return t instanceof CommandLine.ParameterException ? Main.USAGE : Main.FAILED;
    }
}
