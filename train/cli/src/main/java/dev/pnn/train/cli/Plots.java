package dev.pnn.train.cli;

import dev.pnn.train.fit.EpochStats;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The pictures people learn from, drawn with XChart and written as PNG files. */
final class Plots {

    private Plots() {}

    /** Loss and accuracy per epoch, for training, validation (when there is one) and test, side by side. */
    static void curves(List<EpochStats> epochs, Path png) throws IOException {
        XYChart loss = new XYChartBuilder().width(640).height(420).title("Loss").xAxisTitle("epoch")
                .yAxisTitle("mean loss").build();
        XYChart accuracy = new XYChartBuilder().width(640).height(420).title("Accuracy").xAxisTitle("epoch")
                .yAxisTitle("percent right").build();
        double[] x = epochs.stream().mapToDouble(EpochStats::epoch).toArray();
        add(loss, "train", x, epochs, EpochStats::trainLoss);
        add(accuracy, "train", x, epochs, EpochStats::trainAccuracy);
        if (epochs.getFirst().hasValidation()) {
            add(loss, "validation", x, epochs, EpochStats::validationLoss);
            add(accuracy, "validation", x, epochs, EpochStats::validationAccuracy);
        }
        add(loss, "test", x, epochs, EpochStats::testLoss);
        add(accuracy, "test", x, epochs, EpochStats::testAccuracy);
        save(List.of(loss, accuracy), 1, 2, png);
    }

    private static void add(XYChart chart, String name, double[] x, List<EpochStats> epochs,
                            ToDoubleFunction<EpochStats> y) {
        XYSeries s = chart.addSeries(name, x, epochs.stream().mapToDouble(y).toArray());
        s.setMarker(SeriesMarkers.CIRCLE);
    }

    /**
     * The first layer's weights as pictures: one {@code side x side} heat map per unit (a row of
     * {@code weights}, PyTorch's orientation), for the first {@code units} units, in a grid.
     */
    static void weights(float[][] weights, int side, int units, Path png) throws IOException {
        int n = Math.min(units, weights.length);
        int cols = (int) Math.ceil(Math.sqrt(n));
        int rows = (n + cols - 1) / cols;
        List<Chart<?, ?>> charts = new ArrayList<>();
        float max = 0;
        for (int u = 0; u < n; u++) {
            for (float w : weights[u]) {
                max = Math.max(max, Math.abs(w));
            }
        }
        for (int u = 0; u < n; u++) {
            HeatMapChart c = new HeatMapChartBuilder().width(180).height(180).title("unit " + u).build();
            c.getStyler().setAxisTicksVisible(false);
            c.getStyler().setPlotContentSize(1.0);
            c.getStyler().setLegendVisible(false);
            c.getStyler().setChartTitleFont(c.getStyler().getChartTitleFont().deriveFont(10f));
            c.getStyler().setRangeColors(new Color[] {new Color(33, 102, 172), Color.WHITE, new Color(178, 24, 43)});
            c.getStyler().setMin(-max).setMax(max);
            List<Number[]> cells = new ArrayList<>();
            for (int y = 0; y < side; y++) {
                for (int x = 0; x < side; x++) {
                    cells.add(new Number[] {x, side - 1 - y, weights[u][y * side + x]});
                }
            }
            c.addSeries("w", range(side), range(side), cells);
            charts.add(c);
        }
        save(charts, rows, cols, png);
    }

    /** The confusion matrix as a heat map: rows the true class, columns the predicted one. */
    static void confusion(int[][] matrix, List<String> names, Path png) throws IOException {
        int k = matrix.length;
        HeatMapChart c = new HeatMapChartBuilder().width(640).height(560).title("Confusion matrix (test set)")
                .xAxisTitle("predicted").yAxisTitle("true").build();
        c.getStyler().setShowValue(true);
        c.getStyler().setPlotContentSize(1.0);
        c.getStyler().setRangeColors(new Color[] {Color.WHITE, new Color(255, 200, 120), new Color(180, 30, 30)});
        List<Number[]> cells = new ArrayList<>();
        for (int t = 0; t < k; t++) {
            for (int p = 0; p < k; p++) {
                cells.add(new Number[] {p, k - 1 - t, matrix[t][p]});
            }
        }
        List<String> reversed = new ArrayList<>(names);
        java.util.Collections.reverse(reversed);
        c.addSeries("count", names, reversed, cells);
        save(List.of(c), 1, 1, png);
    }

    /**
     * A two-feature classifier's decision regions (a fine grid coloured by predicted class) with
     * the examples over them.
     */
    static void boundary(double[][] grid, int[] gridClass, double[][] points, int[] labels, List<String> names,
                         Path png) throws IOException {
        XYChart c = new XYChartBuilder().width(720).height(560).title("Decision boundary").xAxisTitle("x")
                .yAxisTitle("y").build();
        c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(4);
        Color[] region = {new Color(198, 219, 239), new Color(253, 208, 162)};
        Color[] point = {new Color(8, 81, 156), new Color(166, 54, 3)};
        for (int k = 0; k < names.size(); k++) {
            addPoints(c, "region " + names.get(k), grid, gridClass, k, region[k % 2], 3);
        }
        for (int k = 0; k < names.size(); k++) {
            addPoints(c, names.get(k), points, labels, k, point[k % 2], 5);
        }
        save(List.of(c), 1, 1, png);
    }

    private static void addPoints(XYChart c, String name, double[][] xy, int[] cls, int k, Color color, int size) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int i = 0; i < xy.length; i++) {
            if (cls[i] == k) {
                xs.add(xy[i][0]);
                ys.add(xy[i][1]);
            }
        }
        if (!xs.isEmpty()) {
            XYSeries s = c.addSeries(name, xs, ys);
            s.setMarker(SeriesMarkers.CIRCLE).setMarkerColor(color);
        }
    }

    private static List<Integer> range(int n) {
        List<Integer> r = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            r.add(i);
        }
        return r;
    }

    private static void save(List<? extends Chart<?, ?>> charts, int rows, int cols, Path png) throws IOException {
        @SuppressWarnings({"unchecked", "rawtypes"})
        List<Chart> list = (List) charts;
        if (list.size() == 1) {
            BitmapEncoder.saveBitmap(list.getFirst(), png.toString(), BitmapEncoder.BitmapFormat.PNG);
        } else {
            BitmapEncoder.saveBitmap(list, rows, cols, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
