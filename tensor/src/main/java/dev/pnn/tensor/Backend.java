package dev.pnn.tensor;

/**
 * The numerical operations panama-nn trains with, over {@link Tensor}s.
 *
 * <p>Two implementations: {@link NativeBackend} (CBLAS {@code sgemm} and the C kernels of
 * {@code native/}) and {@link ReferenceBackend} (plain Java loops accumulating in double, the
 * control every native path is tested against). {@link Backends} picks one.
 *
 * <p>Every operation checks its arguments before doing any work: shapes that do not fit throw
 * {@link ShapeMismatchException} with both shapes in the message; an output that overlaps an
 * input where the operation cannot allow it throws {@link AliasingException}; labels and indices
 * out of range throw {@link IndexOutOfBoundsException}. No input makes the JVM crash.
 *
 * <p>Conventions, as in the C header: the last tensor argument is the output and is returned;
 * forward operations and activation gradients ({@code dinp}, {@code dlogits}) overwrite their
 * output; parameter gradients ({@link #biasBackward}) accumulate, so zeroing them is the caller's
 * job ({@link Tensor#zero()}). "May alias" means the output may be exactly the same memory as
 * that input (in place); any other overlap is rejected.
 *
 * <p>Bias vectors are {@code 1 x cols} tensors. Optimizer state buffers have the shape of the
 * parameters they belong to.
 */
public interface Backend {

    /** {@code "native"} or {@code "reference"}. */
    String name();

    // ---- linear algebra ----------------------------------------------------------------------

    /**
     * {@code c = alpha * op(a) * op(b) + beta * c}, where {@code op(x)} is {@code x} or its
     * transpose. As in BLAS, {@code c} is not read when {@code beta == 0} (a NaN in it does not
     * propagate). Modifies {@code c}, which must not overlap {@code a} or {@code b}.
     *
     * @return c
     */
    Tensor gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c);

    /** {@code y += alpha * x}; same shapes; {@code y} must not overlap {@code x}. Modifies and returns y. */
    Tensor axpy(float alpha, Tensor x, Tensor y);

    /** {@code x *= alpha}. Modifies and returns x. */
    Tensor scale(float alpha, Tensor x);

    // ---- forward -----------------------------------------------------------------------------

    /** {@code out[r][c] = x[r][c] + bias[c]}; out may alias x. */
    Tensor biasAdd(Tensor x, Tensor bias, Tensor out);

    /** {@code out = relu(x + bias)}, bit-identical to {@link #biasAdd} then {@link #relu}; out may alias x. */
    Tensor biasAddRelu(Tensor x, Tensor bias, Tensor out);

    /** {@code out = x < 0 ? 0 : x}: NaN passes through. out may alias x. */
    Tensor relu(Tensor x, Tensor out);

    /**
     * {@code dinp = out > 0 ? dout : 0} where {@code out} is the ReLU output; at exactly 0 the
     * gradient is 0. dinp may alias dout.
     */
    Tensor reluBackward(Tensor out, Tensor dout, Tensor dinp);

    /** {@code out = 1 / (1 + exp(-x))}, without overflow for any finite x. out may alias x. */
    Tensor sigmoid(Tensor x, Tensor out);

    /** {@code dinp = dout * out * (1 - out)} where {@code out} is the sigmoid output; dinp may alias dout. */
    Tensor sigmoidBackward(Tensor out, Tensor dout, Tensor dinp);

    /**
     * Row-wise numerically stable log-softmax (row maximum subtracted, log-sum-exp). A row whose
     * softmax is undefined (a NaN, a +inf, or nothing but -inf) comes out all NaN; a -inf among
     * finite logits gets log-probability -inf. out may alias logits.
     */
    Tensor logSoftmax(Tensor logits, Tensor out);

    /** {@code dinp = dout - exp(out) * rowsum(dout)} where {@code out} is the log-softmax output; dinp may alias dout. */
    Tensor logSoftmaxBackward(Tensor out, Tensor dout, Tensor dinp);

    // ---- losses: mean over the batch, accumulated in double -----------------------------------

    /**
     * Fused log-softmax + negative log-likelihood on raw logits: returns the mean cross-entropy
     * and writes {@code dlogits = (softmax(logits) - onehot(labels)) / rows}. dlogits may alias logits.
     */
    double crossEntropy(Tensor logits, IntVector labels, Tensor dlogits);

    /** Mean cross-entropy of {@code logits} against {@code labels}, no gradient. */
    double crossEntropy(Tensor logits, IntVector labels);

    /** Negative log-likelihood of log-probabilities; writes {@code dlogprobs = -onehot / rows}. */
    double nll(Tensor logprobs, IntVector labels, Tensor dlogprobs);

    /** Mean negative log-likelihood, no gradient. */
    double nll(Tensor logprobs, IntVector labels);

    /** Mean squared error over all elements; writes {@code dout = 2 (out - target) / size}. */
    double mse(Tensor out, Tensor target, Tensor dout);

    /** Mean squared error, no gradient. */
    double mse(Tensor out, Tensor target);

    /** Mean squared error against one-hot rows of {@code labels}, over all {@code rows * cols} elements. */
    double mseOneHot(Tensor out, IntVector labels, Tensor dout);

    /** Mean squared error against one-hot targets, no gradient. */
    double mseOneHot(Tensor out, IntVector labels);

    // ---- metrics -----------------------------------------------------------------------------

    /**
     * How many rows of {@code scores} have their largest value at the row's label: a row's argmax
     * is the first column of its maximum, and a row holding a NaN has none (it counts as wrong).
     */
    int countCorrect(Tensor scores, IntVector labels);

    // ---- backward ----------------------------------------------------------------------------

    /** {@code dbias[c] += sum_r dout[r][c]} (accumulates). Modifies and returns dbias. */
    Tensor biasBackward(Tensor dout, Tensor dbias);

    // ---- optimizers: in place over flat buffers of one shape, pairwise disjoint ----------------
    // State (velocity, m, v) whose magnitude falls below Float.MIN_NORMAL is stored as 0: a dead
    // unit's state would otherwise decay into subnormals, which cost ~100 cycles an operation on x86.

    /**
     * Plain SGD: {@code params -= lr * (grads + weightDecay * params)}; with {@code weightDecay}
     * 0, {@code params -= lr * grads} (the term is not added, as in PyTorch).
     */
    void sgd(Tensor params, Tensor grads, float lr, float weightDecay);

    /**
     * SGD with momentum as PyTorch defines it (dampening 0), optionally Nesterov:
     * {@code g = grads + wd * params; velocity = momentum * velocity + g;
     * params -= lr * (nesterov ? g + momentum * velocity : velocity)}.
     */
    void sgdMomentum(Tensor params, Tensor velocity, Tensor grads, float lr, float momentum,
                     float weightDecay, boolean nesterov);

    /**
     * {@link #sgd} with the gradient {@code op(a) op(b)}: the bits of
     * {@code gemm(transA, transB, 1, a, b, 0, scratch)} followed by
     * {@code sgd(params, scratch, lr, weightDecay)}, where without weight decay the product may
     * add {@code -lr} times itself to {@code params} directly ({@code scratch} then left as it
     * was). {@code params} and {@code scratch} have op(a) op(b)'s shape; none overlaps another,
     * a or b.
     */
    void sgdOfProduct(boolean transA, boolean transB, Tensor a, Tensor b, Tensor params, Tensor scratch, float lr,
                      float weightDecay);

    /**
     * {@link #sgdMomentum} with the gradient {@code op(a) op(b)}: the bits of
     * {@code gemm(transA, transB, 1, a, b, 0, scratch)} followed by
     * {@code sgdMomentum(params, velocity, scratch, ...)}, where the product may run in the
     * update's kernel and never be stored ({@code scratch} is then left as it was).
     * {@code params}, {@code velocity} and {@code scratch} have op(a) op(b)'s shape; none overlaps
     * another, a or b.
     */
    void sgdMomentumOfProduct(boolean transA, boolean transB, Tensor a, Tensor b, Tensor params, Tensor velocity,
                              Tensor scratch, float lr, float momentum, float weightDecay, boolean nesterov);

    /**
     * Adam as PyTorch writes it, at step {@code step >= 1} (bias corrections of that step);
     * {@code decoupled} selects AdamW's weight decay ({@code params *= 1 - lr * wd}) instead of
     * Adam's L2 term ({@code g += wd * params}).
     */
    void adam(Tensor params, Tensor m, Tensor v, Tensor grads, long step, float lr, float beta1,
              float beta2, float eps, float weightDecay, boolean decoupled);

    // ---- convolution, pooling, dropout: NHWC images (a batch is the (n*h*w, c) matrix) ---------

    /**
     * im2col: {@code col[(i oh + y) ow + x][(ky kw + kx) c + ch]} is the input pixel under
     * window position {@code (ky, kx)} of output pixel {@code (y, x)} of image {@code i}, or 0 in
     * the padding. A convolution is then {@code col x W} with {@code W} of
     * {@code (kh kw c) x out}. Overwrites and returns col, which must not overlap inp.
     *
     * @param inp {@code n*h*w*c} values
     * @param col {@code (n oh ow) x (kh kw c)}
     */
    Tensor im2col(Tensor inp, Window window, Tensor col);

    /** The adjoint of {@link #im2col}: {@code dinp} (overwritten) sums each pixel's column entries. */
    Tensor col2im(Tensor dcol, Window window, Tensor dinp);

    /**
     * Max pooling (the window's padding must be 0): {@code out} the maximum of each window per
     * channel, {@code argmax} the index into {@code inp} of the first maximum (a NaN wins).
     * Overwrites and returns out.
     */
    Tensor maxPool(Tensor inp, Window window, IntVector argmax, Tensor out);

    /** {@code dinp} (overwritten) is 0 but at each argmax, where it sums the outputs' gradients. */
    Tensor maxPoolBackward(Tensor dout, IntVector argmax, Tensor dinp);

    /**
     * A dropout mask: each element 0 with probability {@code p}, else {@code 1 / (1 - p)},
     * decided by a hash of {@code (seed, offset + i)}: the same on every machine and backend.
     */
    Tensor dropoutMask(float p, long seed, long offset, Tensor mask);

    /** {@code out = a * b} elementwise; same shapes; out may alias a or b. */
    Tensor multiply(Tensor a, Tensor b, Tensor out);

    // ---- data --------------------------------------------------------------------------------

    /**
     * Batch gather: {@code out[b][c] = src[indices[offset + b]][c] * scale + shift} for
     * {@code b < out.rows()}. For images scaled by 1/255 and normalized by {@code (mean, std)}
     * use {@code scale = 1 / (255 std)}, {@code shift = -mean / std}.
     */
    Tensor gatherRows(ByteMatrix src, IntVector indices, int offset, float scale, float shift, Tensor out);

    /**
     * Batch gather of a range of columns:
     * {@code out[b][c] = src[indices[offset + b]][column + c] * scale + shift} for
     * {@code b < out.rows()}, {@code c < out.cols()}: the part of a batch that a thread owning
     * those features uses, without the rest of the row.
     */
    Tensor gatherRows(ByteMatrix src, IntVector indices, int offset, int column, float scale, float shift,
                      Tensor out);

    /**
     * A hint ahead of a {@link #gatherRows}: asks the memory system for rows
     * {@code src[indices[offset + b]]}, {@code b < rows}, so that gathering them later finds
     * them in cache. Changes no value; a backend may do nothing.
     */
    void prefetchRows(ByteMatrix src, IntVector indices, int offset, int rows);

    /** As {@link #prefetchRows(ByteMatrix, IntVector, int, int)}, for columns {@code [column, column + cols)} alone. */
    void prefetchRows(ByteMatrix src, IntVector indices, int offset, int rows, int column, int cols);
}
