/*
 * mm_tile.h: the inner kernels of the fast matrix product (the register tile, the small and
 * the narrow kernel), written once and compiled once per instruction set. mm.c includes this
 * file three times, each time with
 *   TILE_ISA     the suffix of the functions' names (avx512, avx2, portable),
 *   TILE_TARGET  the function attribute that lets the compiler use that instruction set
 *                (__attribute__((target("avx2"))), or nothing for the portable build),
 *   TILE_TVW     floats in one vector of the register tile, the small kernel and the narrow
 *                kernel's rows read in place (16, 8, 4),
 *   TILE_MR      rows of the register tile,
 *   TILE_NV      vectors per row of the register tile (so NR = TILE_NV * TILE_TVW columns),
 *   TILE_SMALL_MR, TILE_SMALL_NV  rows and vectors per row of the small-product kernel's tile,
 *   TILE_VW      floats in one vector of the narrow kernel (8, 8, 4) where it transposes a or
 *                copies it: its 8 x 8 transposes in registers cost less than 16 x 16 ones (rows
 *                read in place take TILE_TVW-wide vectors where those are wider: narrow_wide),
 *   TILE_NARROW_RV34  vectors of rows the narrow kernel sums side by side for 3 or 4 columns
 *                (4 where there are 32 registers, else 2),
 * and the CPU picks one set when the program starts (cpu.c, fast_isa).
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
#define TILE_NR (TILE_NV * TILE_TVW)
#define TILE_SMALL_NR (TILE_SMALL_NV * TILE_TVW)
#define TILE_SMALL_K 4 /* products of at most this many steps take few_steps */
/* Unrolled completely, the loops over r and v name each accumulator at compile time, which
 * lets the compiler keep all of them in registers instead of in an array in memory. */
#define TILE_UNROLL _Pragma("GCC unroll 16")
/* Keeps vector x in a register from here on. A vector loaded once and multiplied into several
 * sums is otherwise read from memory again by each multiply (GCC folds the load into every
 * use), which made x^T g, (3, 100) x (100, 32), 154 ns instead of 121: three times the loads
 * for the same multiplies. An empty asm that may change x forces one load. (For a vector used
 * once, the folded load is the better code: the callers ask only when there are several.) */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define TILE_IN_REGISTER(x) __asm__("" : "+v"(x))
#else
#define TILE_IN_REGISTER(x) ((void)0)
#endif

typedef float TILE_FN(vf) __attribute__((vector_size(TILE_VW * sizeof(float))));
/* The same vector read from or written to any float address (no alignment needed, and it may
 * alias float data): load and store go through it, so the accumulators stay in registers. */
typedef float TILE_FN(vfu)
    __attribute__((vector_size(TILE_VW * sizeof(float)), aligned(sizeof(float)), may_alias));
#define TILE_LOAD(ptr) (*(const TILE_FN(vfu) *)(ptr))
#define TILE_STORE(ptr, v) (*(TILE_FN(vfu) *)(ptr) = (v))
/* The same two types, TILE_TVW floats wide, for the register tile. */
typedef float TILE_FN(tvf) __attribute__((vector_size(TILE_TVW * sizeof(float))));
typedef float TILE_FN(tvfu)
    __attribute__((vector_size(TILE_TVW * sizeof(float)), aligned(sizeof(float)), may_alias));
#define TILE_TLOAD(ptr) (*(const TILE_FN(tvfu) *)(ptr))
#define TILE_TSTORE(ptr, v) (*(TILE_FN(tvfu) *)(ptr) = (v))

/* docs:begin tile */
/*
 * The register tile: ap (kc, MR) and bp (kc, NR), both packed (mm.c) -> the full (MR, NR)
 * corner of c at c, row stride ldc. The MR x NV accumulators stay in registers for the whole
 * pass over p: each step loads NV vectors of b, then for each row broadcasts one a value and
 * adds its products to that row's accumulators. On the first pass over p (first) the
 * accumulators start at 0.0f; on later passes from the partial sums the pass before stored in
 * c. Each element adds its products in ascending p either way.
 */
TILE_TARGET static void TILE_FN(tile)(int64_t kc, const float *ap, const float *bp, float *c,
                                      int64_t ldc, bool first) {
    typedef TILE_FN(tvf) vf;
    vf acc[TILE_MR][TILE_NV];
    if (first) {
        TILE_UNROLL for (int r = 0; r < TILE_MR; r++)
            TILE_UNROLL for (int v = 0; v < TILE_NV; v++) acc[r][v] = (vf){0};
    } else {
        TILE_UNROLL for (int r = 0; r < TILE_MR; r++)
            TILE_UNROLL for (int v = 0; v < TILE_NV; v++)
                acc[r][v] = TILE_TLOAD(c + r * ldc + v * TILE_TVW);
    }
    for (int64_t p = 0; p < kc; p++) {
        vf b[TILE_NV];
        TILE_UNROLL for (int v = 0; v < TILE_NV; v++)
            b[v] = TILE_TLOAD(bp + p * TILE_NR + v * TILE_TVW);
        TILE_UNROLL for (int r = 0; r < TILE_MR; r++) {
            float a = ap[p * TILE_MR + r]; /* broadcast to every lane by the vector product */
            TILE_UNROLL for (int v = 0; v < TILE_NV; v++) acc[r][v] = acc[r][v] + a * b[v];
        }
    }
    TILE_UNROLL for (int r = 0; r < TILE_MR; r++)
        TILE_UNROLL for (int v = 0; v < TILE_NV; v++)
            TILE_TSTORE(c + r * ldc + v * TILE_TVW, acc[r][v]);
}
/* docs:end tile */

/*
 * Small products: c (n, m) = a (n, k) . b (k, m), where nothing is worth packing, because
 * every operand fits in the L1 cache (mm.c decides). A register tile as in `tile`, but
 * shorter and wider (SMALL_MR x SMALL_NR: fewer rows of a to address, since a is read where
 * it lies, one value per row and step, any strides) and b read from rows of SMALL_NR-wide
 * panels that are contiguous: b itself when its rows are, or a copy (bp, row stride ldb,
 * zeros past m) when they are not. Rows are taken SMALL_MR at a time, the last ones together
 * (`rows` is a constant in each copy of small_rows, which keeps the accumulators in
 * registers); a product of few steps (k <= TILE_SMALL_K) goes a row at a time instead, with b
 * in registers (few_steps). A bias (bias.p not NULL) is added to each sum as it is stored.
 */
#define TILE_BIASED(sum, i, j) (bias.p ? (sum) + bias.p[(i) * bias.rs + (j) * bias.cs] : (sum))

/* How small_store stores a panel of cols columns: 0 a whole panel, vector stores; 1 a whole
 * panel and a bias row to add, vectors too; 2 anything else, one element at a time. */
ALWAYS_INLINE int TILE_FN(small_store_kind)(int64_t cols, MmMat bias) {
    if (cols != TILE_SMALL_NR) return 2;
    return !bias.p ? 0 : bias.cs == 1 ? 1 : 2;
}

/* Stores `rows` rows of accumulators (acc[r], SMALL_NV vectors each) as rows i .. i + rows - 1,
 * columns j .. j + cols - 1 of c, adding the bias if there is one, the way `kind` says
 * (small_store_kind: a constant where the caller knows it). */
TILE_TARGET ALWAYS_INLINE void TILE_FN(small_store)(
    TILE_FN(tvf) acc[][TILE_SMALL_NV], MmMat c, MmMat bias, int64_t i, int64_t j, int64_t cols,
    const int rows, const int kind) {
    float *ct = c.p + i * c.rs + j;
    if (kind == 0) { /* a whole panel: vector stores */
        TILE_UNROLL for (int r = 0; r < rows; r++)
            TILE_UNROLL for (int v = 0; v < TILE_SMALL_NV; v++)
                TILE_TSTORE(ct + r * c.rs + v * TILE_TVW, acc[r][v]);
    } else if (kind == 1) { /* and a bias row to add: vectors too */
        const float *bt = bias.p + i * bias.rs + j;
        TILE_UNROLL for (int r = 0; r < rows; r++)
            TILE_UNROLL for (int v = 0; v < TILE_SMALL_NV; v++)
                TILE_TSTORE(ct + r * c.rs + v * TILE_TVW,
                           acc[r][v] + TILE_TLOAD(bt + r * bias.rs + v * TILE_TVW));
    } else { /* the last panel, or a strided bias: through a copy, one element at a time */
        float out[TILE_SMALL_MR * TILE_SMALL_NR];
        TILE_UNROLL for (int r = 0; r < rows; r++)
            TILE_UNROLL for (int v = 0; v < TILE_SMALL_NV; v++)
                TILE_TSTORE(out + r * TILE_SMALL_NR + v * TILE_TVW, acc[r][v]);
        for (int r = 0; r < rows; r++)
            for (int64_t jj = 0; jj < cols; jj++)
                ct[r * c.rs + jj] = TILE_BIASED(out[r * TILE_SMALL_NR + jj], i + r, j + jj);
    }
}

TILE_TARGET ALWAYS_INLINE void TILE_FN(small_rows)(
    MmMat a, const float *bp, int64_t ldb, MmMat c, MmMat bias, int64_t i, int64_t j,
    int64_t cols, int64_t k, const int rows) {
    typedef TILE_FN(tvf) vf;
    vf acc[TILE_SMALL_MR][TILE_SMALL_NV];
    TILE_UNROLL for (int r = 0; r < rows; r++)
        TILE_UNROLL for (int v = 0; v < TILE_SMALL_NV; v++) acc[r][v] = (vf){0};
    const float *ai = a.p + i * a.rs;
    for (int64_t p = 0; p < k; p++) {
        vf b[TILE_SMALL_NV];
        TILE_UNROLL for (int v = 0; v < TILE_SMALL_NV; v++) {
            b[v] = TILE_TLOAD(bp + p * ldb + v * TILE_TVW);
            if (rows > 1) TILE_IN_REGISTER(b[v]);
        }
        TILE_UNROLL for (int r = 0; r < rows; r++) {
            float av = ai[r * a.rs + p * a.cs];
            TILE_UNROLL for (int v = 0; v < TILE_SMALL_NV; v++) acc[r][v] = acc[r][v] + av * b[v];
        }
    }
    TILE_FN(small_store)(acc, c, bias, i, j, cols, rows, TILE_FN(small_store_kind)(cols, bias));
}

/* A small product with few steps (k <= TILE_SMALL_K, a constant in each copy), one panel of
 * columns j .. j + cols - 1: the panel's k rows of b are loaded into registers once, and then
 * each row of c is its k steps and a store, one row after the other (the rows are
 * independent, so the CPU overlaps them). A (100, 3) x (3, 32) layer computes so without
 * reloading b for every tile. How the rows are stored is a constant too (`store`, as
 * small_store_kind says). */
TILE_TARGET ALWAYS_INLINE void TILE_FN(few_steps_rows)(
    MmMat a, const float *bp, int64_t ldb, MmMat c, MmMat bias, int64_t n, int64_t j,
    int64_t cols, const int k, const int store) {
    typedef TILE_FN(tvf) vf;
    vf b[TILE_SMALL_K][TILE_SMALL_NV];
    TILE_UNROLL for (int p = 0; p < k; p++)
        TILE_UNROLL for (int v = 0; v < TILE_SMALL_NV; v++)
            b[p][v] = TILE_TLOAD(bp + p * ldb + v * TILE_TVW);
    for (int64_t i = 0; i < n; i++) {
        vf acc[1][TILE_SMALL_NV];
        TILE_UNROLL for (int v = 0; v < TILE_SMALL_NV; v++) acc[0][v] = (vf){0};
        TILE_UNROLL for (int p = 0; p < k; p++) {
            float av = a.p[i * a.rs + p * a.cs];
            TILE_UNROLL for (int v = 0; v < TILE_SMALL_NV; v++)
                acc[0][v] = acc[0][v] + av * b[p][v];
        }
        TILE_FN(small_store)(acc, c, bias, i, j, cols, 1, store);
    }
}

#define TILE_FEW_STEPS(K)                                                                     \
    switch (store) {                                                                           \
    case 0: TILE_FN(few_steps_rows)(a, bp, ldb, c, bias, n, j, cols, K, 0); break;             \
    case 1: TILE_FN(few_steps_rows)(a, bp, ldb, c, bias, n, j, cols, K, 1); break;             \
    default: TILE_FN(few_steps_rows)(a, bp, ldb, c, bias, n, j, cols, K, 2); break;            \
    }
/* few_steps_rows for k (1 .. TILE_SMALL_K): a function of its own, whose registers the
 * compiler allocates apart from the tiles'. The matrices by pointer (MM_MAT, mm.c). */
TILE_TARGET static __attribute__((noinline)) void TILE_FN(few_steps)(
    const MmMat *am, const float *bp, int64_t ldb, const MmMat *cm, const MmMat *biasm,
    int64_t n, int64_t j, int64_t cols, int64_t k) {
    MmMat a = MM_MAT(am), c = MM_MAT(cm), bias = MM_MAT(biasm);
    int store = TILE_FN(small_store_kind)(cols, bias);
    switch (k) {
    case 1: TILE_FEW_STEPS(1); break;
    case 2: TILE_FEW_STEPS(2); break;
    case 3: TILE_FEW_STEPS(3); break;
    default: TILE_FEW_STEPS(4); break;
    }
}
#undef TILE_FEW_STEPS

/* The last rows of a panel, fewer than SMALL_MR, together: a function of its own too, for
 * few_steps' reason (in one function with the full tiles, the compiler spilled the row
 * offsets of a long product such as x^T g, (3, 100) x (100, 32), to the stack). */
TILE_TARGET static __attribute__((noinline)) void TILE_FN(small_tail)(
    const MmMat *am, const float *bp, int64_t ldb, const MmMat *cm, const MmMat *biasm,
    int64_t i, int64_t j, int64_t cols, int64_t k, int64_t rows) {
    MmMat a = MM_MAT(am), c = MM_MAT(cm), bias = MM_MAT(biasm);
    switch (rows) {
    case 1: TILE_FN(small_rows)(a, bp, ldb, c, bias, i, j, cols, k, 1); break;
#if TILE_SMALL_MR > 2
    case 2: TILE_FN(small_rows)(a, bp, ldb, c, bias, i, j, cols, k, 2); break;
#endif
#if TILE_SMALL_MR > 3
    case 3: TILE_FN(small_rows)(a, bp, ldb, c, bias, i, j, cols, k, 3); break;
#endif
#if TILE_SMALL_MR > 4
    case 4: TILE_FN(small_rows)(a, bp, ldb, c, bias, i, j, cols, k, 4); break;
    case 5: TILE_FN(small_rows)(a, bp, ldb, c, bias, i, j, cols, k, 5); break;
    case 6: TILE_FN(small_rows)(a, bp, ldb, c, bias, i, j, cols, k, 6); break;
    case 7: TILE_FN(small_rows)(a, bp, ldb, c, bias, i, j, cols, k, 7); break;
#endif
    default: break;
    }
}

/* c (n, m), contiguous rows (c.cs == 1) = a (n, k) . b, with b's rows at bp, row stride ldb,
 * readable up to m rounded up to SMALL_NR columns. The matrices by pointer (MM_MAT, mm.c). */
TILE_TARGET static void TILE_FN(small)(const MmMat *am, const float *bp, int64_t ldb,
                                       const MmMat *cm, const MmMat *biasm, int64_t n, int64_t k,
                                       int64_t m) {
    if (k <= TILE_SMALL_K) { /* few steps: b in registers */
        for (int64_t j = 0; j < m; j += TILE_SMALL_NR)
            TILE_FN(few_steps)(am, bp + j, ldb, cm, biasm, n, j,
                               m - j < TILE_SMALL_NR ? m - j : TILE_SMALL_NR, k);
        return;
    }
    MmMat a = MM_MAT(am), c = MM_MAT(cm), bias = MM_MAT(biasm);
    for (int64_t j = 0; j < m; j += TILE_SMALL_NR) {
        int64_t cols = m - j < TILE_SMALL_NR ? m - j : TILE_SMALL_NR, i = 0;
        for (; i + TILE_SMALL_MR <= n; i += TILE_SMALL_MR)
            TILE_FN(small_rows)(a, bp + j, ldb, c, bias, i, j, cols, k, TILE_SMALL_MR);
        if (i < n) TILE_FN(small_tail)(am, bp + j, ldb, cm, biasm, i, j, cols, k, n - i);
    }
}

/*
 * Narrow products: c (n, m) = a (n, k) . b (k, m) with few columns (m <= MM_NARROW), rows
 * i0 .. i1 - 1, any strides everywhere. Each element's whole sum over p stays in a register,
 * and a block of rows is summed side by side, as vectors: their chains are independent, so
 * the CPU overlaps them instead of waiting for one add after another (2 vectors of rows per
 * column with 3 or 4 columns, 4 with 1 or 2, so that there are always 4 to 8 chains). Each
 * step p needs the block's a values next to each other:
 *   - a's rows adjacent in memory (a.rs == 1, e.g. a transposed matrix): read in place, in
 *     the tile's wider vectors where they are wider (narrow_wide);
 *   - a's steps adjacent (a.cs == 1, a row-major matrix): VW x VW squares of a are loaded as
 *     VW row vectors and transposed in registers;
 *   - otherwise: copied, transposed, to the stack, up to 64 steps at a time.
 * When the last block would run past i1, it moves back to end at i1 and sums some rows a
 * second time, with the same bits (only a block bigger than all of i0 .. i1 is padded with
 * zero rows, on the stack). The numbers of columns and of row vectors are constants in each
 * copy of narrow_cols (narrow picks the copy), so that every sum has a register of its own.
 * A bias (bias.p not NULL, torch_addmm's) is added to each sum as it is stored.
 */
#define TILE_NARROW_RV 4 /* at most this many vectors of rows per block */
typedef TILE_FN(vf) TILE_FN(narrow_acc)[TILE_NARROW_RV];
enum { TILE_FN(narrow_steps) = 64 }; /* steps of p copied at once when a's rows are apart */

/* acc[j][v] += a's values of steps 0 .. steps - 1 (rv * VW adjacent values per step, at
 * ar + p * lda) times b[p0 + p][j], for each of the `cols` columns. */
TILE_TARGET ALWAYS_INLINE void TILE_FN(narrow_add)(
    TILE_FN(narrow_acc) acc[], const float *ar, int64_t lda, MmMat b, int64_t p0, int64_t steps,
    const int cols, const int rv) {
    typedef TILE_FN(vf) vf;
    for (int64_t p = 0; p < steps; p++) {
        vf av[TILE_NARROW_RV];
        TILE_UNROLL for (int v = 0; v < rv; v++) {
            av[v] = TILE_LOAD(ar + p * lda + v * TILE_VW);
            if (cols > 1) TILE_IN_REGISTER(av[v]);
        }
        TILE_UNROLL for (int j = 0; j < cols; j++) {
            float bv = b.p[(p0 + p) * b.rs + j * b.cs];
            TILE_UNROLL for (int v = 0; v < rv; v++) acc[j][v] = acc[j][v] + av[v] * bv;
        }
    }
}

#if TILE_VW == 8 || TILE_VW == 4
/* x[0 .. VW-1] are VW rows of VW floats; on return, x[q] holds column q of that square. Three
 * rounds of shuffles (two for VW = 4), each interleaving pairs of vectors. */
TILE_TARGET ALWAYS_INLINE void TILE_FN(transpose)(
    TILE_FN(vf) x[TILE_VW]) {
    typedef TILE_FN(vf) vf;
#define TILE_SHUF __builtin_shufflevector
#if TILE_VW == 8
    vf t[8], u[8];
    for (int r = 0; r < 8; r += 2) { /* pairs of rows: a_r0 a_r+1,0 a_r1 a_r+1,1 ... */
        t[r] = TILE_SHUF(x[r], x[r + 1], 0, 8, 1, 9, 4, 12, 5, 13);
        t[r + 1] = TILE_SHUF(x[r], x[r + 1], 2, 10, 3, 11, 6, 14, 7, 15);
    }
    for (int r = 0; r < 8; r += 4) /* quads of rows */
        for (int h = 0; h < 2; h++) {
            u[r + 2 * h] = TILE_SHUF(t[r + h], t[r + h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
            u[r + 2 * h + 1] = TILE_SHUF(t[r + h], t[r + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
        }
    for (int q = 0; q < 4; q++) { /* the two halves of the rows joined */
        x[q] = TILE_SHUF(u[q], u[q + 4], 0, 1, 2, 3, 8, 9, 10, 11);
        x[q + 4] = TILE_SHUF(u[q], u[q + 4], 4, 5, 6, 7, 12, 13, 14, 15);
    }
#else
    vf t[4];
    for (int r = 0; r < 4; r += 2) {
        t[r] = TILE_SHUF(x[r], x[r + 1], 0, 4, 1, 5);
        t[r + 1] = TILE_SHUF(x[r], x[r + 1], 2, 6, 3, 7);
    }
    for (int h = 0; h < 2; h++) {
        x[2 * h] = TILE_SHUF(t[h], t[h + 2], 0, 1, 4, 5);
        x[2 * h + 1] = TILE_SHUF(t[h], t[h + 2], 2, 3, 6, 7);
    }
#endif
#undef TILE_SHUF
}

/* acc[j][v] += a's rv * VW rows at ai (row stride lda, steps adjacent: a.cs == 1) times
 * b[p][j], p ascending: VW steps at a time, each VW x VW square transposed in registers, then
 * the last k % VW steps gathered one value at a time. */
TILE_TARGET ALWAYS_INLINE void TILE_FN(narrow_add_rows)(
    TILE_FN(narrow_acc) acc[], const float *ai, int64_t lda, MmMat b, int64_t k, const int cols,
    const int rv) {
    typedef TILE_FN(vf) vf;
    int64_t p = 0;
    for (; p + TILE_VW <= k; p += TILE_VW)
        TILE_UNROLL for (int v = 0; v < rv; v++) { /* each square: its own sums, in step order */
            vf col[TILE_VW];
            TILE_UNROLL for (int r = 0; r < TILE_VW; r++)
                col[r] = TILE_LOAD(ai + (v * TILE_VW + r) * lda + p);
            TILE_FN(transpose)(col);
            TILE_UNROLL for (int q = 0; q < TILE_VW; q++)
                TILE_UNROLL for (int j = 0; j < cols; j++)
                    acc[j][v] = acc[j][v] + col[q] * b.p[(p + q) * b.rs + j * b.cs];
        }
    for (; p < k; p++) {
        float t[TILE_NARROW_RV * TILE_VW];
        for (int r = 0; r < rv * TILE_VW; r++) t[r] = ai[r * lda + p];
        TILE_FN(narrow_add)(acc, t, 0, b, p, 1, cols, rv);
    }
}
#endif

/* Column j of c, rows i .. i + rows - 1, from out[0 .. rows - 1], the bias added. */
TILE_TARGET ALWAYS_INLINE void TILE_FN(narrow_store)(MmMat c, MmMat bias, int64_t i, int j,
                                                     int64_t rows, const float *out) {
    for (int64_t r = 0; r < rows; r++)
        c.p[(i + r) * c.rs + j * c.cs] = TILE_BIASED(out[r], i + r, j);
}

TILE_TARGET ALWAYS_INLINE void TILE_FN(narrow_cols)(
    MmMat a, MmMat b, MmMat c, MmMat bias, int64_t i0, int64_t i1, int64_t k, const int cols,
    const int rv) {
    typedef TILE_FN(vf) vf;
    const int64_t R = rv * TILE_VW; /* rows per block */
    enum { PC = TILE_FN(narrow_steps) };
    for (int64_t next = i0; next < i1;) {
        int64_t i = next + R <= i1 || i1 - i0 < R ? next : i1 - R; /* the last: moved back */
        int64_t rows = i1 - i < R ? i1 - i : R;
        next = i + R;
        TILE_FN(narrow_acc) acc[MM_NARROW];
        TILE_UNROLL for (int j = 0; j < cols; j++)
            TILE_UNROLL for (int v = 0; v < rv; v++) acc[j][v] = (vf){0};
        if (a.rs == 1 && rows == R) {
            TILE_FN(narrow_add)(acc, a.p + i, a.cs, b, 0, k, cols, rv);
#if TILE_VW == 8 || TILE_VW == 4
        } else if (a.cs == 1 && rows == R) {
            TILE_FN(narrow_add_rows)(acc, a.p + i * a.rs, a.rs, b, k, cols, rv);
#endif
        } else { /* through a transposed copy (zeros past the last row) */
            float t[PC * TILE_NARROW_RV * TILE_VW];
            for (int64_t p0 = 0; p0 < k; p0 += PC) {
                int64_t steps = k - p0 < PC ? k - p0 : PC;
                for (int64_t r = 0; r < R; r++) {
                    if (r >= rows) {
                        for (int64_t p = 0; p < steps; p++) t[p * R + r] = 0.0f;
                        continue;
                    }
                    const float *ar = a.p + (i + r) * a.rs + p0 * a.cs;
                    for (int64_t p = 0; p < steps; p++) t[p * R + r] = ar[p * a.cs];
                }
                TILE_FN(narrow_add)(acc, t, R, b, p0, steps, cols, rv);
            }
        }
        for (int j = 0; j < cols; j++) {
            if (rows == R && c.rs == 1 && (!bias.p || bias.rs == 0)) { /* vector stores */
                float bj = bias.p ? bias.p[j * bias.cs] : 0.0f; /* one bias for the column */
                TILE_UNROLL for (int v = 0; v < rv; v++)
                    TILE_STORE(c.p + i + v * TILE_VW + j * c.cs,
                               bias.p ? acc[j][v] + bj : acc[j][v]);
                continue;
            }
            float out[TILE_NARROW_RV * TILE_VW];
            TILE_UNROLL for (int v = 0; v < rv; v++) TILE_STORE(out + v * TILE_VW, acc[j][v]);
            TILE_FN(narrow_store)(c, bias, i, j, rows, out);
        }
    }
}

#if TILE_TVW > TILE_VW
/* Rows read in place (a.rs == 1: a transposed matrix, such as g^T in g^T x) need no
 * transposes, so they are summed in the register tile's vectors, TVW floats wide, which halves
 * the multiplies and adds of VW-wide ones; rv vectors per column keep 4 to 8 chains of adds
 * (narrow_blocks picks rv). Whole blocks of rv * TVW rows from i0 on; returns the first row
 * left over, for narrow_cols. The same bits: each lane still sums one element in ascending p. */
TILE_TARGET ALWAYS_INLINE int64_t TILE_FN(narrow_wide)(
    MmMat a, MmMat b, MmMat c, MmMat bias, int64_t i0, int64_t i1, int64_t k, const int cols,
    const int rv) {
    typedef TILE_FN(tvf) vf;
    const int64_t R = rv * TILE_TVW;
    int64_t i = i0;
    for (; i + R <= i1; i += R) {
        vf acc[MM_NARROW][TILE_NARROW_RV];
        TILE_UNROLL for (int j = 0; j < cols; j++)
            TILE_UNROLL for (int v = 0; v < rv; v++) acc[j][v] = (vf){0};
        for (int64_t p = 0; p < k; p++) {
            vf av[TILE_NARROW_RV];
            TILE_UNROLL for (int v = 0; v < rv; v++) {
                av[v] = TILE_TLOAD(a.p + i + p * a.cs + v * TILE_TVW);
                if (cols > 1) TILE_IN_REGISTER(av[v]);
            }
            TILE_UNROLL for (int j = 0; j < cols; j++) {
                float bv = b.p[p * b.rs + j * b.cs];
                TILE_UNROLL for (int v = 0; v < rv; v++) acc[j][v] = acc[j][v] + av[v] * bv;
            }
        }
        for (int j = 0; j < cols; j++) {
            float out[TILE_NARROW_RV * TILE_TVW];
            TILE_UNROLL for (int v = 0; v < rv; v++) TILE_TSTORE(out + v * TILE_TVW, acc[j][v]);
            TILE_FN(narrow_store)(c, bias, i, j, R, out);
        }
    }
    return i;
}
#endif

/* Rows i0 .. i1 - 1 in blocks of rv vectors of rows, then the rows left (fewer than a block)
 * in blocks of one vector, the last moved back to end at i1: a (100, 32) h sums 104 rows so,
 * where one more block of 4 vectors moved back would sum 128. */
TILE_TARGET ALWAYS_INLINE void TILE_FN(narrow_blocks)(
    MmMat a, MmMat b, MmMat c, MmMat bias, int64_t i0, int64_t i1, int64_t k, const int cols,
    const int rv) {
#if TILE_TVW > TILE_VW
    if (a.rs == 1) { /* wide blocks first: 2 vectors per column with 3 or 4 columns, else 4 */
        i0 = TILE_FN(narrow_wide)(a, b, c, bias, i0, i1, k, cols, cols <= 2 ? 4 : 2);
        if (i0 == i1) return;
    }
#endif
    int64_t R = rv * TILE_VW, whole = i1 - i0 >= R ? i0 + (i1 - i0) / R * R : i0;
    if (whole > i0) TILE_FN(narrow_cols)(a, b, c, bias, i0, whole, k, cols, rv);
    if (whole == i1) return;
    int64_t left = (i1 - whole + TILE_VW - 1) / TILE_VW * TILE_VW; /* whole vectors of rows */
    TILE_FN(narrow_cols)(a, b, c, bias, i1 - left >= i0 ? i1 - left : i0, i1, k, cols, 1);
}

TILE_TARGET static void TILE_FN(narrow)(const MmMat *am, const MmMat *bm, const MmMat *cm,
                                        const MmMat *biasm, int64_t i0, int64_t i1, int64_t k,
                                        int64_t m) {
    MmMat a = MM_MAT(am), b = MM_MAT(bm), c = MM_MAT(cm), bias = MM_MAT(biasm);
    switch (m) {
    case 1: TILE_FN(narrow_blocks)(a, b, c, bias, i0, i1, k, 1, 4); break;
    case 2: TILE_FN(narrow_blocks)(a, b, c, bias, i0, i1, k, 2, 4); break;
    case 3: TILE_FN(narrow_blocks)(a, b, c, bias, i0, i1, k, 3, TILE_NARROW_RV34); break;
    default: TILE_FN(narrow_blocks)(a, b, c, bias, i0, i1, k, 4, TILE_NARROW_RV34); break;
    }
}

#undef TILE_NARROW_RV
#undef TILE_BIASED
#undef TILE_LOAD
#undef TILE_TLOAD
#undef TILE_TSTORE
#undef TILE_STORE
#undef TILE_NR
#undef TILE_SMALL_NR
#undef TILE_SMALL_K
#undef TILE_FN
#undef TILE_CAT
#undef TILE_CAT2
