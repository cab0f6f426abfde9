/*
 * panama-nn C kernels. The contract, conventions and shapes are in include/pnn_kernels.h;
 * the plain Java twin of every kernel is dev.pnn.tensor.ReferenceBackend, and the parity
 * suite in tensor/ checks each kernel against it.
 *
 * Loops are written so that gcc -O3 vectorizes them: no restrict (outputs may alias inputs
 * exactly, so gcc versions the loops with a runtime overlap check), size_t offsets.
 */
#include "pnn_kernels.h"
#include "pnn_vector.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#define HAVE_CONVERT_ROW_AVX512 1 /* the gather's rows by AVX-512 where the processor has it */
#endif

int pnn_kernels_abi_version(void) { return PNN_KERNELS_ABI_VERSION; }

/* relu(x) = x < 0 ? 0 : x lets NaN through, unlike x > 0 ? x : 0. */
static inline float relu(float x) { return x < 0.0f ? 0.0f : x; }

/* ---- forward ----------------------------------------------------------------------------- */

PNN_VECTOR
void pnn_bias_add(float* out, const float* inp, const float* bias, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        const float* x = inp + (size_t)r * cols;
        float* y = out + (size_t)r * cols;
        for (int c = 0; c < cols; c++) y[c] = x[c] + bias[c];
    }
}

PNN_VECTOR
void pnn_bias_add_relu(float* out, const float* inp, const float* bias, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        const float* x = inp + (size_t)r * cols;
        float* y = out + (size_t)r * cols;
        for (int c = 0; c < cols; c++) y[c] = relu(x[c] + bias[c]);
    }
}

PNN_VECTOR
void pnn_relu_forward(float* out, const float* inp, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = relu(inp[i]);
}

PNN_VECTOR
void pnn_relu_backward(float* dinp, const float* out, const float* dout, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        /* load dout unconditionally: a conditional load keeps gcc from vectorizing (a blend) and
         * leaves a branch that mispredicts on every sign change */
        float g = dout[i];
        dinp[i] = out[i] > 0.0f ? g : 0.0f;
    }
}

PNN_VECTOR
void pnn_sigmoid_forward(float* out, const float* inp, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        float x = inp[i];
        /* exp of a non-positive argument only: no overflow for any finite x */
        if (x >= 0.0f) {
            out[i] = 1.0f / (1.0f + expf(-x));
        } else {
            float e = expf(x);
            out[i] = e / (1.0f + e);
        }
    }
}

PNN_VECTOR
void pnn_sigmoid_backward(float* dinp, const float* out, const float* dout, int64_t n) {
    for (int64_t i = 0; i < n; i++) dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
}

/*
 * exp(x) rounded to float, for the softmax kernels: exp(x) = 2^n exp(r) with n = round(x / ln 2)
 * and r = x - n ln 2 (|r| <= ln 2 / 2), all in double; exp(r) by its Taylor series to degree 10
 * (relative error below 3e-13), 2^n put together from its bits. The one rounding to float is
 * then that of the exact value, but where that lies within 3e-13 of halfway between two floats.
 * Without a branch, so that gcc vectorizes a loop of it, and without fused multiply-adds (ISO C
 * mode), so that every clone gives the same bits.
 * Below -104 the result rounds to 0 and above 89 to +inf, so the argument is clamped there:
 * exp(-inf) = 0, exp(+inf) = +inf; a NaN compares false, passes the clamps and stays a NaN.
 */
static inline __attribute__((always_inline)) float exp_float(float x) {
    double d = (double)x;
    d = d < -104.0 ? -104.0 : d;
    d = d > 89.0 ? 89.0 : d;
    /* 1.5 * 2^52 added: the sum's ulp is 1, so it holds round(d / ln 2) in its low bits */
    const double shift = 0x1.8p52;
    double rounded = d * 0x1.71547652b82fep0 + shift;
    double n = rounded - shift;
    double r = d - n * 0x1.62e42fefa39efp-1;
    double p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720
               + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800))))))))));
    uint64_t bits;
    memcpy(&bits, &rounded, sizeof bits);
    bits = (bits + 1023) << 52; /* the exponent field n + 1023, n in [-150, 129] */
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return (float)(p * scale);
}

/* Row maximum. A NaN never compares greater, so it is skipped here; it then turns the row's
 * sum of exponentials into NaN, and the whole row with it. A +inf becomes the maximum and
 * inf - inf = NaN does the same, as does -inf - -inf in a row of nothing but -inf. A -inf
 * among finite values gives exp(-inf) = 0: a probability of 0, log-probability -inf. */
static inline float row_max(const float* x, int cols) {
    float m = x[0];
    for (int c = 1; c < cols; c++) m = x[c] > m ? x[c] : m;
    return m;
}

/* e[c] = exp(x[c] - m), c < cols: a loop gcc vectorizes. */
static inline __attribute__((always_inline)) void exp_shifted(float* e, const float* x, float m, int cols) {
    for (int c = 0; c < cols; c++) e[c] = exp_float(x[c] - m);
}

/* sum + e[0] + ... + e[n - 1], in double, one after another: the order the reference and the
 * pinned bits assume (so no compiler vectorizes it) */
static inline __attribute__((always_inline)) double add_in_order(double sum, const float* e, int n) {
    for (int c = 0; c < n; c++) sum += (double)e[c];
    return sum;
}

/* sum_c exp(x[c] - m), in double, in order; the exponentials a block at a time */
static inline __attribute__((always_inline)) double row_sum_exp(const float* x, float m, int cols) {
    float e[256];
    double sum = 0.0;
    for (int c0 = 0; c0 < cols; c0 += 256) {
        int n = cols - c0 < 256 ? cols - c0 : 256;
        exp_shifted(e, x + c0, m, n);
        sum = add_in_order(sum, e, n);
    }
    return sum;
}

/* For a block of nr rows of x (row i at x + i * cols): m[i] = the row's maximum, and
 * e[i * cols + c] = exp(x[i][c] - m[i]), the differences first and then one exp loop over the
 * whole block, so that a few classes a row make no vector loop with a tail at every row. e may
 * be x itself: each row is read whole (its maximum) before its differences overwrite it. */
static inline __attribute__((always_inline)) void exp_minus_max_block(float* e, float* m, const float* x, int nr,
                                                                      int cols) {
    for (int i = 0; i < nr; i++) {
        const float* xi = x + (size_t)i * cols;
        float* ei = e + (size_t)i * cols;
        const float mi = row_max(xi, cols); /* a local: m might alias e, for all the compiler knows */
        m[i] = mi;
        for (int c = 0; c < cols; c++) ei[c] = xi[c] - mi;
    }
    size_t n = (size_t)nr * cols;
    for (size_t k = 0; k < n; k++) e[k] = exp_float(e[k]);
}

/* The exponentials the log-softmax keeps on the stack at once: rows of up to this many classes
 * go in blocks, so that a few classes a row make no vector loop with a tail at every row. */
#define LOG_SOFTMAX_BLOCK_FLOATS 2048
#define LOG_SOFTMAX_BLOCK_ROWS 64

PNN_VECTOR
void pnn_log_softmax_forward(float* out, const float* logits, int rows, int cols) {
    if (cols > LOG_SOFTMAX_BLOCK_FLOATS) {
        for (int r = 0; r < rows; r++) {
            const float* x = logits + (size_t)r * cols;
            float* y = out + (size_t)r * cols;
            float m = row_max(x, cols);
            float log_sum = (float)log(row_sum_exp(x, m, cols));
            /* (x - m) first: exact when x and m are close, and never overflows */
            for (int c = 0; c < cols; c++) y[c] = (x[c] - m) - log_sum;
        }
        return;
    }
    /* A block of rows: their exponentials (exp_minus_max_block), then each row's sum in order,
     * its log and its outputs (out may alias logits: e is a buffer of its own). Operation for
     * operation as one row at a time. */
    float e[LOG_SOFTMAX_BLOCK_FLOATS];
    float m[LOG_SOFTMAX_BLOCK_ROWS];
    int block_rows = LOG_SOFTMAX_BLOCK_FLOATS / cols;
    block_rows = block_rows < LOG_SOFTMAX_BLOCK_ROWS ? block_rows : LOG_SOFTMAX_BLOCK_ROWS;
    for (int r0 = 0; r0 < rows; r0 += block_rows) {
        int nr = rows - r0 < block_rows ? rows - r0 : block_rows;
        exp_minus_max_block(e, m, logits + (size_t)r0 * cols, nr, cols);
        for (int i = 0; i < nr; i++) {
            const float* x = logits + (size_t)(r0 + i) * cols;
            float* y = out + (size_t)(r0 + i) * cols;
            float log_sum = (float)log(add_in_order(0.0, e + i * cols, cols));
            for (int c = 0; c < cols; c++) y[c] = (x[c] - m[i]) - log_sum;
        }
    }
}

PNN_VECTOR
void pnn_log_softmax_backward(float* dinp, const float* out, const float* dout, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        const float* y = out + (size_t)r * cols;
        const float* dy = dout + (size_t)r * cols;
        float* dx = dinp + (size_t)r * cols;
        double sum = 0.0;
        for (int c = 0; c < cols; c++) sum += dy[c];
        float s = (float)sum;
        for (int c = 0; c < cols; c++) dx[c] = dy[c] - exp_float(y[c]) * s;
    }
}

/* ---- losses ------------------------------------------------------------------------------ */

/* Rows the fused cross-entropy takes at once (their maxima and labelled logits on the stack). */
#define CROSS_ENTROPY_BLOCK_ROWS 64

PNN_VECTOR
double pnn_cross_entropy_forward_backward(float* dlogits, const float* logits,
                                          const int32_t* labels, int rows, int cols) {
    double total = 0.0;
    if (dlogits == NULL) {
        for (int r = 0; r < rows; r++) {
            const float* x = logits + (size_t)r * cols;
            float m = row_max(x, cols);
            total += ((double)m + log(row_sum_exp(x, m, cols))) - (double)x[labels[r]];
        }
        return total / rows;
    }
    /* A block of rows at a time: each row's labelled logit, then the block's exponentials into
     * dlogits (exp_minus_max_block; dlogits may alias logits, whose labelled logits are read by
     * then), then each row's sum, softmax / rows and loss. Operation for operation as one row at
     * a time. */
    float m[CROSS_ENTROPY_BLOCK_ROWS];
    float x_label[CROSS_ENTROPY_BLOCK_ROWS];
    for (int r0 = 0; r0 < rows; r0 += CROSS_ENTROPY_BLOCK_ROWS) {
        int nr = rows - r0 < CROSS_ENTROPY_BLOCK_ROWS ? rows - r0 : CROSS_ENTROPY_BLOCK_ROWS;
        float* block = dlogits + (size_t)r0 * cols;
        for (int i = 0; i < nr; i++) x_label[i] = logits[(size_t)(r0 + i) * cols + labels[r0 + i]];
        exp_minus_max_block(block, m, logits + (size_t)r0 * cols, nr, cols);
        for (int i = 0; i < nr; i++) {
            float* dx = block + (size_t)i * cols;
            double sum = add_in_order(0.0, dx, cols);
            float scale = (float)(1.0 / (sum * (double)rows));
            for (int c = 0; c < cols; c++) dx[c] *= scale;
            dx[labels[r0 + i]] -= (float)(1.0 / rows);
            total += ((double)m[i] + log(sum)) - (double)x_label[i];
        }
    }
    return total / rows;
}

PNN_VECTOR
double pnn_nll_forward_backward(float* dlogprobs, const float* logprobs, const int32_t* labels,
                                int rows, int cols) {
    double total = 0.0;
    for (int r = 0; r < rows; r++) total -= logprobs[(size_t)r * cols + labels[r]];
    if (dlogprobs != NULL) {
        float g = (float)(-1.0 / rows);
        for (int r = 0; r < rows; r++) {
            float* d = dlogprobs + (size_t)r * cols;
            for (int c = 0; c < cols; c++) d[c] = 0.0f;
            d[labels[r]] = g;
        }
    }
    return total / rows;
}

PNN_VECTOR
double pnn_mse_forward_backward(float* dout, const float* out, const float* target, int64_t n) {
    double total = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)out[i] - (double)target[i];
        total += d * d;
    }
    if (dout != NULL) {
        float g = (float)(2.0 / (double)n);
        for (int64_t i = 0; i < n; i++) dout[i] = (out[i] - target[i]) * g;
    }
    return total / (double)n;
}

PNN_VECTOR
double pnn_mse_onehot_forward_backward(float* dout, const float* out, const int32_t* labels,
                                       int rows, int cols) {
    double total = 0.0;
    double n = (double)rows * (double)cols;
    float g = (float)(2.0 / n);
    for (int r = 0; r < rows; r++) {
        const float* y = out + (size_t)r * cols;
        int label = labels[r];
        for (int c = 0; c < cols; c++) {
            double d = (double)y[c] - (c == label ? 1.0 : 0.0);
            total += d * d;
        }
        if (dout != NULL) {
            float* dy = dout + (size_t)r * cols;
            for (int c = 0; c < cols; c++) dy[c] = (y[c] - (c == label ? 1.0f : 0.0f)) * g;
        }
    }
    return total / n;
}

/* ---- metrics ----------------------------------------------------------------------------- */

int32_t pnn_count_correct(const float* scores, const int32_t* labels, int rows, int cols) {
    int32_t correct = 0;
    for (int r = 0; r < rows; r++) {
        const float* s = scores + (size_t)r * cols;
        int best = 0;
        float bestValue = s[0];
        int nan = 0;
        for (int c = 0; c < cols; c++) {
            float v = s[c];
            nan |= v != v;
            if (v > bestValue) {
                best = c;
                bestValue = v;
            }
        }
        correct += !nan && best == labels[r];
    }
    return correct;
}

/* ---- backward ---------------------------------------------------------------------------- */

PNN_VECTOR
void pnn_bias_backward(float* dbias, const float* dout, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
        const float* dy = dout + (size_t)r * cols;
        for (int c = 0; c < cols; c++) dbias[c] += dy[c];
    }
}

/* ---- optimizers -------------------------------------------------------------------------- */

/* Optimizer state below FLT_MIN is stored as 0: see the header. Compiles to a compare and an and. */
static inline float flush_subnormal(float x) { return fabsf(x) < FLT_MIN ? 0.0f : x; }

/* The shards of a training step all read the parameters and each updates its own range of them,
 * so the lines an update writes are mostly held in another core's cache too: every store must
 * first take the line back, and stores retire in order, so those round trips would run one after
 * another. The updates below walk their range in blocks and fetch the lines a few blocks ahead,
 * so the round trips overlap. A hint only: no value changes. __builtin_prefetch(p, 1, 3) is
 * PREFETCHT0 here: the compiler emits PREFETCHW (fetch to own) only for processors it is told
 * have it, and these builds are for any x86-64. PREFETCHW itself was measured and not kept
 * (BENCHMARKS.md, "Near and far cores"). */
#define UPDATE_BLOCK 64   /* floats: four cache lines */
#define UPDATE_AHEAD 1024 /* floats: 64 cache lines ahead of the block being updated */

static inline void claim_for_write(float* params, int64_t from, int64_t n) {
    int64_t to = from + UPDATE_BLOCK < n ? from + UPDATE_BLOCK : n;
    for (int64_t i = from; i < to; i += 16) __builtin_prefetch(params + i, 1, 3);
}

/* The end of the block that starts at b (n past the end), after claiming the block
 * UPDATE_AHEAD floats on. */
static inline int64_t next_block(float* params, int64_t b, int64_t n) {
    claim_for_write(params, b + UPDATE_AHEAD, n);
    return b + UPDATE_BLOCK < n ? b + UPDATE_BLOCK : n;
}

/* Claims the blocks before UPDATE_AHEAD too; the end of the first block. */
static inline int64_t first_block(float* params, int64_t n) {
    for (int64_t b = 0; b < UPDATE_AHEAD && b < n; b += UPDATE_BLOCK) claim_for_write(params, b, n);
    return next_block(params, 0, n);
}

PNN_VECTOR
void pnn_sgd_update(float* params, const float* grads, int64_t n, float lr, float weight_decay) {
    if (weight_decay == 0.0f) {
        for (int64_t b = 0, e = first_block(params, n); b < n; b = e, e = next_block(params, b, n)) {
            for (int64_t i = b; i < e; i++) params[i] -= lr * grads[i];
        }
        return;
    }
    for (int64_t b = 0, e = first_block(params, n); b < n; b = e, e = next_block(params, b, n)) {
        for (int64_t i = b; i < e; i++) {
            float g = grads[i] + weight_decay * params[i];
            params[i] -= lr * g;
        }
    }
}

PNN_VECTOR
void pnn_sgd_momentum_update(float* params, float* velocity, const float* grads, int64_t n,
                             float lr, float momentum, float weight_decay, int nesterov) {
    if (nesterov) {
        for (int64_t b = 0, e = first_block(params, n); b < n; b = e, e = next_block(params, b, n)) {
            for (int64_t i = b; i < e; i++) {
                float g = grads[i] + weight_decay * params[i];
                float v = flush_subnormal(momentum * velocity[i] + g);
                velocity[i] = v;
                params[i] -= lr * (g + momentum * v);
            }
        }
    } else {
        for (int64_t b = 0, e = first_block(params, n); b < n; b = e, e = next_block(params, b, n)) {
            for (int64_t i = b; i < e; i++) {
                float g = grads[i] + weight_decay * params[i];
                float v = flush_subnormal(momentum * velocity[i] + g);
                velocity[i] = v;
                params[i] -= lr * v;
            }
        }
    }
}

PNN_VECTOR
void pnn_adam_update(float* params, float* m, float* v, const float* grads, int64_t n,
                     float lr, float beta1, float beta2, float eps, float weight_decay,
                     int decoupled, float step_size, float bias_correction2_sqrt) {
    float l2 = decoupled ? 0.0f : weight_decay;
    float shrink = decoupled ? 1.0f - lr * weight_decay : 1.0f;
    for (int64_t b = 0, e = first_block(params, n); b < n; b = e, e = next_block(params, b, n)) {
        for (int64_t i = b; i < e; i++) {
            float p = params[i];
            float g = grads[i] + l2 * p;
            float mi = flush_subnormal(beta1 * m[i] + (1.0f - beta1) * g);
            float vi = flush_subnormal(beta2 * v[i] + (1.0f - beta2) * g * g);
            m[i] = mi;
            v[i] = vi;
            params[i] = p * shrink - step_size * mi / (sqrtf(vi) / bias_correction2_sqrt + eps);
        }
    }
}

/* ---- data -------------------------------------------------------------------------------- */

/* Rows of a shuffled batch are scattered over a large dataset: each is a handful of cache misses
 * the hardware prefetcher cannot foresee. Asking for the rows a few places ahead overlaps those
 * misses with the conversion of the current row. */
#define GATHER_PREFETCH_AHEAD 3

/* The first cache line of bytes that start at p. */
static inline const uint8_t* line_of(const uint8_t* p) {
    return (const uint8_t*)((uintptr_t)p & ~(uintptr_t)63);
}

/* Bytes [p, p + len) of a row, for the gather about to read them (not kept in the inner caches). */
static inline void prefetch_now(const uint8_t* p, int len) {
    for (const uint8_t* l = line_of(p); l < p + len; l += 64) __builtin_prefetch(l, 0, 0);
}

/* Bytes [p, p + len) of a row, for a gather a step later (into the outer caches). */
static inline void prefetch_later(const uint8_t* p, int len) {
    for (const uint8_t* l = line_of(p); l < p + len; l += 64) __builtin_prefetch(l, 0, 1);
}

/* y[c] = (float)s[c] * scale + shift, c < cols: a product, then a sum, each rounded to float. */
PNN_VECTOR
static void convert_row(float* y, const uint8_t* s, int cols, float scale, float shift) {
    for (int c = 0; c < cols; c++) y[c] = (float)s[c] * scale + shift;
}

#ifdef HAVE_CONVERT_ROW_AVX512

/* 16 elements of convert_row: the bytes widened to int32 by one instruction (where gcc's
 * vectorized loop takes several), then the same product and sum */
static inline __attribute__((always_inline, target("avx512f"))) void convert16(float* y, const uint8_t* s,
                                                                              __m512 scale, __m512 shift) {
    __m512 x = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i*)s)));
    _mm512_storeu_ps(y, _mm512_add_ps(_mm512_mul_ps(x, scale), shift));
}

/* convert_row by convert16, 64 bytes a step while they last; the tail by convert_row */
__attribute__((target("avx512f")))
static void convert_row_avx512(float* y, const uint8_t* s, int cols, float scale, float shift) {
    const __m512 vscale = _mm512_set1_ps(scale);
    const __m512 vshift = _mm512_set1_ps(shift);
    int c = 0;
    for (; c + 64 <= cols; c += 64) {
        for (int q = 0; q < 64; q += 16) convert16(y + c + q, s + c + q, vscale, vshift);
    }
    for (; c + 16 <= cols; c += 16) convert16(y + c, s + c, vscale, vshift);
    if (c < cols) convert_row(y + c, s + c, cols - c, scale, shift);
}
#endif

void pnn_gather_rows_u8(float* out, const uint8_t* src, const int32_t* indices,
                        int offset, int batch, int src_cols, int column, int cols, float scale,
                        float shift) {
    indices += offset;
    src += column;
#ifdef HAVE_CONVERT_ROW_AVX512
    __builtin_cpu_init();
    int avx512 = __builtin_cpu_supports("avx512f");
#else
    int avx512 = 0;
#endif
    for (int b = 0; b < batch && b < GATHER_PREFETCH_AHEAD; b++) {
        prefetch_now(src + (size_t)indices[b] * (size_t)src_cols, cols);
    }
    for (int b = 0; b < batch; b++) {
        if (b + GATHER_PREFETCH_AHEAD < batch) {
            prefetch_now(src + (size_t)indices[b + GATHER_PREFETCH_AHEAD] * (size_t)src_cols, cols);
        }
        const uint8_t* s = src + (size_t)indices[b] * (size_t)src_cols;
        float* y = out + (size_t)b * cols;
#ifdef HAVE_CONVERT_ROW_AVX512
        if (avx512) {
            convert_row_avx512(y, s, cols, scale, shift);
            continue;
        }
#endif
        convert_row(y, s, cols, scale, shift);
    }
}

void pnn_prefetch_rows_u8(const uint8_t* src, const int32_t* indices, int offset, int batch,
                          int src_cols, int column, int cols) {
    indices += offset;
    src += column;
    /* into the outer caches: the rows are used a step later, after the step's products have
     * streamed their weights through the inner ones */
    for (int b = 0; b < batch; b++) {
        prefetch_later(src + (size_t)indices[b] * (size_t)src_cols, cols);
    }
}
