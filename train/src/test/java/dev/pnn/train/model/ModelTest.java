package dev.pnn.train.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.Shape;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ModelTest {

    @Test
    void modelsCheckThatLayersFitTogetherWhenBuilt() {
        Model m = Model.mnist();
        assertEquals("784-128-64-10", m.widths());
        assertEquals(784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10, m.parameterCount());
        assertEquals(6, m.layers().size());
        assertEquals(Shape.of(64), m.shape(4));
        assertEquals(Shape.of(10), m.output());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Model.sequential(new Linear(784, 128), new ReLU(), new Linear(100, 10)));
        assertTrue(e.getMessage().contains("layer 2: Linear(100, 10) cannot take 128 input features"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Model(Shape.of(1, 28, 28), List.of(new Linear(784, 10))));
        assertTrue(e.getMessage().contains("cannot take samples of shape 1x28x28 (flatten them first)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Model.sequential(new ReLU()));
        assertThrows(IllegalArgumentException.class, () -> new Linear(0, 3));
        assertThrows(IllegalArgumentException.class, () -> new Model(0, List.of(new ReLU())));
        Model wide = Model.mlp(784, List.of(256, 128, 64), 10, Activation.SIGMOID);
        assertEquals("784-256-128-64-10", wide.widths());
        assertTrue(wide.layers().get(1) instanceof Sigmoid);
        assertEquals(Model.mnist(), Model.mlp(784, List.of(128, 64), 10, Activation.RELU));
        assertNotEquals(Model.mnist(), wide);
    }

    @Test
    void theSpecRoundTripsThroughJsonAndRebuildsTheModel() {
        Model m = Model.mnist();
        String json = m.spec().toJson();
        assertEquals("{\"input\":[784],\"layers\":[{\"type\":\"Linear\",\"in\":784,\"out\":128},{\"type\":\"ReLU\"},"
                + "{\"type\":\"Linear\",\"in\":128,\"out\":64},{\"type\":\"ReLU\"},"
                + "{\"type\":\"Linear\",\"in\":64,\"out\":10},{\"type\":\"LogSoftMax\"}]}", json);
        ModelSpec back = ModelSpec.fromJson(json);
        assertEquals(m.spec(), back);
        assertEquals(m, back.toModel());
        Model images = new Model(Shape.of(2, 3, 4), List.of(new Sigmoid()));
        assertEquals(images, ModelSpec.fromJson(images.spec().toJson()).toModel());
    }

    @Test
    void aBadSpecIsAnErrorNamingTheFieldAndWhatWasFound() {
        assertMessage("model spec: not valid JSON", "{\"input\": [784], ");
        assertMessage("model spec: input: expected an array of dimensions such as [784], found \"784\"",
                "{\"input\": \"784\", \"layers\": [{\"type\": \"ReLU\"}]}");
        assertMessage("model spec: input[0]: expected a whole number >= 1, found 0",
                "{\"input\": [0], \"layers\": [{\"type\": \"ReLU\"}]}");
        assertMessage("model spec: layers: expected a non-empty array, found []", "{\"input\": [3], \"layers\": []}");
        assertMessage("model spec: layers[0].type: expected a string, found nothing",
                "{\"input\": [3], \"layers\": [{\"in\": 3}]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.fromJson(
                "{\"input\": [3], \"layers\": [{\"type\": \"Conv9d\"}]}").toModel());
        assertTrue(e.getMessage().startsWith("layers[0]: unknown layer type 'Conv9d': known types are Linear, ReLU"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.fromJson(
                "{\"input\": [3], \"layers\": [{\"type\": \"Linear\", \"in\": 3, \"out\": 2.5}]}").toModel());
        assertEquals("layers[0]: Linear: argument 'out': expected a whole number, found 2.5", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.fromJson(
                "{\"input\": [3], \"layers\": [{\"type\": \"ReLU\", \"inplace\": true}]}").toModel());
        assertEquals("layers[0]: ReLU: unexpected argument(s) [inplace]; expected none", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.fromJson(
                "{\"input\": [3], \"layers\": [{\"type\": \"Linear\", \"in\": 4, \"out\": 2}]}").toModel());
        assertTrue(e.getMessage().startsWith("layer 0: Linear(4, 2) cannot take 3 input features"), e.getMessage());
    }

    private static void assertMessage(String expected, String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelSpec.fromJson(json));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }

    @Test
    void layerSpecArgumentsCompareEqualWhateverNumberTypeMadeThem() {
        assertEquals(LayerSpec.of("Linear", "in", 3, "out", 2), new LayerSpec("Linear", Map.of("in", 3.0, "out", 2L)));
        assertEquals(0.5, LayerSpec.of("Dropout", "p", 0.5).doubleArgument("p"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LayerSpec.of("Linear", "in", 3).intArgument("out"));
        assertEquals("Linear: argument 'out' is missing (found [in])", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LayerSpec.of("X", "type", 1));
        assertThrows(IllegalArgumentException.class, () -> LayerSpec.of("X", "list", List.of(1)));
    }

    @Test
    void fusionsRewriteLinearReluPairsAndNllAfterLogSoftMax() {
        Model m = Model.mnist();
        List<Fusions.Step> all = Fusions.plan(m.layers(), 6);
        assertEquals(List.of(0, 2, 4, 5), all.stream().map(Fusions.Step::first).toList());
        assertEquals(List.of(2, 2, 1, 1), all.stream().map(Fusions.Step::count).toList());
        assertEquals("Linear(784, 128)+ReLU", all.getFirst().layer().toString());
        // a prefix ending on a Linear runs it unfused
        assertEquals(List.of(1), Fusions.plan(m.layers(), 1).stream().map(Fusions.Step::count).toList());

        Model logits = new Model(784, List.of(new Linear(784, 10)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Fusions.objective(logits, Loss.nll()));
        assertTrue(e.getMessage().contains("does not end in LogSoftMax"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Fusions.objective(m, Loss.crossEntropy()));
        assertTrue(e.getMessage().contains("already ends in LogSoftMax: use Loss.nll()"), e.getMessage());
        assertEquals(new Fusions.Objective(5, Loss.crossEntropy()), Fusions.objective(m, Loss.nll()));
        assertEquals(new Fusions.Objective(1, Loss.crossEntropy()), Fusions.objective(logits, Loss.crossEntropy()));
        Model onlyLogSoftMax = new Model(10, List.of(new LogSoftMax()));
        assertEquals(new Fusions.Objective(1, Loss.nll()), Fusions.objective(onlyLogSoftMax, Loss.nll()));
    }

    @Test
    void layersDeclareTheirParametersInPyTorchsManner() {
        List<ParameterSpec> p = new Linear(784, 128).parameters();
        assertEquals(List.of("weight", "bias"), p.stream().map(ParameterSpec::name).toList());
        assertEquals(Shape.of(784, 128), p.get(0).shape());
        assertEquals(Shape.of(128), p.get(1).shape());
        assertEquals(0, new ReLU().parameterCount());
        assertThrows(IllegalArgumentException.class, () -> new ParameterSpec("0.weight", Shape.of(1), Initializer.constant(0)));
    }

    @Test
    void convolutionalLayersCheckTheirShapes() {
        assertEquals(Shape.of(13, 12, 8), new Conv2d(3, 8, 3, 2, 1).outputShape(Shape.of(26, 23, 3)));
        assertEquals(Shape.of(4, 3, 5), new MaxPool2d(3, 2).outputShape(Shape.of(9, 8, 5)));
        assertEquals(Shape.of(60), new Flatten().outputShape(Shape.of(2, 6, 5)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Model(Shape.of(28, 28, 1), List.of(new Conv2d(3, 8, 3))));
        assertTrue(e.getMessage().contains("Conv2d(3, 8, 3) cannot take samples of shape 28x28x1 (it takes h x w x 3"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Model(Shape.of(2, 2, 1), List.of(new MaxPool2d(3))));
        assertTrue(e.getMessage().contains("MaxPool2d(3) cannot take samples of shape 2x2x1"), e.getMessage());
        IllegalArgumentException padding = assertThrows(IllegalArgumentException.class,
                () -> new Conv2d(1, 8, 3, 1, 3), "padding below the kernel");
        assertTrue(padding.getMessage().startsWith("Conv2d(in 1, out 8, kernel 3, stride 1, padding 3): expected"),
                padding.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Dropout(1.0));
        Model m = new Model(Shape.of(9, 9, 2), List.of(new Conv2d(2, 4, 3, 2, 1), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Dropout(0.3), new Linear(16, 3), new LogSoftMax()));
        assertEquals(m, ModelSpec.fromJson(m.spec().toJson()).toModel());
        assertTrue(m.spec().toJson().contains("{\"type\":\"Conv2d\",\"in\":2,\"out\":4,\"kernel\":3,\"stride\":2,"
                + "\"padding\":1}"), m.spec().toJson());
        assertEquals(List.of(2, 1, 1, 1, 1, 1), Fusions.plan(m.layers(), 7).stream().map(Fusions.Step::count).toList());
        assertEquals("Conv2d(2, 4, 3, stride 2, padding 1)+ReLU", Fusions.plan(m.layers(), 7).getFirst().layer()
                .toString());
    }
}
