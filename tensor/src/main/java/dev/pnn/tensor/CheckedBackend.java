package dev.pnn.tensor;

/**
 * The argument checks every backend shares: each public operation is final, checks shapes,
 * aliasing and index ranges, then hands over to the implementation. An implementation can
 * therefore trust its arguments, and the native one never sees an input that could crash C.
 */
abstract sealed class CheckedBackend implements Backend permits NativeBackend, ReferenceBackend {

    // ---- linear algebra ----------------------------------------------------------------------

    @Override
    public final Tensor gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        int k = product("gemm", transA, transB, a, b, "c", c);
        gemmImpl(transA, transB, c.rows(), c.cols(), k, alpha, a, b, beta, c);
        return c;
    }

    @Override
    public final void sgdOfProduct(boolean transA, boolean transB, Tensor a, Tensor b, Tensor params, Tensor scratch,
                                   float lr, float weightDecay) {
        String op = "sgdOfProduct";
        int k = product(op, transA, transB, a, b, "params", params);
        optimizerBuffer(op, "scratch", scratch, params);
        disjoint(op, "scratch", scratch, "a", a);
        disjoint(op, "scratch", scratch, "b", b);
        sgdOfProductImpl(transA, transB, params.rows(), params.cols(), k, a, b, params, scratch, lr, weightDecay);
    }

    @Override
    public final void sgdMomentumOfProduct(boolean transA, boolean transB, Tensor a, Tensor b, Tensor params,
                                           Tensor velocity, Tensor scratch, float lr, float momentum,
                                           float weightDecay, boolean nesterov) {
        String op = "sgdMomentumOfProduct";
        int k = product(op, transA, transB, a, b, "params", params);
        optimizerBuffer(op, "velocity", velocity, params);
        optimizerBuffer(op, "scratch", scratch, params);
        disjoint(op, "scratch", scratch, "velocity", velocity);
        disjoint(op, "velocity", velocity, "a", a);
        disjoint(op, "velocity", velocity, "b", b);
        disjoint(op, "scratch", scratch, "a", a);
        disjoint(op, "scratch", scratch, "b", b);
        sgdMomentumOfProductImpl(transA, transB, params.rows(), params.cols(), k, a, b, params, velocity, scratch, lr,
                momentum, weightDecay, nesterov);
    }

    /**
     * op(a) op(b) fits {@code c} ({@code cName}: {@code c.rows() x c.cols()}), and {@code c} is
     * separate from a and b; returns the product's inner dimension.
     */
    private static int product(String op, boolean transA, boolean transB, Tensor a, Tensor b, String cName,
                                Tensor c) {
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (k != kb) {
            throw new ShapeMismatchException(op + ": op(a) is " + m + "x" + k + " (a " + a.shape() + describe(transA)
                    + ") but op(b) is " + kb + "x" + n + " (b " + b.shape() + describe(transB)
                    + "): inner dimensions " + k + " vs " + kb);
        }
        if (c.rows() != m || c.cols() != n) {
            throw new ShapeMismatchException(op + ": " + cName + " is " + c.shape() + " but op(a) op(b) is " + m
                    + "x" + n + " (a " + a.shape() + describe(transA) + ", b " + b.shape() + describe(transB) + ")");
        }
        disjoint(op, cName, c, "a", a);
        disjoint(op, cName, c, "b", b);
        return k;
    }

    @Override
    public final Tensor axpy(float alpha, Tensor x, Tensor y) {
        sameShape("axpy", "y", y, "x", x);
        disjoint("axpy", "y", y, "x", x);
        axpyImpl(alpha, x, y);
        return y;
    }

    @Override
    public final Tensor scale(float alpha, Tensor x) {
        scaleImpl(alpha, x);
        return x;
    }

    // ---- forward -----------------------------------------------------------------------------

    @Override
    public final Tensor biasAdd(Tensor x, Tensor bias, Tensor out) {
        checkBias("biasAdd", x, bias, out);
        biasAddImpl(x, bias, out);
        return out;
    }

    @Override
    public final Tensor biasAddRelu(Tensor x, Tensor bias, Tensor out) {
        checkBias("biasAddRelu", x, bias, out);
        biasAddReluImpl(x, bias, out);
        return out;
    }

    @Override
    public final Tensor relu(Tensor x, Tensor out) {
        elementwise("relu", "out", out, "x", x);
        reluImpl(x, out);
        return out;
    }

    @Override
    public final Tensor reluBackward(Tensor out, Tensor dout, Tensor dinp) {
        elementwise("reluBackward", "dinp", dinp, "dout", dout);
        sameShape("reluBackward", "out", out, "dout", dout);
        inPlaceOrDisjoint("reluBackward", "dinp", dinp, "out", out);
        reluBackwardImpl(out, dout, dinp);
        return dinp;
    }

    @Override
    public final Tensor sigmoid(Tensor x, Tensor out) {
        elementwise("sigmoid", "out", out, "x", x);
        sigmoidImpl(x, out);
        return out;
    }

    @Override
    public final Tensor sigmoidBackward(Tensor out, Tensor dout, Tensor dinp) {
        elementwise("sigmoidBackward", "dinp", dinp, "dout", dout);
        sameShape("sigmoidBackward", "out", out, "dout", dout);
        inPlaceOrDisjoint("sigmoidBackward", "dinp", dinp, "out", out);
        sigmoidBackwardImpl(out, dout, dinp);
        return dinp;
    }

    @Override
    public final Tensor logSoftmax(Tensor logits, Tensor out) {
        elementwise("logSoftmax", "out", out, "logits", logits);
        logSoftmaxImpl(logits, out);
        return out;
    }

    @Override
    public final Tensor logSoftmaxBackward(Tensor out, Tensor dout, Tensor dinp) {
        elementwise("logSoftmaxBackward", "dinp", dinp, "dout", dout);
        sameShape("logSoftmaxBackward", "out", out, "dout", dout);
        inPlaceOrDisjoint("logSoftmaxBackward", "dinp", dinp, "out", out);
        logSoftmaxBackwardImpl(out, dout, dinp);
        return dinp;
    }

    // ---- losses ------------------------------------------------------------------------------

    @Override
    public final double crossEntropy(Tensor logits, IntVector labels, Tensor dlogits) {
        checkLabels("crossEntropy", "logits", logits, labels);
        elementwise("crossEntropy", "dlogits", dlogits, "logits", logits);
        return crossEntropyImpl(logits, labels, dlogits);
    }

    @Override
    public final double crossEntropy(Tensor logits, IntVector labels) {
        checkLabels("crossEntropy", "logits", logits, labels);
        return crossEntropyImpl(logits, labels, null);
    }

    @Override
    public final double nll(Tensor logprobs, IntVector labels, Tensor dlogprobs) {
        checkLabels("nll", "logprobs", logprobs, labels);
        sameShape("nll", "dlogprobs", dlogprobs, "logprobs", logprobs);
        disjoint("nll", "dlogprobs", dlogprobs, "logprobs", logprobs);
        return nllImpl(logprobs, labels, dlogprobs);
    }

    @Override
    public final double nll(Tensor logprobs, IntVector labels) {
        checkLabels("nll", "logprobs", logprobs, labels);
        return nllImpl(logprobs, labels, null);
    }

    @Override
    public final double mse(Tensor out, Tensor target, Tensor dout) {
        sameShape("mse", "target", target, "out", out);
        elementwise("mse", "dout", dout, "out", out);
        inPlaceOrDisjoint("mse", "dout", dout, "target", target);
        return mseImpl(out, target, dout);
    }

    @Override
    public final double mse(Tensor out, Tensor target) {
        sameShape("mse", "target", target, "out", out);
        return mseImpl(out, target, null);
    }

    @Override
    public final double mseOneHot(Tensor out, IntVector labels, Tensor dout) {
        checkLabels("mseOneHot", "out", out, labels);
        elementwise("mseOneHot", "dout", dout, "out", out);
        return mseOneHotImpl(out, labels, dout);
    }

    @Override
    public final double mseOneHot(Tensor out, IntVector labels) {
        checkLabels("mseOneHot", "out", out, labels);
        return mseOneHotImpl(out, labels, null);
    }

    // ---- metrics -----------------------------------------------------------------------------

    @Override
    public final int countCorrect(Tensor scores, IntVector labels) {
        checkLabels("countCorrect", "scores", scores, labels);
        return countCorrectImpl(scores, labels);
    }

    // ---- backward ----------------------------------------------------------------------------

    @Override
    public final Tensor biasBackward(Tensor dout, Tensor dbias) {
        if (dbias.rows() != 1 || dbias.cols() != dout.cols()) {
            throw new ShapeMismatchException("biasBackward: dbias is " + dbias.shape() + " but dout is "
                    + dout.shape() + " (expected dbias 1x" + dout.cols() + ")");
        }
        disjoint("biasBackward", "dbias", dbias, "dout", dout);
        biasBackwardImpl(dout, dbias);
        return dbias;
    }

    // ---- optimizers --------------------------------------------------------------------------

    @Override
    public final void sgd(Tensor params, Tensor grads, float lr, float weightDecay) {
        optimizerBuffer("sgd", "grads", grads, params);
        sgdImpl(params, grads, lr, weightDecay);
    }

    @Override
    public final void sgdMomentum(Tensor params, Tensor velocity, Tensor grads, float lr, float momentum,
                                  float weightDecay, boolean nesterov) {
        optimizerBuffer("sgdMomentum", "velocity", velocity, params);
        optimizerBuffer("sgdMomentum", "grads", grads, params);
        disjoint("sgdMomentum", "grads", grads, "velocity", velocity);
        sgdMomentumImpl(params, velocity, grads, lr, momentum, weightDecay, nesterov);
    }

    @Override
    public final void adam(Tensor params, Tensor m, Tensor v, Tensor grads, long step, float lr, float beta1,
                           float beta2, float eps, float weightDecay, boolean decoupled) {
        optimizerBuffer("adam", "m", m, params);
        optimizerBuffer("adam", "v", v, params);
        optimizerBuffer("adam", "grads", grads, params);
        disjoint("adam", "v", v, "m", m);
        disjoint("adam", "grads", grads, "m", m);
        disjoint("adam", "grads", grads, "v", v);
        if (step < 1) {
            throw new IllegalArgumentException("adam: step must be >= 1 (the first update is step 1), got " + step);
        }
        // bias corrections in double, once, so that both backends see the same float coefficients
        float stepSize = (float) (lr / (1.0 - Math.pow(beta1, step)));
        float bc2Sqrt = (float) Math.sqrt(1.0 - Math.pow(beta2, step));
        adamImpl(params, m, v, grads, lr, beta1, beta2, eps, weightDecay, decoupled, stepSize, bc2Sqrt);
    }

    // ---- convolution, pooling, dropout -----------------------------------------------------------

    @Override
    public final Tensor im2col(Tensor inp, Window window, Tensor col) {
        checkImages("im2col", "inp", inp, window);
        checkColumns("im2col", "col", col, window);
        disjoint("im2col", "col", col, "inp", inp);
        im2colImpl(inp, window, col);
        return col;
    }

    @Override
    public final Tensor col2im(Tensor dcol, Window window, Tensor dinp) {
        checkColumns("col2im", "dcol", dcol, window);
        checkImages("col2im", "dinp", dinp, window);
        disjoint("col2im", "dinp", dinp, "dcol", dcol);
        col2imImpl(dcol, window, dinp);
        return dinp;
    }

    @Override
    public final Tensor maxPool(Tensor inp, Window window, IntVector argmax, Tensor out) {
        if (window.pad() != 0 || window.kh() != window.kw()) {
            throw new IllegalArgumentException("maxPool: a square window without padding, found " + window);
        }
        checkImages("maxPool", "inp", inp, window);
        if (out.size() != window.pooledSize() || argmax.size() != window.pooledSize()) {
            throw new ShapeMismatchException("maxPool: out is " + out.shape() + " and argmax has " + argmax.size()
                    + " elements but " + window + " gives " + window.pooledSize());
        }
        disjoint("maxPool", "out", out, "inp", inp);
        if (Memory.overlaps(argmax.segment(), inp.segment()) || Memory.overlaps(argmax.segment(), out.segment())) {
            throw new AliasingException("maxPool: argmax overlaps inp or out");
        }
        maxPoolImpl(inp, window, argmax, out);
        return out;
    }

    @Override
    public final Tensor maxPoolBackward(Tensor dout, IntVector argmax, Tensor dinp) {
        if (argmax.size() != dout.size()) {
            throw new ShapeMismatchException("maxPoolBackward: " + argmax.size() + " argmax entries but dout is "
                    + dout.shape());
        }
        disjoint("maxPoolBackward", "dinp", dinp, "dout", dout);
        long bad = maxPoolBackwardImpl(dout, argmax, dinp);
        if (bad >= 0) {
            throw new IndexOutOfBoundsException("maxPoolBackward: argmax[" + bad + "] = " + argmax.get((int) bad)
                    + " is outside [0, " + dinp.size() + ") (dinp " + dinp.shape() + ")");
        }
        return dinp;
    }

    @Override
    public final Tensor dropoutMask(float p, long seed, long offset, Tensor mask) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropoutMask: p must be in [0, 1), got " + p);
        }
        dropoutMaskImpl(p, seed, offset, mask);
        return mask;
    }

    @Override
    public final Tensor multiply(Tensor a, Tensor b, Tensor out) {
        sameShape("multiply", "b", b, "a", a);
        elementwise("multiply", "out", out, "a", a);
        inPlaceOrDisjoint("multiply", "out", out, "b", b);
        multiplyImpl(a, b, out);
        return out;
    }

    private static void checkImages(String op, String name, Tensor t, Window w) {
        if (t.size() != w.inputSize()) {
            throw new ShapeMismatchException(op + ": " + name + " is " + t.shape() + " (" + t.size() + " values) but "
                    + w + " holds " + w.inputSize());
        }
    }

    private static void checkColumns(String op, String name, Tensor t, Window w) {
        if (t.rows() != w.columnRows() || t.cols() != w.columnCols()) {
            throw new ShapeMismatchException(op + ": " + name + " is " + t.shape() + " but " + w + " gives "
                    + w.columnRows() + "x" + w.columnCols());
        }
    }

    // ---- data --------------------------------------------------------------------------------

    @Override
    public final Tensor gatherRows(ByteMatrix src, IntVector indices, int offset, float scale, float shift,
                                   Tensor out) {
        if (src.cols() != out.cols()) {
            throw new ShapeMismatchException("gatherRows: out is " + out.shape() + " but src is " + src.shape()
                    + " (rows of " + src.cols() + " values)");
        }
        return gatherRows(src, indices, offset, 0, scale, shift, out);
    }

    @Override
    public final Tensor gatherRows(ByteMatrix src, IntVector indices, int offset, int column, float scale,
                                   float shift, Tensor out) {
        checkColumns("gatherRows", src, column, out.cols());
        checkRowIndices("gatherRows", src, indices, offset, out.rows());
        if (Memory.overlaps(out.segment(), src.segment()) || Memory.overlaps(out.segment(), indices.segment())) {
            throw new AliasingException("gatherRows: out " + out.shape() + " overlaps src or indices");
        }
        gatherRowsImpl(src, indices, offset, column, scale, shift, out);
        return out;
    }

    @Override
    public final void prefetchRows(ByteMatrix src, IntVector indices, int offset, int rows) {
        prefetchRows(src, indices, offset, rows, 0, src.cols());
    }

    @Override
    public final void prefetchRows(ByteMatrix src, IntVector indices, int offset, int rows, int column, int cols) {
        checkColumns("prefetchRows", src, column, cols);
        checkRowIndices("prefetchRows", src, indices, offset, rows);
        prefetchRowsImpl(src, indices, offset, rows, column, cols);
    }

    /** Columns {@code [column, column + cols)} are columns of {@code src}. */
    private static void checkColumns(String op, ByteMatrix src, int column, int cols) {
        if (column < 0 || cols < 0 || column > src.cols() - cols) {
            throw new IndexOutOfBoundsException(op + ": columns [" + column + ", " + ((long) column + cols)
                    + ") are outside the " + src.cols() + " columns of src " + src.shape());
        }
    }

    /** {@code indices[offset .. offset + rows - 1]} exist, and each names a row of {@code src}. */
    private static void checkRowIndices(String op, ByteMatrix src, IntVector indices, int offset, int rows) {
        if (rows < 0 || offset < 0 || offset > indices.size() - rows) {
            throw new IndexOutOfBoundsException(op + ": indices[" + offset + ", " + ((long) offset + rows)
                    + ") is outside the " + indices.size() + " indices");
        }
        for (int b = 0; b < rows; b++) {
            int i = indices.get(offset + b);
            if (i < 0 || i >= src.rows()) {
                throw new IndexOutOfBoundsException(op + ": indices[" + (offset + b) + "] = " + i
                        + " is outside [0, " + src.rows() + ") (src " + src.shape() + ")");
            }
        }
    }

    // ---- what an implementation provides: arguments already checked ----------------------------

    protected abstract void gemmImpl(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                     Tensor a, Tensor b, float beta, Tensor c);

    protected abstract void axpyImpl(float alpha, Tensor x, Tensor y);

    protected abstract void scaleImpl(float alpha, Tensor x);

    protected abstract void biasAddImpl(Tensor x, Tensor bias, Tensor out);

    protected abstract void biasAddReluImpl(Tensor x, Tensor bias, Tensor out);

    protected abstract void reluImpl(Tensor x, Tensor out);

    protected abstract void reluBackwardImpl(Tensor out, Tensor dout, Tensor dinp);

    protected abstract void sigmoidImpl(Tensor x, Tensor out);

    protected abstract void sigmoidBackwardImpl(Tensor out, Tensor dout, Tensor dinp);

    protected abstract void logSoftmaxImpl(Tensor logits, Tensor out);

    protected abstract void logSoftmaxBackwardImpl(Tensor out, Tensor dout, Tensor dinp);

    /** @param dlogits null when only the loss is wanted */
    protected abstract double crossEntropyImpl(Tensor logits, IntVector labels, Tensor dlogits);

    /** @param dlogprobs null when only the loss is wanted */
    protected abstract double nllImpl(Tensor logprobs, IntVector labels, Tensor dlogprobs);

    /** @param dout null when only the loss is wanted */
    protected abstract double mseImpl(Tensor out, Tensor target, Tensor dout);

    /** @param dout null when only the loss is wanted */
    protected abstract double mseOneHotImpl(Tensor out, IntVector labels, Tensor dout);

    protected abstract int countCorrectImpl(Tensor scores, IntVector labels);

    protected abstract void biasBackwardImpl(Tensor dout, Tensor dbias);

    protected abstract void sgdImpl(Tensor params, Tensor grads, float lr, float weightDecay);

    /**
     * {@link #sgdOfProduct} after the checks: the product into {@code scratch}, then the update. A
     * backend whose product rounds {@code -lr * sum + params} as {@link #sgd} does overrides it.
     */
    protected void sgdOfProductImpl(boolean transA, boolean transB, int m, int n, int k, Tensor a, Tensor b,
                                    Tensor params, Tensor scratch, float lr, float weightDecay) {
        gemmImpl(transA, transB, m, n, k, 1f, a, b, 0f, scratch);
        sgdImpl(params, scratch, lr, weightDecay);
    }

    /**
     * {@link #sgdMomentumOfProduct} after the checks: the product into {@code scratch}, then the
     * update. A backend that runs both in one kernel overrides it.
     */
    protected void sgdMomentumOfProductImpl(boolean transA, boolean transB, int m, int n, int k, Tensor a, Tensor b,
                                            Tensor params, Tensor velocity, Tensor scratch, float lr, float momentum,
                                            float weightDecay, boolean nesterov) {
        gemmImpl(transA, transB, m, n, k, 1f, a, b, 0f, scratch);
        sgdMomentumImpl(params, velocity, scratch, lr, momentum, weightDecay, nesterov);
    }

    protected abstract void sgdMomentumImpl(Tensor params, Tensor velocity, Tensor grads, float lr, float momentum,
                                            float weightDecay, boolean nesterov);

    /** @param stepSize {@code lr / (1 - beta1^t)}; @param bc2Sqrt {@code sqrt(1 - beta2^t)} */
    protected abstract void adamImpl(Tensor params, Tensor m, Tensor v, Tensor grads, float lr, float beta1,
                                     float beta2, float eps, float weightDecay, boolean decoupled, float stepSize,
                                     float bc2Sqrt);

    protected abstract void im2colImpl(Tensor inp, Window window, Tensor col);

    protected abstract void col2imImpl(Tensor dcol, Window window, Tensor dinp);

    protected abstract void maxPoolImpl(Tensor inp, Window window, IntVector argmax, Tensor out);

    /**
     * Checks every argmax index against dinp before writing anything (the kernel does it in one
     * pass, cheaper than a Java loop): returns -1, or the first out-of-range position.
     */
    protected abstract long maxPoolBackwardImpl(Tensor dout, IntVector argmax, Tensor dinp);

    protected abstract void dropoutMaskImpl(float p, long seed, long offset, Tensor mask);

    protected abstract void multiplyImpl(Tensor a, Tensor b, Tensor out);

    protected abstract void gatherRowsImpl(ByteMatrix src, IntVector indices, int offset, int column, float scale,
                                           float shift, Tensor out);

    protected abstract void prefetchRowsImpl(ByteMatrix src, IntVector indices, int offset, int rows, int column,
                                             int cols);

    // ---- checks ------------------------------------------------------------------------------

    private static String describe(boolean transposed) {
        return transposed ? ", transposed" : "";
    }

    static void sameShape(String op, String name, Tensor t, String otherName, Tensor other) {
        if (!t.shape().equals(other.shape())) {
            throw new ShapeMismatchException(op + ": " + name + " is " + t.shape() + " but " + otherName + " is "
                    + other.shape());
        }
    }

    static void disjoint(String op, String name, Tensor t, String otherName, Tensor other) {
        if (t.overlaps(other)) {
            throw new AliasingException(op + ": " + name + " (" + t.shape() + ") overlaps " + otherName + " ("
                    + other.shape() + "); it must be separate memory");
        }
    }

    static void inPlaceOrDisjoint(String op, String name, Tensor t, String otherName, Tensor other) {
        if (t.overlaps(other) && !t.sameMemory(other)) {
            throw new AliasingException(op + ": " + name + " (" + t.shape() + ") partially overlaps " + otherName
                    + " (" + other.shape() + "); pass the same tensor to work in place, or separate memory");
        }
    }

    /** out has the input's shape and is either the input itself or separate memory. */
    private static void elementwise(String op, String outName, Tensor out, String inName, Tensor in) {
        sameShape(op, outName, out, inName, in);
        inPlaceOrDisjoint(op, outName, out, inName, in);
    }

    private static void checkBias(String op, Tensor x, Tensor bias, Tensor out) {
        if (bias.rows() != 1 || bias.cols() != x.cols()) {
            throw new ShapeMismatchException(op + ": bias is " + bias.shape() + " but x is " + x.shape()
                    + " (expected bias 1x" + x.cols() + ")");
        }
        elementwise(op, "out", out, "x", x);
        disjoint(op, "out", out, "bias", bias);
    }

    private static void checkLabels(String op, String name, Tensor scores, IntVector labels) {
        if (labels.size() != scores.rows()) {
            throw new ShapeMismatchException(op + ": " + labels.size() + " labels but " + name + " is "
                    + scores.shape() + " (one label a row)");
        }
        for (int r = 0; r < labels.size(); r++) {
            int label = labels.get(r);
            if (label < 0 || label >= scores.cols()) {
                throw new IndexOutOfBoundsException(op + ": labels[" + r + "] = " + label + " is outside [0, "
                        + scores.cols() + ") (" + name + " " + scores.shape() + ")");
            }
        }
    }

    /** An optimizer's buffer has the parameters' shape and is separate memory (checked without allocating). */
    private static void optimizerBuffer(String op, String name, Tensor buffer, Tensor params) {
        sameShape(op, name, buffer, "params", params);
        disjoint(op, name, buffer, "params", params);
    }
}
