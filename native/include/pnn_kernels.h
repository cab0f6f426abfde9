/*
 * pnn_kernels.h: the contract between panama-nn's Java code and its C kernels.
 *
 * Change this header first, then regenerate bindings/ (`make bindings`), then adapt tensor/.
 *
 * Conventions (llm.c style):
 *   - outputs first, then inputs, then sizes; a gradient carries a `d` prefix;
 *   - every matrix is dense, row-major float32; the comment after a pointer gives its shape;
 *   - forward kernels overwrite their output; kernels that produce a *parameter* gradient
 *     (pnn_bias_backward) accumulate into it, so zeroing gradients is the caller's own call;
 *     kernels that produce an *activation* gradient (dinp, dlogits) overwrite it;
 *   - where a comment says an output "may alias" an input, exactly the same buffer is allowed;
 *     any other overlap is undefined here and is rejected on the Java side before the call;
 *   - sizes are validated on the Java side (tensor/): these kernels trust them, and trust that
 *     labels and indices are in range. They allocate nothing and keep no state.
 */
#ifndef PNN_KERNELS_H
#define PNN_KERNELS_H

#include <stdint.h>

/* Bumped on every change of a signature or of a kernel's meaning; Java refuses a library
 * whose pnn_kernels_abi_version() differs from the value it was generated against. */
#define PNN_KERNELS_ABI_VERSION 9

int pnn_kernels_abi_version(void);

/* ---- matrix product ---------------------------------------------------------------------- */

/* 1 when pnn_matmul runs on this processor (it needs AVX-512F), else 0: then pnn_matmul must not
 * be called, and a BLAS does the products. */
int pnn_matmul_supported(void);

/* The largest k of a product whose b is given transposed (b_cs != 1 in pnn_matmul). */
#define PNN_MATMUL_MAX_PACKED_K 256

/* c = alpha * op(a) op(b) + beta * c, where op(a)[i][p] = a[i * a_rs + p * a_cs] and
 * op(b)[p][j] = b[p * b_rs + j * b_cs]: (rs, cs) = (k, 1) for a row-major (m, k) a, (1, m) for the
 * transpose of a row-major (k, m) one; (n, 1) for a row-major (k, n) b, (1, k) for the transpose of
 * a row-major (n, k) one. b_cs is 1 (b's rows b_rs apart) or b_rs is 1 (a transposed b, its
 * columns b_cs apart), which needs k <= PNN_MATMUL_MAX_PACKED_K. c is not read when beta is 0,
 * a and b not when alpha is 0 (c = beta * c, or 0).
 * Each element's sum runs over p = 0, 1, ..., k - 1, one fused multiply-add after another from 0,
 * then alpha * sum + beta * c (each product rounded, as written), so the result does not depend
 * on m, n, the operands' layout or where the element lies. Nothing is blocked: meant for operands
 * that fit in a core's cache together, where it beats a BLAS's packing; far slower than a BLAS on
 * large ones. c must not overlap a or b. */
void pnn_matmul(float* c,        /* (m, n), row stride ldc */
                const float* a,  /* op(a): (m, k) by its strides */
                const float* b,  /* op(b): (k, n) by its strides */
                int m, int n, int k, int64_t a_rs, int64_t a_cs, int64_t b_rs, int64_t b_cs, int ldc, float alpha,
                float beta);

/* SGD with momentum applied to params with the gradient op(a) op(b), which is never stored: each
 * element's sum as pnn_matmul computes it (alpha 1), then, as pnn_sgd_momentum_update does with
 * that sum as its gradient, operation for operation (so the same bits): g = sum + weight_decay *
 * params; velocity = flush(momentum * velocity + g); params -= lr * (nesterov ? g + momentum *
 * velocity : velocity). velocity is laid out as params (row stride ldc) and overlaps neither it
 * nor a or b. Only where pnn_matmul_supported(). */
void pnn_matmul_momentum(float* params,   /* (m, n), row stride ldc */
                         float* velocity, /* (m, n), row stride ldc */
                         const float* a, const float* b, int m, int n, int k, int64_t a_rs, int64_t a_cs,
                         int64_t b_rs, int64_t b_cs, int ldc, float lr, float momentum, float weight_decay,
                         int nesterov);

/* ---- forward ----------------------------------------------------------------------------- */

/* out[r][c] = inp[r][c] + bias[c]. out may alias inp. */
void pnn_bias_add(float* out,         /* (rows, cols) */
                  const float* inp,   /* (rows, cols) */
                  const float* bias,  /* (cols) */
                  int rows, int cols);

/* out[r][c] = relu(inp[r][c] + bias[c]) with relu as in pnn_relu_forward. out may alias inp.
 * Bit-identical to pnn_bias_add followed by pnn_relu_forward. */
void pnn_bias_add_relu(float* out,        /* (rows, cols) */
                       const float* inp,  /* (rows, cols) */
                       const float* bias, /* (cols) */
                       int rows, int cols);

/* out[i] = inp[i] < 0 ? 0 : inp[i]. A NaN passes through as NaN (as in PyTorch), never as a
 * silent 0; -0.0 stays -0.0. out may alias inp. */
void pnn_relu_forward(float* out, const float* inp, int64_t n);

/* dinp[i] = out[i] > 0 ? dout[i] : 0, where out is the ReLU *output*. At exactly 0 the
 * gradient is 0 (the subgradient PyTorch also picks). dinp may alias dout. */
void pnn_relu_backward(float* dinp, const float* out, const float* dout, int64_t n);

/* out[i] = 1 / (1 + exp(-inp[i])), computed without overflow for any finite input.
 * out may alias inp. */
void pnn_sigmoid_forward(float* out, const float* inp, int64_t n);

/* dinp[i] = dout[i] * out[i] * (1 - out[i]), where out is the sigmoid *output*.
 * dinp may alias dout. */
void pnn_sigmoid_backward(float* dinp, const float* out, const float* dout, int64_t n);

/* Row-wise numerically stable log-softmax: out[r][c] = (x[r][c] - m) - log(sum_k exp(x[r][k] - m))
 * with m the row maximum. The sum is accumulated in double. A row whose softmax is undefined
 * (a NaN, a +inf, or nothing but -inf) comes out all NaN, never as a silent number; a -inf
 * among finite logits gets log-probability -inf. out may alias logits. */
void pnn_log_softmax_forward(float* out,          /* (rows, cols) */
                             const float* logits, /* (rows, cols) */
                             int rows, int cols);

/* dinp[r][c] = dout[r][c] - exp(out[r][c]) * sum_k dout[r][k], where out is the log-softmax
 * *output*. dinp may alias dout. */
void pnn_log_softmax_backward(float* dinp,        /* (rows, cols) */
                              const float* out,   /* (rows, cols) */
                              const float* dout,  /* (rows, cols) */
                              int rows, int cols);

/* ---- losses (mean over the batch; the return value is accumulated in double) -------------- */

/* Fused log-softmax + negative log-likelihood on raw logits, one call over the batch:
 * returns mean_r [ logsumexp(logits[r]) - logits[r][labels[r]] ] and, when dlogits is not NULL,
 * writes dlogits = (softmax(logits) - onehot(labels)) / rows. dlogits may alias logits. */
double pnn_cross_entropy_forward_backward(float* dlogits,        /* (rows, cols) or NULL */
                                          const float* logits,   /* (rows, cols) */
                                          const int32_t* labels, /* (rows), each in [0, cols) */
                                          int rows, int cols);

/* Negative log-likelihood on log-probabilities: returns -mean_r logprobs[r][labels[r]] and,
 * when dlogprobs is not NULL, writes dlogprobs = -onehot(labels) / rows. */
double pnn_nll_forward_backward(float* dlogprobs,       /* (rows, cols) or NULL */
                                const float* logprobs,  /* (rows, cols) */
                                const int32_t* labels,  /* (rows), each in [0, cols) */
                                int rows, int cols);

/* Mean squared error against dense targets: returns mean_i (out[i] - target[i])^2 over all n
 * elements and, when dout is not NULL, writes dout = 2 (out - target) / n. */
double pnn_mse_forward_backward(float* dout,          /* (n) or NULL */
                                const float* out,     /* (n) */
                                const float* target,  /* (n) */
                                int64_t n);

/* Mean squared error against one-hot targets built from labels, mean over rows * cols
 * elements (as PyTorch's MSELoss with one-hot targets); dout = 2 (out - onehot) / (rows*cols). */
double pnn_mse_onehot_forward_backward(float* dout,           /* (rows, cols) or NULL */
                                       const float* out,      /* (rows, cols) */
                                       const int32_t* labels, /* (rows), each in [0, cols) */
                                       int rows, int cols);

/* ---- metrics ----------------------------------------------------------------------------- */

/* How many rows r have their largest score at column labels[r]: the argmax of a row is the
 * first column of its maximum, and a row holding a NaN has none (it counts as wrong). */
int32_t pnn_count_correct(const float* scores,    /* (rows, cols) */
                          const int32_t* labels,  /* (rows), each in [0, cols) */
                          int rows, int cols);

/* ---- backward ---------------------------------------------------------------------------- */

/* dbias[c] += sum_r dout[r][c] (accumulates). */
void pnn_bias_backward(float* dbias,      /* (cols) */
                       const float* dout, /* (rows, cols) */
                       int rows, int cols);

/* ---- optimizers: one flat parameter buffer, n elements, updated in place ------------------ *
 *
 * Optimizer state (momentum's velocity, Adam's m and v) whose magnitude falls below FLT_MIN
 * (1.2e-38) is stored as 0. A unit whose gradient is exactly 0 (a dead ReLU) sees its state
 * decay geometrically into the subnormal range, where every x86 operation on it takes a
 * microcode assist of ~100 cycles; flushing costs a compare per element and changes nothing a
 * parameter would ever feel. */

/* g = grads + weight_decay * params;  params -= lr * g. With weight_decay 0, g = grads (the decay
 * term is not added, as PyTorch does not: 0 * params would turn an infinite parameter into NaN and
 * a gradient of -0 into +0), so params -= lr * grads is also what a product computes that adds
 * -lr times the gradient to the parameters (pnn_matmul with alpha -lr and beta 1), to the bit. */
void pnn_sgd_update(float* params, const float* grads, int64_t n,
                    float lr, float weight_decay);

/* PyTorch's SGD with momentum (dampening 0):
 *   g = grads + weight_decay * params;  velocity = momentum * velocity + g;
 *   params -= lr * (nesterov ? g + momentum * velocity : velocity)
 * velocity starts at zero, which makes the first step equal to PyTorch's (velocity = g). */
void pnn_sgd_momentum_update(float* params, float* velocity, const float* grads, int64_t n,
                             float lr, float momentum, float weight_decay, int nesterov);

/* Adam (Kingma & Ba), written as PyTorch writes it, with the bias corrections of step t
 * precomputed by the caller: step_size = lr / (1 - beta1^t), bias_correction2_sqrt =
 * sqrt(1 - beta2^t).
 *   decoupled == 0 (Adam, L2):     g = grads + weight_decay * params
 *   decoupled != 0 (AdamW):        g = grads;  params *= 1 - lr * weight_decay
 *   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
 *   params -= step_size * m / (sqrt(v) / bias_correction2_sqrt + eps) */
void pnn_adam_update(float* params, float* m, float* v, const float* grads, int64_t n,
                     float lr, float beta1, float beta2, float eps, float weight_decay,
                     int decoupled, float step_size, float bias_correction2_sqrt);

/* ---- data -------------------------------------------------------------------------------- */

/* Batch gather from a uint8 matrix with affine scaling, of columns [column, column + cols) of
 * each row (all of them: column = 0, cols = src_cols):
 *   out[b][c] = src[indices[offset + b]][column + c] * scale + shift,  b < batch, c < cols
 * For images scaled by 1/255 and normalized by (mean, std): scale = 1 / (255 std),
 * shift = -mean / std. Threads that split a batch's features gather their own columns. */
void pnn_gather_rows_u8(float* out,             /* (batch, cols) */
                        const uint8_t* src,     /* (src_rows, src_cols) */
                        const int32_t* indices, /* (offset + batch), those used in [0, src_rows) */
                        int offset, int batch, int src_cols, int column, int cols, float scale,
                        float shift);

/* A hint ahead of a gather: asks the memory system for columns [column, column + cols) of rows
 * src[indices[offset + b]], b < batch, so that a gather of them later finds them in cache instead
 * of memory (the rows of a shuffled batch are scattered over the dataset). Reads and writes
 * nothing. */
void pnn_prefetch_rows_u8(const uint8_t* src,     /* (src_rows, src_cols) */
                          const int32_t* indices, /* (offset + batch), those used in [0, src_rows) */
                          int offset, int batch, int src_cols, int column, int cols);

/* ---- convolution and pooling, NHWC ----------------------------------------------------------
 * Images are NHWC: a batch of n images of h x w pixels with c channels is the (n*h*w, c)
 * matrix, so that a convolution is im2col followed by one GEMM with the (kh*kw*c, out)
 * weight, whose product is the output in NHWC again. Output sizes (Java checks them):
 *   oh = (h + 2 pad - kh) / stride + 1,  ow = (w + 2 pad - kw) / stride + 1. */

/* col[(i*oh + y)*ow + x][(ky*kw + kx)*c + ch] = inp[i][y*stride - pad + ky][x*stride - pad + kx][ch],
 * or 0 where that pixel lies in the padding. */
void pnn_im2col_nhwc(float* col,        /* (n*oh*ow, kh*kw*c) */
                     const float* inp,  /* (n, h, w, c) */
                     int n, int h, int w, int c, int kh, int kw, int stride, int pad, int oh, int ow);

/* The adjoint of pnn_im2col_nhwc: dinp (overwritten) = the sum, over every column entry that
 * pixel was copied to, of dcol; padding entries are dropped. */
void pnn_col2im_nhwc(float* dinp,       /* (n, h, w, c) */
                     const float* dcol, /* (n*oh*ow, kh*kw*c) */
                     int n, int h, int w, int c, int kh, int kw, int stride, int pad, int oh, int ow);

/* Max pooling over k x k windows with the given stride (no padding):
 *   out[i][y][x][ch] = max over the window of inp, argmax the flat index into inp of the first
 * maximum (row-major within the window). A NaN in a window wins (as in PyTorch). */
void pnn_maxpool_forward_nhwc(float* out,          /* (n, oh, ow, c) */
                              int32_t* argmax,     /* (n, oh, ow, c) */
                              const float* inp,    /* (n, h, w, c) */
                              int n, int h, int w, int c, int k, int stride, int oh, int ow);

/* dinp (overwritten, count_in entries) = 0, then dinp[argmax[j]] += dout[j] for every output j.
 * Every argmax is checked first: returns -1, or the first j whose argmax[j] lies outside
 * [0, count_in), and then writes nothing. */
int64_t pnn_maxpool_backward(float* dinp, const float* dout, const int32_t* argmax, int64_t count_in,
                             int64_t count_out);

/* ---- dropout ----------------------------------------------------------------------------- */

/* mask[i] = 0 with probability p, else 1 / (1 - p), decided by a hash of (seed, offset + i)
 * (SplitMix64): the same seed and offset give the same mask on every machine. 0 <= p < 1. */
void pnn_dropout_mask(float* mask, int64_t n, float p, uint64_t seed, int64_t offset);

/* out[i] = a[i] * b[i]. out may alias a or b. */
void pnn_mul(float* out, const float* a, const float* b, int64_t n);

#endif /* PNN_KERNELS_H */
