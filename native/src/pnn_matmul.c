/*
 * A matrix product for operands that fit in a core's cache (the training shapes); see
 * pnn_kernels.h. A 6 x 64 tile of c lives in 24 AVX-512 registers while the sum runs over k:
 * each step loads four vectors of one row of b, broadcasts six elements of op(a) and issues 24
 * fused multiply-adds. Nothing is packed: b's rows are read in place (they stay in cache from
 * one tile to the next) and op(a)'s elements are broadcast from wherever its strides put them,
 * so op(a) may be a transpose at no cost. A transposed b is turned into rows of 64 on the stack,
 * one panel of columns at a time, by 16 x 16 transposes in registers.
 */
#include "pnn_kernels.h"

#include <float.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define MR 6
#define NV 4
#define TARGET __attribute__((target("avx512f")))

/*
 * What a tile does with its sums, decided once for each panel of columns (epilogue_of), not for
 * each vector, so that each tile's epilogue is straight-line code for one case, with the
 * operations of the general case:
 * c = alpha * acc + beta * c, where alpha 1 skips the multiply and beta 0 the read of c (and
 * beta 1 its multiply); or, for pnn_matmul_momentum, the momentum update (put_momentum).
 */
enum epilogue { STORE, SCALE, ADD, SCALE_ADD, GENERAL, MOMENTUM };

static enum epilogue epilogue_of(float alpha, float beta, int momentum) {
    if (momentum) return MOMENTUM;
    if (beta == 0.0f) return alpha == 1.0f ? STORE : SCALE;
    if (beta == 1.0f) return alpha == 1.0f ? ADD : SCALE_ADD;
    return GENERAL;
}

/* One vector of a tile's row of c: c = alpha * acc + beta * c over the lanes of mask, in the
 * epilogue's case (a constant wherever this is inlined) */
static inline __attribute__((always_inline)) TARGET void put(float* c, __mmask16 mask, __m512 acc, float alpha,
                                                            float beta, enum epilogue kind) {
    const int scaled = kind == SCALE || kind == SCALE_ADD || (kind == GENERAL && alpha != 1.0f);
    __m512 v = scaled ? _mm512_mul_ps(_mm512_set1_ps(alpha), acc) : acc;
    if (kind == ADD || kind == SCALE_ADD || kind == GENERAL) {
        const __m512 old = _mm512_maskz_loadu_ps(mask, c);
        v = _mm512_add_ps(v, kind == GENERAL ? _mm512_mul_ps(_mm512_set1_ps(beta), old) : old);
    }
    _mm512_mask_storeu_ps(c, mask, v);
}

/* What pnn_matmul_momentum does with each element's sum instead of storing it: the momentum update
 * of the parameter there (c) and of its velocity, v_off floats on, as pnn_sgd_momentum_update
 * computes it from that sum as the gradient, operation for operation. */
struct momentum {
    int64_t v_off;
    float lr, momentum, weight_decay;
    int nesterov;
};

static inline __attribute__((always_inline)) TARGET void put_momentum(float* c, __mmask16 mask, __m512 g,
                                                                     const struct momentum* e) {
    float* vp = c + e->v_off;
    __m512 p = _mm512_maskz_loadu_ps(mask, c);
    g = _mm512_add_ps(g, _mm512_mul_ps(_mm512_set1_ps(e->weight_decay), p));
    __m512 v = _mm512_add_ps(_mm512_mul_ps(_mm512_set1_ps(e->momentum), _mm512_maskz_loadu_ps(mask, vp)), g);
    /* flush_subnormal: |v| < FLT_MIN is stored as 0 (a NaN compares false and stays) */
    v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(_mm512_abs_ps(v), _mm512_set1_ps(FLT_MIN), _CMP_LT_OQ),
                           _mm512_setzero_ps());
    _mm512_mask_storeu_ps(vp, mask, v);
    __m512 step = e->nesterov ? _mm512_add_ps(g, _mm512_mul_ps(_mm512_set1_ps(e->momentum), v)) : v;
    _mm512_mask_storeu_ps(c, mask, _mm512_sub_ps(p, _mm512_mul_ps(_mm512_set1_ps(e->lr), step)));
}

/* One vector of a tile's row: stored (put) or a momentum update (put_momentum) */
static inline __attribute__((always_inline)) TARGET void finish(float* c, __mmask16 mask, __m512 acc, float alpha,
                                                               float beta, const struct momentum* e,
                                                               enum epilogue kind) {
    if (kind == MOMENTUM) {
        put_momentum(c, mask, acc, e);
    } else {
        put(c, mask, acc, alpha, beta, kind);
    }
}

/*
 * A tile of MR_ rows and NV_ vectors of c (the last vector's lanes by `last`). The accumulators are
 * named variables, not an array: gcc keeps an array in memory around the masked loads, whose
 * builtins it treats as reading any memory, and then stores all of it on every step.
 */
#define ROW_STEP(I)                                                                  \
    if (I < ROWS) {                                                                   \
        const __m512 av = _mm512_set1_ps(ap[I * a_rs]);                              \
        c##I##0 = _mm512_fmadd_ps(av, b0, c##I##0);                                  \
        if (VECS > 1) c##I##1 = _mm512_fmadd_ps(av, b1, c##I##1);                     \
        if (VECS > 2) c##I##2 = _mm512_fmadd_ps(av, b2, c##I##2);                     \
        if (VECS > 3) c##I##3 = _mm512_fmadd_ps(av, b3, c##I##3);                     \
    }
#define ROW_PUT(I, K)                                                                         \
    if (I < ROWS) {                                                                            \
        float* ci = c + I * ldc;                                                              \
        finish(ci, VECS == 1 ? last : 0xFFFF, c##I##0, alpha, beta, e, K);                       \
        if (VECS > 1) finish(ci + 16, VECS == 2 ? last : 0xFFFF, c##I##1, alpha, beta, e, K);    \
        if (VECS > 2) finish(ci + 32, VECS == 3 ? last : 0xFFFF, c##I##2, alpha, beta, e, K);    \
        if (VECS > 3) finish(ci + 48, last, c##I##3, alpha, beta, e, K);                         \
    }
#define TILE_PUT(K) ROW_PUT(0, K) ROW_PUT(1, K) ROW_PUT(2, K) ROW_PUT(3, K) ROW_PUT(4, K) ROW_PUT(5, K) break;
#define ROW_DECL(I) __m512 c##I##0 = zero, c##I##1 = zero, c##I##2 = zero, c##I##3 = zero;
#define B_LOAD(J) \
    const __m512 b##J = J >= VECS ? zero : J == VECS - 1 ? _mm512_maskz_loadu_ps(last, bp + 16 * J) : _mm512_loadu_ps(bp + 16 * J);

typedef void (*tile_fn)(__mmask16 last, float* c, const float* a, const float* b, int k, int64_t a_rs,
                        int64_t a_cs, int64_t ldb, int64_t ldc, float alpha, float beta, const struct momentum* e,
                        enum epilogue kind);

/* c[0..MR_)[0..16 NV_) = alpha * sum_p op(a)[i][p] b[p][j] + beta * c, one function per tile shape */
#define TILE_FN(MR_, NV_)                                                                                 \
    static TARGET void tile_##MR_##_##NV_(__mmask16 last, float* c, const float* a, const float* b, int k, \
                                          int64_t a_rs, int64_t a_cs, int64_t ldb, int64_t ldc,           \
                                          float alpha, float beta, const struct momentum* e,              \
                                          enum epilogue kind) {                                           \
        enum { ROWS = MR_, VECS = NV_ };                                                                  \
        const __m512 zero = _mm512_setzero_ps();                                                          \
        ROW_DECL(0) ROW_DECL(1) ROW_DECL(2) ROW_DECL(3) ROW_DECL(4) ROW_DECL(5)                           \
        for (int p = 0; p < k; p++) {                                                                     \
            const float* bp = b + p * ldb;                                                                \
            const float* ap = a + p * a_cs;                                                               \
            B_LOAD(0) B_LOAD(1) B_LOAD(2) B_LOAD(3)                                                       \
            ROW_STEP(0) ROW_STEP(1) ROW_STEP(2) ROW_STEP(3) ROW_STEP(4) ROW_STEP(5)                       \
        }                                                                                                 \
        switch (kind) {                                                                                   \
            case STORE: TILE_PUT(STORE)                                                                   \
            case SCALE: TILE_PUT(SCALE)                                                                   \
            case ADD: TILE_PUT(ADD)                                                                       \
            case SCALE_ADD: TILE_PUT(SCALE_ADD)                                                           \
            case GENERAL: TILE_PUT(GENERAL)                                                               \
            case MOMENTUM: TILE_PUT(MOMENTUM)                                                             \
        }                                                                                                 \
    }
#define TILE_ROW(MR_) TILE_FN(MR_, 1) TILE_FN(MR_, 2) TILE_FN(MR_, 3) TILE_FN(MR_, 4)
TILE_ROW(1) TILE_ROW(2) TILE_ROW(3) TILE_ROW(4) TILE_ROW(5) TILE_ROW(6)

#define TILES(MR_) {tile_##MR_##_1, tile_##MR_##_2, tile_##MR_##_3, tile_##MR_##_4}
static const tile_fn TILES_BY_SHAPE[MR][NV] = {TILES(1), TILES(2), TILES(3), TILES(4), TILES(5), TILES(6)};

int pnn_matmul_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

/*
 * dst + q * dst_stride (q < out) = column q of the 16 x 16 block whose row r is src + r * stride
 * (its lanes by mask, zero past them; rows >= rows zero): unpacks of 32 and 64 bits, then two
 * rounds of 128-bit lane shuffles.
 */
static TARGET void transpose16(float* dst, int64_t dst_stride, int out, const float* src, int64_t stride, int rows,
                               __mmask16 mask) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) {
        r[i] = i < rows ? _mm512_maskz_loadu_ps(mask, src + i * stride) : _mm512_setzero_ps();
    }
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int h = 0; h < 16; h += 8) {
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xDD);
        }
    }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
    }
    for (int q = 0; q < out; q++) {
        _mm512_store_ps(dst + q * dst_stride, r[q]);
    }
}

/* panel[p][j] = b(p, col + j) = b[p + (col + j) * b_cs] for j < width (0 up to the next multiple
 * of 16): a transposed b's columns [col, col + width) as rows of 64, by 16 x 16 transposes */
static TARGET void pack(float* panel, const float* b, int k, int col, int width, int64_t b_cs) {
    for (int v = 0; v < width; v += 16) {
        const int lanes_in = width - v >= 16 ? 16 : width - v;
        const float* first = b + (int64_t) (col + v) * b_cs;
        for (int p = 0; p < k; p += 16) {
            const int along = k - p >= 16 ? 16 : k - p;
            transpose16(panel + p * 16 * NV + v, 16 * NV, along, first + p, b_cs, lanes_in,
                        (__mmask16) (0xFFFFu >> (16 - along)));
        }
    }
}

/* The columns [col, col + width) of c, from rows of b (op(b)'s row p at bp + p * ldb) */
static TARGET void panel_columns(float* c, const float* a, const float* bp, int m, int k, int col, int width,
                                 int64_t a_rs, int64_t a_cs, int64_t ldb, int ldc, float alpha, float beta,
                                 const struct momentum* e) {
    const int nv = (width + 15) / 16;
    const __mmask16 last = (__mmask16) (0xFFFFu >> (16 * nv - width));
    const enum epilogue kind = epilogue_of(alpha, beta, e != NULL);
    for (int row = 0; row < m; row += MR) {
        const int mr = m - row < MR ? m - row : MR;
        TILES_BY_SHAPE[mr - 1][nv - 1](last, c + (int64_t) row * ldc + col, a + row * a_rs, bp, k, a_rs, a_cs, ldb,
                                       ldc, alpha, beta, e, kind);
    }
}

/* A transposed b: each panel of 64 columns gathered into rows on this function's stack (64 KB),
 * kept out of line so that a product with b in rows uses no such stack */
static __attribute__((noinline)) TARGET void transposed_b(float* c, const float* a, const float* b, int m, int n,
                                                          int k, int64_t a_rs, int64_t a_cs, int64_t b_cs, int ldc,
                                                          float alpha, float beta, const struct momentum* e) {
    float panel[PNN_MATMUL_MAX_PACKED_K * 16 * NV] __attribute__((aligned(64)));
    for (int col = 0; col < n; col += 16 * NV) {
        const int width = n - col < 16 * NV ? n - col : 16 * NV;
        pack(panel, b, k, col, width, b_cs);
        panel_columns(c, a, panel, m, k, col, width, a_rs, a_cs, 16 * NV, ldc, alpha, beta, e);
    }
}

/* The product's columns, panel by panel; e: the momentum epilogue, or NULL */
static TARGET void product(float* c, const float* a, const float* b, int m, int n, int k, int64_t a_rs, int64_t a_cs,
                           int64_t b_rs, int64_t b_cs, int ldc, float alpha, float beta, const struct momentum* e) {
    if (b_cs != 1) {
        transposed_b(c, a, b, m, n, k, a_rs, a_cs, b_cs, ldc, alpha, beta, e);
        return;
    }
    for (int col = 0; col < n; col += 16 * NV) {
        const int width = n - col < 16 * NV ? n - col : 16 * NV;
        panel_columns(c, a, b + col, m, k, col, width, a_rs, a_cs, b_rs, ldc, alpha, beta, e);
    }
}

TARGET void pnn_matmul(float* c, const float* a, const float* b, int m, int n, int k, int64_t a_rs, int64_t a_cs,
                       int64_t b_rs, int64_t b_cs, int ldc, float alpha, float beta) {
    if (alpha == 0.0f) { /* as a BLAS: a and b are not read */
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) c[(int64_t) i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[(int64_t) i * ldc + j];
        return;
    }
    product(c, a, b, m, n, k, a_rs, a_cs, b_rs, b_cs, ldc, alpha, beta, NULL);
}

TARGET void pnn_matmul_momentum(float* params, float* velocity, const float* a, const float* b, int m, int n, int k,
                                int64_t a_rs, int64_t a_cs, int64_t b_rs, int64_t b_cs, int ldc, float lr,
                                float momentum, float weight_decay, int nesterov) {
    const struct momentum e = {velocity - params, lr, momentum, weight_decay, nesterov};
    product(params, a, b, m, n, k, a_rs, a_cs, b_rs, b_cs, ldc, 1.0f, 0.0f, &e);
}

#else

int pnn_matmul_supported(void) { return 0; }

void pnn_matmul(float* c, const float* a, const float* b, int m, int n, int k, int64_t a_rs, int64_t a_cs,
                int64_t b_rs, int64_t b_cs, int ldc, float alpha, float beta) {
    (void) c; (void) a; (void) b; (void) m; (void) n; (void) k; (void) a_rs; (void) a_cs; (void) b_rs;
    (void) b_cs; (void) ldc; (void) alpha; (void) beta;
}

void pnn_matmul_momentum(float* params, float* velocity, const float* a, const float* b, int m, int n, int k,
                         int64_t a_rs, int64_t a_cs, int64_t b_rs, int64_t b_cs, int ldc, float lr, float momentum,
                         float weight_decay, int nesterov) {
    (void) params; (void) velocity; (void) a; (void) b; (void) m; (void) n; (void) k; (void) a_rs; (void) a_cs;
    (void) b_rs; (void) b_cs; (void) ldc; (void) lr; (void) momentum; (void) weight_decay; (void) nesterov;
}

#endif
