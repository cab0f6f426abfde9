package dev.pnn.train.exec;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.model.Fusions;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Model;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A {@link Model} with {@link Parameters}, run on a {@link Backend}: the executor. It holds what
 * every caller shares and never changes while they run: the model, the parameters, and the plans
 * that run the model's layers (with the {@link Fusions} applied). What one caller needs to run
 * it (activations, gradients) is a {@link Workspace}: {@link #newWorkspace()} makes one, and
 * several can run on one network from several threads at once.
 *
 * <pre>{@code
 * try (Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 42);
 *      Workspace ws = net.newWorkspace()) {
 *     Vjp y = ws.forward(x);                  // the output and its pullback
 *     ws.zeroGradients();
 *     y.pullback().apply(dLoss);              // accumulates into ws.gradients()
 * }
 * }</pre>
 *
 * <p>Ownership: a network made by {@link #create}, {@link #zeros} or {@link #adopt} owns its
 * parameters and frees them on {@link #close()}; one made by {@link #over} shares parameters
 * that its caller closes.
 * Workspaces belong to whoever made them. Closing a network while workspaces still run on it
 * makes their next access throw {@link IllegalStateException}; it never crashes.
 */
public final class Network implements AutoCloseable {

    private final Parameters parameters;
    private final Backend backend;
    private final boolean ownsParameters;
    /** plans.get(count - 1): the steps that run the first {@code count} layers. */
    private final List<List<Fusions.Step>> plans;
    /** stepParameters[count - 1][step]: the parameters of that step, in order. */
    private final Tensor[][][] stepParameters;

    private Network(Parameters parameters, Backend backend, boolean ownsParameters) {
        this.parameters = parameters;
        this.backend = backend;
        this.ownsParameters = ownsParameters;
        Model model = parameters.model();
        int n = model.layers().size();
        List<List<Fusions.Step>> p = new ArrayList<>(n);
        this.stepParameters = new Tensor[n][][];
        for (int count = 1; count <= n; count++) {
            List<Fusions.Step> steps = Fusions.plan(model.layers(), count);
            p.add(steps);
            stepParameters[count - 1] = collect(steps, parameters::layer);
        }
        this.plans = List.copyOf(p);
    }

    /** Per step, the tensors of the layers it covers, concatenated in order. */
    static Tensor[][] collect(List<Fusions.Step> steps, IntFunction<Tensor[]> byLayer) {
        Tensor[][] out = new Tensor[steps.size()][];
        for (int s = 0; s < out.length; s++) {
            Fusions.Step step = steps.get(s);
            List<Tensor> all = new ArrayList<>();
            for (int l = step.first(); l <= step.last(); l++) {
                all.addAll(List.of(byLayer.apply(l)));
            }
            out[s] = all.toArray(Tensor[]::new);
        }
        return out;
    }

    /**
     * A network for {@code model} on {@code backend}, its parameters drawn by {@code init} from
     * {@code seed} ({@link Parameters#initialized}); it owns them.
     */
    public static Network create(Model model, Backend backend, Init init, long seed) {
        return new Network(Parameters.initialized(model, init, seed), backend, true);
    }

    /** A network for {@code model} with every parameter zero; it owns them. */
    public static Network zeros(Model model, Backend backend) {
        return new Network(Parameters.zeros(model), backend, true);
    }

    /** A network that owns {@code parameters} from now on (and closes them on {@link #close()}). */
    public static Network adopt(Parameters parameters, Backend backend) {
        return new Network(parameters, backend, true);
    }

    /** A network over parameters the caller owns (and closes after this network's last use). */
    public static Network over(Parameters parameters, Backend backend) {
        return new Network(parameters, backend, false);
    }

    public Model model() {
        return parameters.model();
    }

    public Backend backend() {
        return backend;
    }

    public Parameters parameters() {
        return parameters;
    }

    /**
     * A new workspace on this network, keeping buffers for up to
     * {@value Workspace#DEFAULT_BATCH_SIZES} batch sizes. The caller owns it and closes it.
     */
    public Workspace newWorkspace() {
        return new Workspace(this, Workspace.DEFAULT_BATCH_SIZES);
    }

    /** A new workspace keeping buffers for up to {@code batchSizes} batch sizes at once. */
    public Workspace newWorkspace(int batchSizes) {
        return new Workspace(this, batchSizes);
    }

    List<Fusions.Step> plan(int layers) {
        return plans.get(layers - 1);
    }

    Tensor[] stepParameters(int layers, int step) {
        return stepParameters[layers - 1][step];
    }

    /** Frees the parameters when this network owns them. */
    @Override
    public void close() {
        if (ownsParameters) {
            parameters.close();
        }
    }

    @Override
    public String toString() {
        return "Network[" + model() + ", " + model().parameterCount() + " parameters, " + backend.name() + "]";
    }
}
