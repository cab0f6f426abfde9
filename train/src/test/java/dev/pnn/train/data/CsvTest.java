package dev.pnn.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {

    @TempDir
    Path dir;
    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    @Test
    void aHeaderNamedLabelsAndFloatFeatures() throws IOException {
        Path f = write("iris.csv", "sepal,petal,species\n5.1,1.4,setosa\n6.3,4.9,versicolor\n\n5.0,1.5,setosa\n");
        Csv.Table t = Csv.read(f, "species", arena);
        assertEquals(List.of("sepal", "petal"), t.featureNames());
        assertEquals(List.of("setosa", "versicolor"), t.data().classNames());
        assertEquals(3, t.data().size());
        assertArrayEquals(new int[] {0, 1, 0}, t.data().labels().toArray());
        assertArrayEquals(new float[] {5.1f, 1.4f, 6.3f, 4.9f, 5.0f, 1.5f}, t.data().table().toArray());
        // a test file keeps the training classes, in their order
        Path test = write("test.csv", "sepal,petal,species\n6.0,5.0,versicolor\n");
        assertArrayEquals(new int[] {1}, Csv.read(test, "species", t.data().classNames(), arena).data().labels().toArray());
    }

    @Test
    void noHeaderAndAWholeNumberLabelByIndex() throws IOException {
        Path f = write("plain.csv", "0.5,2,1\n1.5,-3e-2,0\n2.5,4,2\n");
        Csv.Table t = Csv.read(f, "2", arena);
        assertEquals(List.of("column 0", "column 1"), t.featureNames());
        assertEquals(List.of("0", "1", "2"), t.data().classNames());
        assertArrayEquals(new int[] {1, 0, 2}, t.data().labels().toArray());
    }

    @Test
    void standardizationUsesTheTrainingSetOnly() throws IOException {
        Csv.Table train = Csv.read(write("a.csv", "x,y,l\n1,10,0\n3,10,1\n"), "l", arena);
        Csv.Table test = Csv.read(write("b.csv", "x,y,l\n5,11,0\n"), "l", train.data().classNames(), arena);
        float[][] ms = Csv.standardize(train.data(), test.data());
        assertArrayEquals(new float[] {2, 10}, ms[0]);
        assertArrayEquals(new float[] {1, 1}, ms[1], "a constant column is only centred");
        assertArrayEquals(new float[] {-1, 0, 1, 0}, train.data().table().toArray());
        assertArrayEquals(new float[] {3, 1}, test.data().table().toArray());
    }

    private void refused(String content, String label, String expected) throws IOException {
        Path f = write("bad.csv", content);
        CsvFormatException e = assertThrows(CsvFormatException.class, () -> Csv.read(f, label, arena));
        assertEquals(f + ": " + expected, e.getMessage());
    }

    @Test
    void everyFailureNamesFileLineAndColumn() throws IOException {
        refused("", "0", "content: expected a header or data line, found an empty file");
        refused("a,b,label\n", "label", "content: expected data lines after the header, found none");
        refused("a,b,label\n1,2,x\n3,4\n", "label", "line 3: expected 3 fields, as the first line has, found 2 fields");
        refused("a,b,label\n1,2,x\n3,4,y,5\n", "label", "line 3: expected 3 fields, as the first line has, found 4 fields");
        refused("a,b,label\n1,zwei,x\n", "label", "line 2, column 2 (b): expected a number, found 'zwei'");
        refused("a,b,label\n1,NaN,x\n", "label", "line 2, column 2 (b): expected a finite number, found NaN");
        refused("a,b,label\n1,,x\n", "label", "line 2, column 2 (b): expected a number, found an empty field");
        refused("a,b,label\n1,2,\n", "label", "line 2, column 3 (label): expected a class label, found an empty field");
        refused("a,b,label\n1,2,x\n", "species", "line 1: expected a column named 'species', found columns [a, b, label]");
        refused("1,2,3\n", "7", "label column: expected an index below 3 (the number of columns), found 7");
        refused("1,2,3\n", "species", "line 1: expected a header line naming the label column 'species', found a line "
                + "of numbers (name the label column by its index instead)");
        Path train = write("train.csv", "a,label\n1,cat\n2,dog\n");
        Path test = write("test.csv", "a,label\n1,cat\n2,bird\n");
        List<String> classes = Csv.read(train, "label", arena).data().classNames();
        CsvFormatException e = assertThrows(CsvFormatException.class, () -> Csv.read(test, "label", classes, arena));
        assertEquals(test + ": line 3, column 2 (label): expected one of the training classes [cat, dog], found 'bird'",
                e.getMessage());
        e = assertThrows(CsvFormatException.class, () -> Csv.read(dir, "label", arena));
        assertEquals(dir + ": file: expected a regular file, found a folder", e.getMessage());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Csv.read(dir.resolve("none.csv"), "0", arena));
    }

    @Test
    void moonsAreTwoInterleavingArcs() {
        Dataset d = Moons.generate(arena, 1000, 0.1, 1);
        assertEquals(1000, d.size());
        assertEquals(2, d.features());
        assertEquals(List.of("upper", "lower"), d.classNames());
        double upperY = 0;
        double lowerY = 0;
        for (int i = 0; i < 1000; i++) {
            if (d.labels().get(i) == 0) {
                upperY += d.table().get(i, 1);
            } else {
                lowerY += d.table().get(i, 1);
            }
        }
        // the mean height of sin t over [0, pi] is 2/pi; the lower arc is 0.5 below zero by the same
        assertEquals(2 / Math.PI, upperY / 500, 0.05);
        assertEquals(0.5 - 2 / Math.PI, lowerY / 500, 0.05);
        assertArrayEquals(d.table().toArray(), Moons.generate(arena, 1000, 0.1, 1).table().toArray(), "seeded");
    }
}
