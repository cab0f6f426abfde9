package org.example.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.DoubleModel;
import dev.pnn.train.GradientChecks;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Layer;
import dev.pnn.train.model.LayerContext;
import dev.pnn.train.model.LayerSpec;
import dev.pnn.train.model.LayerTypes;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.LogSoftMax;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.ModelSpec;
import dev.pnn.train.model.ParameterSpec;
import dev.pnn.train.model.Vjp;

import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Layers defined outside the library, through its public contract only: a parameterless
 * {@code Tanh} and a learnable per-feature {@code Scale}, written with plain loops over the
 * tensors. They train, gradient-check and round-trip through a model spec like the built-in ones.
 */
class UserLayersTest {

    /** {@code tanh(x)} elementwise. */
    record Tanh() implements Layer, DoubleModel.Exact {
        @Override
        public Shape outputShape(Shape input) {
            return input;
        }

        @Override
        public Vjp forward(LayerContext ctx, Tensor x) {
            Tensor y = ctx.output();
            for (long i = 0; i < x.size(); i++) {
                y.setFlat(i, (float) Math.tanh(x.getFlat(i)));
            }
            return new Vjp(y, dy -> {
                if (!ctx.needsInputGradient()) {
                    return null;
                }
                Tensor dx = ctx.inputGradient();
                for (long i = 0; i < dy.size(); i++) {
                    float v = y.getFlat(i);
                    dx.setFlat(i, dy.getFlat(i) * (1 - v * v));
                }
                return dx;
            });
        }

        @Override
        public LayerSpec spec() {
            return LayerSpec.of("Tanh");
        }

        @Override
        public double[][] apply(double[][] h, double[] theta, int offset) {
            return DoubleModel.map(h, Math::tanh);
        }
    }

    /** {@code y[r][c] = x[r][c] * weight[c]}, weight drawn uniform in [0.5, 1.5). */
    record Scale(int features) implements Layer, DoubleModel.Exact {
        @Override
        public Shape outputShape(Shape input) {
            if (input.rank() != 1 || input.dim(0) != features) {
                throw new IllegalArgumentException(this + " cannot take samples of shape " + input);
            }
            return input;
        }

        @Override
        public List<ParameterSpec> parameters() {
            return List.of(new ParameterSpec("weight", Shape.of(features), (t, scheme, rng) -> {
                for (long i = 0; i < t.size(); i++) {
                    t.setFlat(i, (float) rng.uniform(0.5, 1.5));
                }
            }));
        }

        @Override
        public Vjp forward(LayerContext ctx, Tensor x) {
            Tensor w = ctx.parameter(0);
            Tensor y = ctx.output();
            for (int r = 0; r < x.rows(); r++) {
                for (int c = 0; c < features; c++) {
                    y.set(r, c, x.get(r, c) * w.getFlat(c));
                }
            }
            return new Vjp(y, dy -> {
                Tensor dw = ctx.gradient(0);
                for (int c = 0; c < features; c++) {
                    double s = 0;
                    for (int r = 0; r < x.rows(); r++) {
                        s += (double) x.get(r, c) * dy.get(r, c);
                    }
                    dw.setFlat(c, (float) (dw.getFlat(c) + s));
                }
                if (!ctx.needsInputGradient()) {
                    return null;
                }
                Tensor dx = ctx.inputGradient();
                for (int r = 0; r < x.rows(); r++) {
                    for (int c = 0; c < features; c++) {
                        dx.set(r, c, dy.get(r, c) * w.getFlat(c));
                    }
                }
                return dx;
            });
        }

        @Override
        public LayerSpec spec() {
            return LayerSpec.of("Scale", "features", features);
        }

        @Override
        public double[][] apply(double[][] h, double[] theta, int offset) {
            double[][] y = new double[h.length][features];
            for (int r = 0; r < h.length; r++) {
                for (int c = 0; c < features; c++) {
                    y[r][c] = h[r][c] * theta[offset + c];
                }
            }
            return y;
        }
    }

    private static final Model MODEL = new Model(20, List.of(new Linear(20, 16), new Tanh(), new Scale(16),
            new Linear(16, 5), new LogSoftMax()));

    @Test
    void userLayersPassTheDoublePrecisionGradientCheck() {
        GradientChecks.checkAgainstDoublePrecision(MODEL, Loss.nll(), Init.PYTORCH_DEFAULT);
    }

    @Test
    void userLayersRoundTripThroughAModelSpecWithTheirTypesRegistered() {
        LayerTypes types = LayerTypes.builtIn()
                .with("Tanh", spec -> new Tanh())
                .with("Scale", spec -> new Scale(spec.intArgument("features")));
        String json = MODEL.spec().toJson();
        assertTrue(json.contains("{\"type\":\"Scale\",\"features\":16}"), json);
        assertEquals(MODEL, ModelSpec.fromJson(json).toModel(types));
        assertEquals(List.of(16L * 20 + 16, 0L, 16L, 16L * 5 + 5, 0L),
                MODEL.layers().stream().map(Layer::parameterCount).toList());
    }
}
