package dev.pnn.train.cli;

import static dev.pnn.train.cli.MainTest.DATA;
import static dev.pnn.train.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classic path through the command line: presets, pictures, snapshots, CSV, moons. */
class ClassicTest {

    private static double accuracy(String out) {
        return Double.parseDouble(out.replaceAll("(?s).*test accuracy: ([0-9.]+)%.*", "$1"));
    }

    /** A PNG of the given size that is not blank: many colours, and not one of them nearly everywhere. */
    static void assertPicture(Path png, int width, int height) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(width, img.getWidth(), png + " width");
        assertEquals(height, img.getHeight(), png + " height");
        Set<Integer> colours = new HashSet<>();
        java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                int rgb = img.getRGB(x, y);
                colours.add(rgb);
                counts.merge(rgb, 1, Integer::sum);
            }
        }
        int samples = (img.getWidth() / 2) * (img.getHeight() / 2);
        int most = counts.values().stream().max(Integer::compare).orElse(0);
        assertTrue(colours.size() > 20, png + " has only " + colours.size() + " colours");
        assertTrue(most < 0.9 * samples, png + ": one colour covers " + (100 * most / samples) + "%");
    }

    @Test
    void thePerceptronTellsThreesFromSevensAndWritesItsJson(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("perceptron.json");
        MainTest.Result r = run("train", "--model", "perceptron-3v7", "--data", DATA.toString(), "--save",
                json.toString());
        assertEquals(Main.OK, r.exit(), r.err());
        assertTrue(accuracy(r.out()) >= 98, r.out());
        assertTrue(r.out().contains("bright: evidence for 7, dark: evidence for 3"), r.out());
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(28, o.getAsJsonArray("weights").size());
        assertEquals(28, o.getAsJsonArray("weights").get(0).getAsJsonArray().size());
        assertEquals("MNIST", o.get("data_type").getAsString());
        assertEquals(1.0, o.get("learning_rate").getAsDouble());
        assertEquals(12_396, o.get("training_samples").getAsInt(), "the 6,131 3s and 6,265 7s of MNIST's training set");
        assertEquals(accuracy(r.out()), o.get("final_accuracy").getAsDouble(), 0.005);
        assertTrue(o.has("bias"));
    }

    /** One epoch with a validation split, plots and snapshots; then plot, inspect and evaluate read what it wrote. */
    @Test
    void trainDrawsItsPicturesAndInspectComparesSnapshots(@TempDir Path dir) throws IOException {
        Path plots = dir.resolve("plots");
        Path snaps = dir.resolve("snapshots");
        Path history = dir.resolve("history.json");
        Path model = dir.resolve("m.npz");
        MainTest.Result r = run("train", "--data", DATA.toString(), "--epochs", "2", "--validation", "5000", "--plots",
                plots.toString(), "--snapshots", snaps.toString(), "--history", history.toString(), "--save",
                model.toString());
        assertEquals(Main.OK, r.exit(), r.err());
        assertTrue(r.out().contains("55,000 training, 5,000 validation and 10,000 test examples"), r.out());
        assertTrue(r.out().matches("(?s).*epoch  2/2 .* validation  \\d\\d\\.\\d\\d% \\(loss .*"), r.out());
        assertPicture(plots.resolve("curves.png"), 1280, 420);
        assertPicture(plots.resolve("weights.png"), 720, 720);
        assertPicture(plots.resolve("confusion.png"), 640, 560);
        assertTrue(Files.readString(history).contains("\"validation_accuracy\": 9"), Files.readString(history));

        Path again = dir.resolve("again");
        MainTest.Result p = run("plot", history.toString(), "--model", model.toString(), "--data", DATA.toString(), "-o",
                again.toString());
        assertEquals(Main.OK, p.exit(), p.err());
        assertPicture(again.resolve("curves.png"), 1280, 420);
        assertPicture(again.resolve("confusion.png"), 640, 560);

        MainTest.Result i = run("inspect", snaps.resolve("epoch-001.json").toString(),
                snaps.resolve("epoch-002.json").toString(), "--data", DATA.toString());
        assertEquals(Main.OK, i.exit(), i.err());
        assertTrue(i.out().matches("(?s)layer +shape .*\\n0 +128x784 +\\d+\\.\\d{4} +\\d+\\.\\d{4} +\\d+\\.\\d{4} +"
                + "\\d+\\.\\d{4} +\\d+/128\\n1 +64x128 .*\\n2 +10x64 .* -\\n"), i.out());

        MainTest.Result e = run("evaluate", "--model", model.toString(), "--data", DATA.toString(), "--wrong", "2");
        assertEquals(Main.OK, e.exit(), e.err());
        assertTrue(e.out().matches("(?s).*the 2 most confidently wrong of \\d+ wrong test images:\\n\\ntest image \\d+: "
                + "true \\d, predicted \\d \\(\\d+\\.\\d%\\)\\n.*"), e.out());
    }

    /** auto computes the training images' own pixel statistics (MNIST's are 0.1307 and 0.3081). */
    @Test
    void autoNormalizationMeasuresTheTrainingImages() {
        MainTest.Result r = run("train", "--data", DATA.toString(), "--epochs", "1", "--normalize", "auto",
                "--model", "softmax");
        assertEquals(Main.OK, r.exit(), r.err());
        assertTrue(r.out().matches("(?s).*normalized \\(mean 0\\.1306\\d*, std 0\\.308\\d*\\).*"), r.out());
    }

    @Test
    void earlyStoppingOnTheCommandLine(@TempDir Path dir) {
        MainTest.Result needs = run("train", "--data", DATA.toString(), "--early-stopping", "2");
        assertEquals(Main.USAGE, needs.exit());
        assertTrue(needs.err().contains("--early-stopping: needs --validation"), needs.err());
    }

    @Test
    void moonsReach97PercentAndDrawTheirBoundary(@TempDir Path dir) throws IOException {
        Path png = dir.resolve("moons.png");
        MainTest.Result r = run("moons", "--plot", png.toString());
        assertEquals(Main.OK, r.exit(), r.err());
        assertTrue(accuracy(r.out()) >= 97, r.out());
        assertPicture(png, 720, 560);
    }

    /** A CSV table through the command line: moons written as CSV, labels by name, the test file separate. */
    @Test
    void aCsvTableTrainsAndItsErrorsAreNamed(@TempDir Path dir) throws IOException {
        StringBuilder train = new StringBuilder("x,y,side\n");
        StringBuilder test = new StringBuilder("x,y,side\n");
        dev.pnn.tensor.Rng rng = new dev.pnn.tensor.Rng(3);
        for (int i = 0; i < 600; i++) {
            double t = Math.PI * rng.nextDouble();
            boolean upper = i % 2 == 0;
            double x = (upper ? Math.cos(t) : 1 - Math.cos(t)) + 0.1 * rng.nextGaussian();
            double y = (upper ? Math.sin(t) : 0.5 - Math.sin(t)) + 0.1 * rng.nextGaussian();
            (i < 500 ? train : test).append(x).append(',').append(y).append(',').append(upper ? "up" : "down")
                    .append('\n');
        }
        Path a = Files.writeString(dir.resolve("train.csv"), train);
        Path b = Files.writeString(dir.resolve("test.csv"), test);
        Path model = dir.resolve("csv.npz");
        MainTest.Result r = run("train", "--csv", a.toString(), "--test-csv", b.toString(), "--label", "side",
                "--hidden", "16,16", "--epochs", "60", "--batch-size", "16", "--optimizer", "adam", "--lr", "0.01",
                "--save", model.toString());
        assertEquals(Main.OK, r.exit(), r.err());
        assertTrue(r.out().contains("500 training and 100 test examples, features standardized"), r.out());
        assertTrue(accuracy(r.out()) >= 97, r.out());
        var info = dev.pnn.train.io.ModelFile.info(model);
        assertEquals(java.util.List.of("down", "up"), info.classes());
        assertEquals(2, info.featureMean().size());

        Path bad = Files.writeString(dir.resolve("bad.csv"), "x,y,side\n1,2,up\n3,oops,down\n");
        MainTest.Result e = run("train", "--csv", bad.toString(), "--label", "side");
        assertEquals(Main.FAILED, e.exit());
        assertEquals("error: " + bad + ": line 3, column 2 (y): expected a number, found 'oops'", e.err().strip());
        Path unseen = Files.writeString(dir.resolve("unseen.csv"), "x,y,side\n1,2,left\n");
        e = run("train", "--csv", a.toString(), "--test-csv", unseen.toString(), "--label", "side");
        assertEquals("error: " + unseen + ": line 2, column 3 (label): expected one of the training classes [down, up], "
                + "found 'left'", e.err().strip());
    }
}
