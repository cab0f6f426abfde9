package dev.pnn.tensor;

import static dev.pnn.bindings.kernels.pnn_kernels_h.*;
import static dev.pnn.bindings.cblas.cblas_h.*;

import java.lang.foreign.MemorySegment;

/**
 * CBLAS {@code sgemm}/{@code saxpy}/{@code sscal} (OpenBLAS by default, BLIS or any other CBLAS
 * by choice: {@link BlasLibrary}) and the C kernels of {@code native/}, called through the FFM
 * API over the tensors' own off-heap memory (no copies).
 *
 * <p>There is one instance per process and choice of {@link Products} ({@link #instance()}),
 * because the BLAS library and its thread count are process-wide state. Results are bit-identical
 * from run to run for the same inputs, the same library and kernel set
 * ({@link BlasLibrary#kernelSet()}) and the same thread count: our kernels are single-threaded and
 * the BLAS splits a product the same way each time. A
 * different library, thread count or kernel set may split and block the sums of a product
 * differently, which changes the last bits of its result (and so of a trained network), never
 * more than float32 rounding. Products may run on several Java threads at once (each on its own
 * tensors), which is how {@code TrainingStep}'s shards use both cores.
 *
 * <p>Products whose operands fit in a core's cache together (at most {@value #OWN_MATMUL_FLOATS}
 * floats in all: every product of the MNIST networks up to batch 1024) go to panama-nn's own kernel
 * ({@code pnn_matmul}, AVX-512) when the BLAS runs one thread, and those of at most
 * {@value #OWN_MATMUL_SMALL} multiply-adds when it runs more (below that the BLAS's threads do not
 * pay); a transposed {@code b} only with {@code k} at most {@value #OWN_MATMUL_MAX_TRANSPOSED_K}.
 * At these shapes the kernel runs at the core's peak: it packs nothing, where a BLAS first copies
 * both operands into blocks. Each
 * element it computes is one fused multiply-add after another over {@code k} from 0, then
 * {@code alpha * sum + beta * c}, whatever the shapes, the BLAS or the thread count: the same bits
 * on every processor that runs it. {@link Products#BLAS} ({@value #MATMUL_PROPERTY}{@code =blas}
 * for {@link #instance()}) sends every product to the BLAS.
 */
public final class NativeBackend extends CheckedBackend {

    /** Who runs the matrix products. */
    public enum Products {
        /** The own kernel where it applies (see the class documentation), the BLAS for the rest. */
        AUTO,
        /** The BLAS, every product. */
        BLAS
    }

    private static final class Holder {
        static final NativeLibraries.Loaded LIBRARIES = NativeLibraries.load();
        static final NativeBackend AUTO = new NativeBackend(LIBRARIES, Products.AUTO);
        static final NativeBackend BLAS = new NativeBackend(LIBRARIES, Products.BLAS);
    }

    /** System property: the {@link Products} of {@link #instance()}, {@code auto} (the default) or {@code blas}. */
    public static final String MATMUL_PROPERTY = "pnn.matmul";

    /** The largest product, in floats of its three operands, that goes to the own kernel. */
    public static final long OWN_MATMUL_FLOATS = 1L << 20;

    /** The most multiply-adds (m n k) of a product that goes to the own kernel while the BLAS runs several threads. */
    public static final long OWN_MATMUL_SMALL = 1L << 19;

    /** The largest {@code k} of a product with a transposed {@code b} that goes to the own kernel. */
    public static final int OWN_MATMUL_MAX_TRANSPOSED_K = 256;

    private final NativeLibraries.Loaded libraries;
    private final String matmul;
    private final boolean ownMatmul;
    private final int rowMajor;
    private final int noTrans;
    private final int trans;

    private NativeBackend(NativeLibraries.Loaded libraries, Products products) {
        if (OWN_MATMUL_MAX_TRANSPOSED_K != PNN_MATMUL_MAX_PACKED_K()) {
            throw new NativeLibraryException("the kernels pack a transposed b up to k = " + PNN_MATMUL_MAX_PACKED_K()
                    + ", expected " + OWN_MATMUL_MAX_TRANSPOSED_K);
        }
        this.libraries = libraries;
        this.ownMatmul = products == Products.AUTO && pnn_matmul_supported() == 1;
        this.matmul = ownMatmul
                ? "own kernel (AVX-512) for products up to " + OWN_MATMUL_FLOATS + " floats on one BLAS thread, up "
                + "to " + OWN_MATMUL_SMALL + " multiply-adds on more; BLAS for the rest"
                : products == Products.BLAS ? "BLAS"
                : "BLAS (this processor has no AVX-512 for the own kernel)";
        this.rowMajor = CblasRowMajor();
        this.noTrans = CblasNoTrans();
        this.trans = CblasTrans();
    }

    /**
     * The native backend, loading the CBLAS library and the kernels on first use, with the products
     * that {@value #MATMUL_PROPERTY} names ({@code auto} when unset).
     *
     * @throws NativeLibraryException when either library cannot be loaded, or the property names
     *                                neither {@code auto} nor {@code blas}
     */
    public static NativeBackend instance() {
        String choice = System.getProperty(MATMUL_PROPERTY, "auto").trim();
        return switch (choice) {
            case "auto" -> instance(Products.AUTO);
            case "blas" -> instance(Products.BLAS);
            default -> throw new NativeLibraryException("-D" + MATMUL_PROPERTY + ": expected auto or blas, found '"
                    + choice + "'");
        };
    }

    /**
     * The native backend whose products are {@code products}; both share the libraries (and so the
     * BLAS thread count).
     *
     * @throws NativeLibraryException when either library cannot be loaded
     */
    public static NativeBackend instance(Products products) {
        try {
            return products == Products.AUTO ? Holder.AUTO : Holder.BLAS;
        } catch (ExceptionInInitializerError e) {
            if (e.getCause() instanceof NativeLibraryException n) {
                throw n;
            }
            throw e;
        } catch (NoClassDefFoundError e) {
            // a second call after a failed first one: load again to get the real message
            NativeLibraries.load();
            throw e;
        }
    }

    @Override
    public String name() {
        return "native";
    }

    /** Where the CBLAS library and the kernels were loaded from. */
    public NativeLibraries.Loaded libraries() {
        return libraries;
    }

    /** The CBLAS library in use (OpenBLAS, BLIS or another, chosen by {@value NativeLibraries#BLAS_PROPERTY}). */
    public BlasLibrary blas() {
        return libraries.blas();
    }

    /** The BLAS library's current thread count (process-wide); 0 when it has no call to tell. */
    public int threads() {
        return blas().threads();
    }

    /**
     * Sets the BLAS library's thread count for the whole process; {@code threads >= 1}.
     *
     * @throws UnsupportedOperationException when the library has no call for it
     */
    public void setThreads(int threads) {
        blas().setThreads(threads);
    }

    /**
     * Sets the BLAS library's thread count until the returned scope is closed, which sets back
     * the count it had (when the library tells it): {@code try (var one = backend.withThreads(1))
     * { ... }}, for work that needs a count for a while (bit-identical products need the same
     * count throughout). Process-wide, as {@link #setThreads}.
     *
     * @throws UnsupportedOperationException when the library has no call to set it
     */
    public ThreadCount withThreads(int threads) {
        int before = threads();
        setThreads(threads);
        return new ThreadCount(this, before);
    }

    /** A BLAS thread count set by {@link #withThreads} for a scope; closing it sets back the one before. */
    public static final class ThreadCount implements AutoCloseable {
        private final NativeBackend backend;
        private final int before;

        private ThreadCount(NativeBackend backend, int before) {
            this.backend = backend;
            this.before = before;
        }

        /** Sets back the count the BLAS had before (nothing when it could not tell: 0). */
        @Override
        public void close() {
            if (before >= 1) {
                backend.setThreads(before);
            }
        }
    }

    /** Who runs the products: the own kernel for which, or the BLAS and why. */
    public String matmul() {
        return matmul;
    }

    @Override
    public String toString() {
        return "NativeBackend[" + blas().describe() + ", " + threads() + " threads, products: " + matmul + "]";
    }

    // ---- linear algebra ----------------------------------------------------------------------

    @Override
    protected void gemmImpl(boolean transA, boolean transB, int m, int n, int k, float alpha, Tensor a, Tensor b,
                            float beta, Tensor c) {
        if (ownsProduct(transB, m, n, k)) {
            pnn_matmul(c.segment(), a.segment(), b.segment(), m, n, k, rowStride(transA, a), columnStride(transA, a),
                    rowStride(transB, b), columnStride(transB, b), c.cols(), alpha, beta);
            return;
        }
        cblas_sgemm(rowMajor, transA ? trans : noTrans, transB ? trans : noTrans, m, n, k,
                alpha, a.segment(), a.cols(), b.segment(), b.cols(), beta, c.segment(), c.cols());
    }

    /**
     * Without weight decay, where the own kernel takes the product: {@code params += -lr * op(a) op(b)}
     * in one product (alpha -lr, beta 1), which rounds as the sgd kernel does after it.
     */
    @Override
    protected void sgdOfProductImpl(boolean transA, boolean transB, int m, int n, int k, Tensor a, Tensor b,
                                    Tensor params, Tensor scratch, float lr, float weightDecay) {
        if (weightDecay != 0 || lr == 0 || !ownsProduct(transB, m, n, k)) {
            super.sgdOfProductImpl(transA, transB, m, n, k, a, b, params, scratch, lr, weightDecay);
            return;
        }
        gemmImpl(transA, transB, m, n, k, -lr, a, b, 1f, params);
    }

    /** The own kernel's product and momentum update in one pass (pnn_matmul_momentum), where it takes the product. */
    @Override
    protected void sgdMomentumOfProductImpl(boolean transA, boolean transB, int m, int n, int k, Tensor a, Tensor b,
                                            Tensor params, Tensor velocity, Tensor scratch, float lr, float momentum,
                                            float weightDecay, boolean nesterov) {
        if (!ownsProduct(transB, m, n, k)) {
            super.sgdMomentumOfProductImpl(transA, transB, m, n, k, a, b, params, velocity, scratch, lr, momentum,
                    weightDecay, nesterov);
            return;
        }
        pnn_matmul_momentum(params.segment(), velocity.segment(), a.segment(), b.segment(), m, n, k,
                rowStride(transA, a), columnStride(transA, a), rowStride(transB, b), columnStride(transB, b),
                params.cols(), lr, momentum, weightDecay, nesterov ? 1 : 0);
    }

    /** The own kernel's strides of {@code op(t)}: from one row to the next, and from one column to the next. */
    private static int rowStride(boolean trans, Tensor t) {
        return trans ? 1 : t.cols();
    }

    private static int columnStride(boolean trans, Tensor t) {
        return trans ? t.cols() : 1;
    }

    /** Whether a product of these shapes goes to the own kernel (see the class documentation). */
    boolean ownsProduct(boolean transB, int m, int n, int k) {
        return ownMatmul && (!transB || k <= OWN_MATMUL_MAX_TRANSPOSED_K)
                && (long) m * k + (long) k * n + (long) m * n <= OWN_MATMUL_FLOATS
                && ((long) m * n * k <= OWN_MATMUL_SMALL || threads() <= 1);
    }

    /** saxpy and sscal count in (32-bit) ints: longer vectors go in chunks. */
    private static final int BLAS_CHUNK = 1 << 30;

    @Override
    protected void axpyImpl(float alpha, Tensor x, Tensor y) {
        for (long i = 0, size = x.size(); i < size; i += BLAS_CHUNK) {
            int len = (int) Math.min(BLAS_CHUNK, size - i);
            cblas_saxpy(len, alpha, slice(x, i, len), 1, slice(y, i, len), 1);
        }
    }

    @Override
    protected void scaleImpl(float alpha, Tensor x) {
        for (long i = 0, size = x.size(); i < size; i += BLAS_CHUNK) {
            int len = (int) Math.min(BLAS_CHUNK, size - i);
            cblas_sscal(len, alpha, slice(x, i, len), 1);
        }
    }

    private static MemorySegment slice(Tensor t, long from, int len) {
        return from == 0 && len == t.size() ? t.segment()
                : t.segment().asSlice(from * Float.BYTES, (long) len * Float.BYTES);
    }

    // ---- forward -----------------------------------------------------------------------------

    @Override
    protected void biasAddImpl(Tensor x, Tensor bias, Tensor out) {
        pnn_bias_add(out.segment(), x.segment(), bias.segment(), x.rows(), x.cols());
    }

    @Override
    protected void biasAddReluImpl(Tensor x, Tensor bias, Tensor out) {
        pnn_bias_add_relu(out.segment(), x.segment(), bias.segment(), x.rows(), x.cols());
    }

    @Override
    protected void reluImpl(Tensor x, Tensor out) {
        pnn_relu_forward(out.segment(), x.segment(), x.size());
    }

    @Override
    protected void reluBackwardImpl(Tensor out, Tensor dout, Tensor dinp) {
        pnn_relu_backward(dinp.segment(), out.segment(), dout.segment(), out.size());
    }

    @Override
    protected void sigmoidImpl(Tensor x, Tensor out) {
        pnn_sigmoid_forward(out.segment(), x.segment(), x.size());
    }

    @Override
    protected void sigmoidBackwardImpl(Tensor out, Tensor dout, Tensor dinp) {
        pnn_sigmoid_backward(dinp.segment(), out.segment(), dout.segment(), out.size());
    }

    @Override
    protected void logSoftmaxImpl(Tensor logits, Tensor out) {
        pnn_log_softmax_forward(out.segment(), logits.segment(), logits.rows(), logits.cols());
    }

    @Override
    protected void logSoftmaxBackwardImpl(Tensor out, Tensor dout, Tensor dinp) {
        pnn_log_softmax_backward(dinp.segment(), out.segment(), dout.segment(), out.rows(), out.cols());
    }

    // ---- losses ------------------------------------------------------------------------------

    private static MemorySegment orNull(Tensor t) {
        return t == null ? MemorySegment.NULL : t.segment();
    }

    @Override
    protected double crossEntropyImpl(Tensor logits, IntVector labels, Tensor dlogits) {
        return pnn_cross_entropy_forward_backward(orNull(dlogits), logits.segment(), labels.segment(),
                logits.rows(), logits.cols());
    }

    @Override
    protected double nllImpl(Tensor logprobs, IntVector labels, Tensor dlogprobs) {
        return pnn_nll_forward_backward(orNull(dlogprobs), logprobs.segment(), labels.segment(),
                logprobs.rows(), logprobs.cols());
    }

    @Override
    protected double mseImpl(Tensor out, Tensor target, Tensor dout) {
        return pnn_mse_forward_backward(orNull(dout), out.segment(), target.segment(), out.size());
    }

    @Override
    protected double mseOneHotImpl(Tensor out, IntVector labels, Tensor dout) {
        return pnn_mse_onehot_forward_backward(orNull(dout), out.segment(), labels.segment(), out.rows(), out.cols());
    }

    // ---- metrics -----------------------------------------------------------------------------

    @Override
    protected int countCorrectImpl(Tensor scores, IntVector labels) {
        return pnn_count_correct(scores.segment(), labels.segment(), scores.rows(), scores.cols());
    }

    // ---- backward ----------------------------------------------------------------------------

    @Override
    protected void biasBackwardImpl(Tensor dout, Tensor dbias) {
        pnn_bias_backward(dbias.segment(), dout.segment(), dout.rows(), dout.cols());
    }

    // ---- optimizers --------------------------------------------------------------------------

    @Override
    protected void sgdImpl(Tensor params, Tensor grads, float lr, float weightDecay) {
        pnn_sgd_update(params.segment(), grads.segment(), params.size(), lr, weightDecay);
    }

    @Override
    protected void sgdMomentumImpl(Tensor params, Tensor velocity, Tensor grads, float lr, float momentum,
                                   float weightDecay, boolean nesterov) {
        pnn_sgd_momentum_update(params.segment(), velocity.segment(), grads.segment(), params.size(), lr, momentum,
                weightDecay, nesterov ? 1 : 0);
    }

    @Override
    protected void adamImpl(Tensor params, Tensor m, Tensor v, Tensor grads, float lr, float beta1, float beta2,
                            float eps, float weightDecay, boolean decoupled, float stepSize, float bc2Sqrt) {
        pnn_adam_update(params.segment(), m.segment(), v.segment(), grads.segment(), params.size(), lr, beta1, beta2,
                eps, weightDecay, decoupled ? 1 : 0, stepSize, bc2Sqrt);
    }

    // ---- convolution, pooling, dropout -----------------------------------------------------------

    @Override
    protected void im2colImpl(Tensor inp, Window w, Tensor col) {
        pnn_im2col_nhwc(col.segment(), inp.segment(), w.n(), w.h(), w.w(), w.c(), w.kh(), w.kw(), w.stride(), w.pad(),
                w.oh(), w.ow());
    }

    @Override
    protected void col2imImpl(Tensor dcol, Window w, Tensor dinp) {
        pnn_col2im_nhwc(dinp.segment(), dcol.segment(), w.n(), w.h(), w.w(), w.c(), w.kh(), w.kw(), w.stride(), w.pad(),
                w.oh(), w.ow());
    }

    @Override
    protected void maxPoolImpl(Tensor inp, Window w, IntVector argmax, Tensor out) {
        pnn_maxpool_forward_nhwc(out.segment(), argmax.segment(), inp.segment(), w.n(), w.h(), w.w(), w.c(), w.kh(),
                w.stride(), w.oh(), w.ow());
    }

    @Override
    protected long maxPoolBackwardImpl(Tensor dout, IntVector argmax, Tensor dinp) {
        return pnn_maxpool_backward(dinp.segment(), dout.segment(), argmax.segment(), dinp.size(), dout.size());
    }

    @Override
    protected void dropoutMaskImpl(float p, long seed, long offset, Tensor mask) {
        pnn_dropout_mask(mask.segment(), mask.size(), p, seed, offset);
    }

    @Override
    protected void multiplyImpl(Tensor a, Tensor b, Tensor out) {
        pnn_mul(out.segment(), a.segment(), b.segment(), a.size());
    }

    // ---- data --------------------------------------------------------------------------------

    @Override
    protected void gatherRowsImpl(ByteMatrix src, IntVector indices, int offset, int column, float scale,
                                  float shift, Tensor out) {
        // the offset goes to C as it is: a slice of the indices would be an object a step
        pnn_gather_rows_u8(out.segment(), src.segment(), indices.segment(), offset, out.rows(), src.cols(), column,
                out.cols(), scale, shift);
    }

    @Override
    protected void prefetchRowsImpl(ByteMatrix src, IntVector indices, int offset, int rows, int column, int cols) {
        pnn_prefetch_rows_u8(src.segment(), indices.segment(), offset, rows, src.cols(), column, cols);
    }
}
