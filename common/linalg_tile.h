/*
 * linalg_tile.h: the two inner kernels of the fast matrix product, written once and compiled
 * once per instruction set. linalg.c includes this file three times, each time with
 *   TILE_ISA     the suffix of the functions' names (avx512, avx2, portable),
 *   TILE_TARGET  the function attribute that lets the compiler use that instruction set
 *                (__attribute__((target("avx2"))), or nothing for the portable build),
 *   TILE_VW      floats in one vector register (16, 8, 4),
 *   TILE_MR      rows of the register tile,
 *   TILE_NV      vectors per row of the register tile (so NR = TILE_NV * TILE_VW columns),
 * and the CPU picks one set when the program starts (linalg.c, mm_isa).
 *
 * The vectors are GCC's vector extension (also Clang's): `vf` holds TILE_VW floats, and
 * `acc + a * b` on vectors is TILE_VW separate float multiplies, then TILE_VW separate float
 * adds, each rounded (the build's -ffp-contract=off keeps the compiler from fusing them). So a
 * vector lane computes exactly what mm_reference computes for one element: the numbers do not
 * depend on the vector width.
 */

#define TILE_CAT2(a, b) a##_##b
#define TILE_CAT(a, b) TILE_CAT2(a, b)
#define TILE_FN(name) TILE_CAT(name, TILE_ISA)
#define TILE_NR (TILE_NV * TILE_VW)
/* Unrolled completely, the loops over r and v name each accumulator at compile time, which
 * lets the compiler keep all of them in registers instead of in an array in memory. */
#define TILE_UNROLL _Pragma("GCC unroll 16")

typedef float TILE_FN(vf) __attribute__((vector_size(TILE_VW * sizeof(float))));
/* The same vector read from or written to any float address (no alignment needed, and it may
 * alias float data): load and store go through it, so the accumulators stay in registers. */
typedef float TILE_FN(vfu)
    __attribute__((vector_size(TILE_VW * sizeof(float)), aligned(sizeof(float)), may_alias));
#define TILE_LOAD(ptr) (*(const TILE_FN(vfu) *)(ptr))
#define TILE_STORE(ptr, v) (*(TILE_FN(vfu) *)(ptr) = (v))

/* docs:begin tile */
/*
 * The register tile: ap (kc, MR) and bp (kc, NR), both packed (linalg.c) -> the full (MR, NR)
 * corner of c at c, row stride ldc. The MR x NV accumulators stay in registers for the whole
 * pass over p: each step loads NV vectors of b, then for each row broadcasts one a value and
 * adds its products to that row's accumulators. On the first pass over p (first) the
 * accumulators start at 0.0f; on later passes from the partial sums the pass before stored in
 * c. Each element adds its products in ascending p either way.
 */
TILE_TARGET static void TILE_FN(tile)(int64_t kc, const float *ap, const float *bp, float *c,
                                      int64_t ldc, bool first) {
    typedef TILE_FN(vf) vf;
    vf acc[TILE_MR][TILE_NV];
    if (first) {
        TILE_UNROLL for (int r = 0; r < TILE_MR; r++)
            TILE_UNROLL for (int v = 0; v < TILE_NV; v++) acc[r][v] = (vf){0};
    } else {
        TILE_UNROLL for (int r = 0; r < TILE_MR; r++)
            TILE_UNROLL for (int v = 0; v < TILE_NV; v++)
                acc[r][v] = TILE_LOAD(c + r * ldc + v * TILE_VW);
    }
    for (int64_t p = 0; p < kc; p++) {
        vf b[TILE_NV];
        TILE_UNROLL for (int v = 0; v < TILE_NV; v++)
            b[v] = TILE_LOAD(bp + p * TILE_NR + v * TILE_VW);
        TILE_UNROLL for (int r = 0; r < TILE_MR; r++) {
            float a = ap[p * TILE_MR + r]; /* broadcast to every lane by the vector product */
            TILE_UNROLL for (int v = 0; v < TILE_NV; v++) acc[r][v] = acc[r][v] + a * b[v];
        }
    }
    TILE_UNROLL for (int r = 0; r < TILE_MR; r++)
        TILE_UNROLL for (int v = 0; v < TILE_NV; v++)
            TILE_STORE(c + r * ldc + v * TILE_VW, acc[r][v]);
}
/* docs:end tile */

/*
 * Narrow products: c (n, m) = a (n, k) . b (k, m) with few columns (m <= MM_NARROW), rows
 * i0 .. i1 - 1, any strides everywhere. Nothing is packed. Each element's whole sum over p
 * stays in a register, and TILE_NARROW_ROWS rows are summed side by side: their chains are
 * independent, so the CPU overlaps them instead of waiting for one add after another.
 * When a's rows are adjacent in memory (a.rs == 1, e.g. a transposed matrix), the rows of
 * one step p are vector loads, shared by every column; otherwise each a value is loaded on
 * its own. A bias (bias.p not NULL, torch_addmm's) is added to each sum as it is stored.
 */
#define TILE_BIASED(sum, i, j) (bias.p ? (sum) + bias.p[(i) * bias.rs + (j) * bias.cs] : (sum))
#define TILE_NARROW_ROWS (2 * TILE_VW)
TILE_TARGET static void TILE_FN(narrow)(MmMat a, MmMat b, MmMat c, MmMat bias, int64_t i0,
                                        int64_t i1, int64_t k, int64_t m) {
    typedef TILE_FN(vf) vf;
    enum { R = TILE_NARROW_ROWS, RV = TILE_NARROW_ROWS / TILE_VW };
    for (int64_t i = i0; i < i1; i += R) {
        int64_t rows = i1 - i < R ? i1 - i : R;
        if (a.rs == 1 && rows == R) { /* R adjacent a values per step: vector loads */
            vf acc[MM_NARROW][RV]; /* every column at once: more independent sums */
            for (int j = 0; j < MM_NARROW; j++)
                for (int v = 0; v < RV; v++) acc[j][v] = (vf){0};
            const float *ai = a.p + i;
            for (int64_t p = 0; p < k; p++) {
                vf av[RV];
                for (int v = 0; v < RV; v++)
                    av[v] = TILE_LOAD(ai + p * a.cs + v * TILE_VW);
                for (int j = 0; j < MM_NARROW; j++) {
                    if (j >= m) break;
                    float bv = b.p[p * b.rs + j * b.cs];
                    for (int v = 0; v < RV; v++) acc[j][v] = acc[j][v] + av[v] * bv;
                }
            }
            for (int64_t j = 0; j < m; j++) {
                if (c.rs == 1 && !bias.p) { /* c's rows adjacent too: vector stores */
                    for (int v = 0; v < RV; v++)
                        TILE_STORE(c.p + i + v * TILE_VW + j * c.cs, acc[j][v]);
                    continue;
                }
                float out[R];
                memcpy(out, acc[j], sizeof out);
                for (int64_t r = 0; r < R; r++)
                    c.p[(i + r) * c.rs + j * c.cs] = TILE_BIASED(out[r], i + r, j);
            }
            continue;
        }
        for (int64_t j = 0; j < m; j++) {
            const float *bj = b.p + j * b.cs;
            if (rows == R) { /* R independent scalar chains */
                float acc[R] = {0};
                const float *ap = a.p + i * a.rs;
                for (int64_t p = 0; p < k; p++, ap += a.cs) {
                    float bv = bj[p * b.rs];
                    for (int r = 0; r < R; r++) acc[r] = acc[r] + ap[r * a.rs] * bv;
                }
                for (int r = 0; r < R; r++)
                    c.p[(i + r) * c.rs + j * c.cs] = TILE_BIASED(acc[r], i + r, j);
            } else { /* the last rows: the same, fewer chains */
                float acc[R] = {0};
                for (int64_t p = 0; p < k; p++) {
                    float bv = bj[p * b.rs];
                    const float *ap = a.p + i * a.rs + p * a.cs;
                    for (int64_t r = 0; r < rows; r++) acc[r] = acc[r] + ap[r * a.rs] * bv;
                }
                for (int64_t r = 0; r < rows; r++)
                    c.p[(i + r) * c.rs + j * c.cs] = TILE_BIASED(acc[r], i + r, j);
            }
        }
    }
}

#undef TILE_NARROW_ROWS
#undef TILE_BIASED
#undef TILE_LOAD
#undef TILE_STORE
#undef TILE_NR
#undef TILE_FN
#undef TILE_CAT
#undef TILE_CAT2
