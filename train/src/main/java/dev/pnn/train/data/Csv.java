package dev.pnn.train.data;

import de.siegmar.fastcsv.reader.CsvParseException;
import de.siegmar.fastcsv.reader.CsvReader;
import de.siegmar.fastcsv.reader.CsvRecord;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Tabular data from CSV files: one example a row, one column of class labels, the other columns
 * float features. Every failure names the file, the line and the column ({@link CsvFormatException}).
 *
 * <ul>
 *   <li>A header line is recognized by itself: the first row is a header when a column other
 *       than the label is not a number.</li>
 *   <li>The label column is named ({@code species}, which needs a header) or given by its
 *       index from 0.</li>
 *   <li>Labels are whole numbers (class {@code k} is {@code k}) or names (classes numbered in
 *       sorted order); the names are kept, so that a test file and a model share them.</li>
 * </ul>
 */
public final class Csv {

    /** A table read from a file: its examples and the names of its feature columns. */
    public record Table(Dataset data, List<String> featureNames) {}

    private Csv() {}

    /**
     * Reads a training file: the classes are the labels it holds.
     *
     * @param label the label column's name or index
     */
    public static Table read(Path file, String label, Arena arena) throws IOException {
        return read(file, label, null, arena);
    }

    /**
     * Reads {@code file}; with {@code classes} (a training file's class names), every label must
     * be one of them.
     */
    public static Table read(Path file, String label, List<String> classes, Arena arena) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new CsvFormatException(file, "file", "a regular file",
                    Files.isDirectory(file) ? "a folder" : "a special file (FIFO, device or socket)");
        }
        List<CsvRecord> records = new ArrayList<>();
        try (CsvReader<CsvRecord> reader = CsvReader.builder().ignoreDifferentFieldCount(true).skipEmptyLines(true)
                .ofCsvRecord(file)) {
            reader.forEach(records::add);
        } catch (CsvParseException | UncheckedIOException e) {
            throw new CsvFormatException(file, "CSV structure", "well-formed CSV", e.getMessage());
        }
        if (records.isEmpty()) {
            throw new CsvFormatException(file, "content", "a header or data line", "an empty file");
        }
        List<String> first = records.get(0).getFields();
        int labelColumn = labelColumn(file, label, first);
        boolean header = false;
        for (int c = 0; c < first.size(); c++) {
            if (c != labelColumn && !isNumber(first.get(c))) {
                header = true;
                break;
            }
        }
        int columns = first.size();
        List<String> names = new ArrayList<>();
        for (int c = 0; c < columns; c++) {
            if (c != labelColumn) {
                names.add(header ? first.get(c).strip() : "column " + c);
            }
        }
        List<CsvRecord> rows = records.subList(header ? 1 : 0, records.size());
        if (rows.isEmpty()) {
            throw new CsvFormatException(file, "content", "data lines after the header", "none");
        }
        int features = columns - 1;
        float[] values = new float[Math.multiplyExact(rows.size(), features)];
        String[] labels = new String[rows.size()];
        for (int r = 0; r < rows.size(); r++) {
            CsvRecord rec = rows.get(r);
            long line = rec.getStartingLineNumber();
            if (rec.getFieldCount() != columns) {
                throw new CsvFormatException(file, "line " + line, columns + " fields, as the first line has",
                        rec.getFieldCount() + " fields");
            }
            int f = 0;
            for (int c = 0; c < columns; c++) {
                String v = rec.getField(c).strip();
                String where = "line " + line + ", column " + (c + 1) + " (" + (c == labelColumn ? "label" : names.get(f))
                        + ")";
                if (c == labelColumn) {
                    if (v.isEmpty()) {
                        throw new CsvFormatException(file, where, "a class label", "an empty field");
                    }
                    labels[r] = v;
                    continue;
                }
                float x;
                try {
                    x = Float.parseFloat(v);
                } catch (NumberFormatException e) {
                    throw new CsvFormatException(file, where, "a number", v.isEmpty() ? "an empty field" : "'" + v + "'");
                }
                if (!Float.isFinite(x)) {
                    throw new CsvFormatException(file, where, "a finite number", v);
                }
                values[r * features + f++] = x;
            }
        }
        List<String> classNames = classes != null ? classes : classes(labels);
        Map<String, Integer> index = new TreeMap<>();
        for (int i = 0; i < classNames.size(); i++) {
            index.put(classNames.get(i), i);
        }
        IntVector y = IntVector.allocate(arena, rows.size());
        for (int r = 0; r < rows.size(); r++) {
            Integer k = index.get(labels[r]);
            if (k == null) {
                throw new CsvFormatException(file, "line " + rows.get(r).getStartingLineNumber() + ", column "
                        + (labelColumn + 1) + " (label)", "one of the training classes " + classNames,
                        "'" + labels[r] + "'");
            }
            y.set(r, k);
        }
        Tensor x = Tensor.allocate(arena, rows.size(), features);
        x.set(0, values);
        return new Table(Dataset.ofTable(x, y, classNames.size(), classNames), names);
    }

    /** Whole numbers 0..max as "0".."max", else the distinct names in sorted order. */
    private static List<String> classes(String[] labels) {
        boolean whole = true;
        int max = -1;
        for (String l : labels) {
            if (l.matches("\\d{1,6}")) {
                max = Math.max(max, Integer.parseInt(l));
            } else {
                whole = false;
            }
        }
        List<String> out = new ArrayList<>();
        if (whole) {
            for (int k = 0; k <= max; k++) {
                out.add(Integer.toString(k));
            }
            return out;
        }
        out.addAll(new TreeSet<>(List.of(labels)));
        return out;
    }

    private static int labelColumn(Path file, String label, List<String> first) throws CsvFormatException {
        if (label.matches("\\d+")) {
            int c = Integer.parseInt(label);
            if (c >= first.size()) {
                throw new CsvFormatException(file, "label column", "an index below " + first.size()
                        + " (the number of columns)", label);
            }
            return c;
        }
        for (int c = 0; c < first.size(); c++) {
            if (first.get(c).strip().equals(label)) {
                return c;
            }
        }
        if (first.stream().allMatch(Csv::isNumber)) {
            throw new CsvFormatException(file, "line 1", "a header line naming the label column '" + label + "'",
                    "a line of numbers (name the label column by its index instead)");
        }
        throw new CsvFormatException(file, "line 1", "a column named '" + label + "'", "columns " + first);
    }

    private static boolean isNumber(String s) {
        try {
            Float.parseFloat(s.strip());
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * Scales every feature column of {@code train}, and of {@code others} with the same numbers,
     * to mean 0 and standard deviation 1 over {@code train} (a constant column is only centred);
     * returns the means and standard deviations used.
     */
    public static float[][] standardize(Dataset train, Dataset... others) {
        int n = train.size();
        int f = train.features();
        float[] row = new float[f];
        double[] sum = new double[f];
        double[] sumSq = new double[f];
        for (int r = 0; r < n; r++) {
            train.table().get((long) r * f, row);
            for (int c = 0; c < f; c++) {
                sum[c] += row[c];
                sumSq[c] += (double) row[c] * row[c];
            }
        }
        float[] mean = new float[f];
        float[] std = new float[f];
        for (int c = 0; c < f; c++) {
            double m = sum[c] / n;
            double var = Math.max(0, sumSq[c] / n - m * m);
            mean[c] = (float) m;
            std[c] = var > 1e-12 ? (float) Math.sqrt(var) : 1f;
        }
        List<Dataset> all = new ArrayList<>(List.of(train));
        all.addAll(List.of(others));
        for (Dataset d : all) {
            for (int r = 0; r < d.size(); r++) {
                d.table().get((long) r * f, row);
                for (int c = 0; c < f; c++) {
                    row[c] = (row[c] - mean[c]) / std[c];
                }
                d.table().set((long) r * f, row);
            }
        }
        return new float[][] {mean, std};
    }
}
