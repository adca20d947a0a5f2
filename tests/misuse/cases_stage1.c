/*
 * cases_stage1.c: misuse of the tensor kernel (chapter 1), one function per case.
 * Each sets up, calls misuse_watch (on the tensor an in-place misuse would write), then
 * makes the mistake. The table at the end pairs each with its exact message.
 */

#include "misuse.h"

#define RELEASED                                                                               \
    "a tensor was used after it was released (its scope ended or it was freed); keep it with " \
    "torch_keep() to use it longer"
#define OVERLAP_SELF                                                                           \
    "unsupported operation: more than one element of the written-to tensor refers to a "       \
    "single memory location. Please clone() the tensor before performing the operation."
#define OVERLAP_OTHER                                                                          \
    "unsupported operation: some elements of the input tensor and the written-to tensor "      \
    "refer to a single memory location. Please clone() the tensor before performing the "      \
    "operation."

static Tensor *m23(void) { return torch_tensor(SHAPE(2, 3), (float[]){1, 2, 3, 4, 5, 6}); }
static Tensor *longs(Shape s) { return torch_to_dtype(torch_zeros(s), TORCH_INT64); }
static Tensor *bools(Shape s) { return torch_gt_scalar(torch_zeros(s), 0); }

/* ---- matrix products ---------------------------------------------------------------------- */

/* chapter 1's classic: x (100, 3) times w2 (32, 1) instead of w1 */
static void mm_inner_sizes(void) {
    Tensor *x = torch_randn(SHAPE(100, 3)), *w2 = torch_randn(SHAPE(32, 1));
    misuse_watch(NULL);
    torch_mm(x, w2);
}
static void mm_vector(void) { torch_mm(torch_ones(SHAPE(3)), torch_ones(SHAPE(3, 1))); }
static void mm_long(void) { torch_mm(longs(SHAPE(2, 2)), torch_ones(SHAPE(2, 2))); }
static void matmul_scalar(void) { torch_matmul(torch_scalar(2), torch_ones(SHAPE(3))); }
static void matmul_mv_sizes(void) { torch_matmul(m23(), torch_ones(SHAPE(4))); }
static void matmul_dot_sizes(void) { torch_matmul(torch_ones(SHAPE(3)), torch_ones(SHAPE(4))); }
static void addmm_bias(void) {
    torch_addmm(torch_ones(SHAPE(3)), torch_ones(SHAPE(2, 4)), torch_ones(SHAPE(4, 5)));
}

/* ---- broadcasting and dtypes --------------------------------------------------------------- */

static void add_broadcast(void) {
    Tensor *a = m23(), *b = torch_ones(SHAPE(4, 3));
    misuse_watch(NULL);
    torch_add(a, b);
}
/* y_pred (100, 1) against a y that was transposed to (1, 100)... and then 3 columns */
static void sub_broadcast(void) { torch_sub(torch_ones(SHAPE(100, 1)), torch_ones(SHAPE(3, 100))); }
static void mul_long(void) { torch_mul(torch_ones(SHAPE(2)), longs(SHAPE(2))); }
static void where_float_condition(void) {
    torch_where(torch_ones(SHAPE(2)), torch_ones(SHAPE(2)), torch_zeros(SHAPE(2)));
}
static void where_broadcast(void) {
    torch_where(bools(SHAPE(2, 3)), torch_ones(SHAPE(2, 3)), torch_zeros(SHAPE(2)));
}
static void sum_of_bool(void) { torch_sum(bools(SHAPE(3))); }
static void lt_of_long(void) { torch_lt_scalar(longs(SHAPE(3)), 0); }

/* ---- dimensions and reductions ---------------------------------------------------------- */

static void sum_dim_out_of_range(void) {
    Tensor *x = m23();
    misuse_watch(NULL);
    torch_sum_dim(x, 5, false);
}
static void mean_dim_negative(void) { torch_mean_dim(m23(), -3, false); }
static void size_out_of_range(void) { torch_size(m23(), 2); }
static void max_dim_empty(void) { torch_max_dim(torch_zeros(SHAPE(0, 3)), 0, false, NULL); }
static void max_of_empty(void) { torch_max(torch_zeros(SHAPE(0))); }
static void argmax_out_of_range(void) { torch_argmax(torch_ones(SHAPE(4)), 1, false); }

/* ---- reading values ------------------------------------------------------------------------ */

static void item_of_many(void) {
    Tensor *loss = torch_pow(m23(), 2); /* forgot the torch_sum */
    misuse_watch(NULL);
    torch_item(loss);
}
static void item_of_empty(void) { torch_item(torch_zeros(SHAPE(0))); }

/* ---- NULL, to each family of functions ------------------------------------------------------ */

static void null_to_creation(void) { torch_zeros_like(NULL); }
static void null_to_elementwise(void) {
    Tensor *x = m23();
    misuse_watch(NULL);
    torch_add(NULL, x);
}
static void null_to_scalar_op(void) { torch_mul_scalar(NULL, 2); }
static void null_to_reduction(void) { torch_sum(NULL); }
static void null_to_product(void) { torch_mm(m23(), NULL); }
static void null_to_view(void) { torch_view(NULL, SHAPE(6)); }
static void null_to_item(void) { torch_item(NULL); }
static void null_to_as_array(void) {
    float out[6];
    torch_to_array(NULL, out);
}
static void null_to_inplace(void) {
    Tensor *w = m23();
    misuse_watch(w);
    torch_sub_(w, NULL);
}
static void null_mask(void) {
    Tensor *t = m23();
    misuse_watch(t);
    torch_masked_fill_(t, NULL, 0);
}
static void null_to_keep(void) { torch_keep(NULL); }
static void null_to_assign(void) {
    Tensor *var = NULL;
    torch_assign(&var, NULL);
}
static void null_to_print(void) { torch_print(NULL); }
static void null_file_to_print(void) { torch_fprint(NULL, m23()); }
static void null_values(void) { torch_tensor(SHAPE(2), NULL); }

/* ---- released tensors ---------------------------------------------------------------------- */

static void used_after_scope(void) {
    torch_scope_begin();
    Tensor *h = torch_ones(SHAPE(2, 3)); /* an epoch's temporary... */
    torch_scope_end();
    misuse_watch(NULL);
    torch_sum(h); /* ...used after its epoch */
}
static void used_after_free(void) {
    Tensor *w = torch_keep(m23());
    torch_free(w);
    torch_add(w, torch_ones(SHAPE(2, 3)));
}
static void freed_twice(void) {
    Tensor *w = torch_keep(m23());
    torch_free(w);
    misuse_watch(NULL);
    torch_free(w);
}
static void used_after_assign(void) {
    Tensor *w = torch_keep(m23()), *old = w;
    torch_assign(&w, torch_mul_scalar(w, 2)); /* frees the old w */
    torch_free(w);
    torch_item(torch_sum(old));
}
static void inplace_on_released(void) {
    Tensor *w = torch_keep(m23());
    torch_free(w);
    torch_zero_(w);
}

/* ---- views ----------------------------------------------------------------------------------- */

static void view_of_transpose(void) {
    Tensor *xt = torch_t(m23());
    misuse_watch(NULL);
    torch_view(xt, SHAPE(6));
}
static void view_wrong_numel(void) { torch_view(m23(), SHAPE(4)); }
static void view_two_inferred(void) { torch_view(m23(), SHAPE(-1, -1)); }
static void reshape_negative(void) { torch_reshape(m23(), SHAPE(-2, 3)); }
static void select_out_of_range(void) { torch_select(m23(), 0, 5); }
static void select_of_0_dim(void) { torch_select(torch_scalar(1), 0, 0); }
static void narrow_too_long(void) { torch_narrow(m23(), 1, 2, 5); }
static void narrow_start_out_of_range(void) { torch_narrow(m23(), 1, -5, 1); }
static void slice_step_zero(void) { torch_slice(m23(), 1, 0, 3, 0); }
static void expand_mismatch(void) { torch_expand(m23(), SHAPE(4, 4)); }
static void expand_fewer_sizes(void) { torch_expand(m23(), SHAPE(3)); }
static void transpose_out_of_range(void) { torch_transpose(m23(), 0, 2); }
static void unsqueeze_out_of_range(void) { torch_unsqueeze(m23(), 4); }
static void squeeze_out_of_range(void) { torch_squeeze_dim(m23(), 3); }
static void t_of_3_dims(void) { torch_t(torch_ones(SHAPE(2, 2, 2))); }
static void unknown_dtype(void) { torch_to_dtype(m23(), (Dtype)7); }

/* ---- in-place misuse: each leaves its target as it was ------------------------------------- */

static void masked_fill_float_mask(void) {
    Tensor *grad_h = m23(), *h = m23();
    Tensor *mask = torch_relu(h); /* a float tensor where torch_lt_scalar(h, 0) was meant */
    misuse_watch(grad_h);
    torch_masked_fill_(grad_h, mask, 0);
}
static void masked_fill_mask_too_big(void) {
    Tensor *t = torch_ones(SHAPE(3));
    Tensor *mask = bools(SHAPE(2, 3));
    misuse_watch(t);
    torch_masked_fill_(t, mask, 0);
}
static void add_into_expanded(void) {
    Tensor *b = torch_expand(torch_ones(SHAPE(1, 3)), SHAPE(2, 3));
    Tensor *other = m23();
    misuse_watch(b);
    torch_add_(b, other);
}
static void mul_scalar_into_expanded(void) {
    Tensor *b = torch_expand(torch_ones(SHAPE(3, 1)), SHAPE(3, 4));
    misuse_watch(b);
    torch_mul_scalar_(b, 2);
}
static void uniform_into_expanded(void) {
    Tensor *b = torch_expand(torch_ones(SHAPE(1)), SHAPE(5));
    misuse_watch(b);
    torch_uniform_(b, 0, 1);
}
static void add_overlapping_rows(void) {
    Tensor *x = torch_tensor(SHAPE(3, 2), (float[]){1, 2, 3, 4, 5, 6});
    misuse_watch(x);
    torch_add_(torch_narrow(x, 0, 0, 2), torch_narrow(x, 0, 1, 2));
}
static void sub_inplace_would_grow(void) {
    Tensor *w = m23(), *step = torch_ones(SHAPE(4, 2, 3));
    misuse_watch(w);
    torch_sub_(w, step);
}
static void add_inplace_long(void) {
    Tensor *t = longs(SHAPE(2));
    Tensor *o = torch_ones(SHAPE(2));
    misuse_watch(t);
    torch_add_(t, o);
}
static void copy_mismatch(void) {
    Tensor *dst = m23(), *src = torch_ones(SHAPE(3, 3));
    misuse_watch(dst);
    torch_copy_(dst, src);
}
static void copy_overlapping(void) {
    Tensor *x = torch_tensor(SHAPE(2, 2), (float[]){1, 2, 3, 4});
    misuse_watch(x);
    torch_copy_(x, torch_t(x));
}
static void uniform_bounds(void) {
    Tensor *t = m23();
    misuse_watch(t);
    torch_uniform_(t, 2, 1);
}
static void normal_negative_std(void) {
    Tensor *t = m23();
    misuse_watch(t);
    torch_normal_(t, 0, -1);
}

/* ---- creation ------------------------------------------------------------------------------- */

static void zeros_negative(void) {
    misuse_watch(NULL);
    torch_zeros(SHAPE(3, -2));
}
static void randn_too_big(void) {
    misuse_watch(NULL);
    torch_randn(SHAPE(INT64_C(1) << 62, 5));
}
static void expand_too_big(void) {
    torch_expand(torch_ones(SHAPE(1, 1)), SHAPE(INT64_C(1) << 62, INT64_C(1) << 62));
}
static void view_too_big(void) {
    torch_view(torch_zeros(SHAPE(0)), SHAPE(INT64_C(1) << 62, INT64_C(1) << 62, -1));
}
static void arange_step_zero(void) { torch_arange(0, 1, 0); }
static void arange_too_long(void) { torch_arange(0, 1e30, 1e-9); }
static void arange_wrong_direction(void) { torch_arange(5, 1, 1); }
static void eye_negative(void) { torch_eye(-1); }
static void randint_empty_range(void) { torch_randint(5, 2, SHAPE(3)); }
static void randperm_negative(void) { torch_randperm(-1); }

/* ---- scopes ---------------------------------------------------------------------------------- */

static void scope_end_without_begin(void) {
    while (torch_scope_depth() > 0) torch_scope_end(); /* the harness reopens them */
    misuse_watch(NULL);
    torch_scope_end();
}
static void too_many_scopes(void) {
    for (;;) torch_scope_begin(); /* a torch_scope_end() missing in a loop */
}

const MisuseCase misuse_stage1[] = {
    /* matrix products */
    {"mm_inner_sizes", "torch_mm: mat1 and mat2 shapes cannot be multiplied (100x3 and 32x1)",
     mm_inner_sizes, true},
    {"mm_vector", "torch_mm: self must be a matrix, got 1-D tensor", mm_vector, false},
    {"mm_long", "torch_mm: expected scalar type Long but found Float", mm_long, false},
    {"matmul_scalar",
     "torch_matmul: both arguments to matmul need to be at least 1D, but they are 0D and 1D",
     matmul_scalar, false},
    {"matmul_mv_sizes", "torch_matmul: size mismatch, got 2, 2x3,4", matmul_mv_sizes, false},
    {"matmul_dot_sizes",
     "torch_matmul: inconsistent tensor size, expected tensor [3] and src [4] to have the same "
     "number of elements, but got 3 and 4 elements respectively",
     matmul_dot_sizes, false},
    {"addmm_bias",
     "torch_addmm: The expanded size of the tensor (5) must match the existing size (3) at "
     "non-singleton dimension 1.  Target sizes: [2, 5].  Tensor sizes: [3]",
     addmm_bias, false},
    /* broadcasting and dtypes */
    {"add_broadcast",
     "torch_add: The size of tensor a (2) must match the size of tensor b (4) at non-singleton "
     "dimension 0",
     add_broadcast, true},
    {"sub_broadcast",
     "torch_sub: The size of tensor a (100) must match the size of tensor b (3) at "
     "non-singleton dimension 0",
     sub_broadcast, false},
    {"mul_long", "torch_mul: expected scalar type Float but found Long", mul_long, false},
    {"where_float_condition",
     "torch_where: where expected condition to be a boolean tensor, but got a tensor with dtype "
     "Float",
     where_float_condition, false},
    {"where_broadcast",
     "torch_where: The size of tensor a (3) must match the size of tensor b (2) at "
     "non-singleton dimension 1",
     where_broadcast, false},
    {"sum_of_bool", "torch_sum: expected scalar type Float but found Bool", sum_of_bool, false},
    {"lt_of_long", "torch_lt_scalar: expected scalar type Float but found Long", lt_of_long,
     false},
    /* dimensions and reductions */
    {"sum_dim_out_of_range",
     "torch_sum_dim: Dimension out of range (expected to be in range of [-2, 1], but got 5)",
     sum_dim_out_of_range, true},
    {"mean_dim_negative",
     "torch_mean_dim: Dimension out of range (expected to be in range of [-2, 1], but got -3)",
     mean_dim_negative, false},
    {"size_out_of_range",
     "torch_size: Dimension out of range (expected to be in range of [-2, 1], but got 2)",
     size_out_of_range, false},
    {"max_dim_empty",
     "torch_max_dim: max(): Expected reduction dim 0 to have non-zero size.", max_dim_empty,
     false},
    {"max_of_empty",
     "torch_max: max(): Expected reduction dim to be specified for input.numel() == 0. Specify "
     "the reduction dim with the 'dim' argument.",
     max_of_empty, false},
    {"argmax_out_of_range",
     "torch_argmax: Dimension out of range (expected to be in range of [-1, 0], but got 1)",
     argmax_out_of_range, false},
    /* reading values */
    {"item_of_many", "torch_item: a Tensor with 6 elements cannot be converted to Scalar",
     item_of_many, true},
    {"item_of_empty", "torch_item: a Tensor with 0 elements cannot be converted to Scalar",
     item_of_empty, false},
    /* NULL */
    {"null_to_creation", "torch_zeros_like: expected a Tensor but got NULL", null_to_creation,
     false},
    {"null_to_elementwise", "torch_add: expected a Tensor but got NULL", null_to_elementwise,
     true},
    {"null_to_scalar_op", "torch_mul_scalar: expected a Tensor but got NULL", null_to_scalar_op,
     false},
    {"null_to_reduction", "torch_sum: expected a Tensor but got NULL", null_to_reduction, false},
    {"null_to_product", "torch_mm: expected a Tensor but got NULL", null_to_product, false},
    {"null_to_view", "torch_view: expected a Tensor but got NULL", null_to_view, false},
    {"null_to_item", "torch_item: expected a Tensor but got NULL", null_to_item, false},
    {"null_to_as_array", "torch_to_array: expected a Tensor but got NULL", null_to_as_array,
     false},
    {"null_to_inplace", "torch_sub_: expected a Tensor but got NULL", null_to_inplace, false},
    {"null_mask", "torch_masked_fill_: expected a Tensor but got NULL", null_mask, false},
    {"null_to_keep", "torch_keep: expected a Tensor but got NULL", null_to_keep, false},
    {"null_to_assign", "torch_assign: expected a Tensor but got NULL", null_to_assign, false},
    {"null_to_print", "torch_print: expected a Tensor but got NULL", null_to_print, true},
    {"null_file_to_print", "torch_fprint: expected a FILE* but got NULL", null_file_to_print,
     false},
    {"null_values", "torch_tensor: values is NULL", null_values, false},
    /* released tensors */
    {"used_after_scope", "torch_sum: " RELEASED, used_after_scope, true},
    {"used_after_free", "torch_add: " RELEASED, used_after_free, false},
    {"freed_twice", "torch_free: " RELEASED, freed_twice, true},
    {"used_after_assign", "torch_sum: " RELEASED, used_after_assign, false},
    {"inplace_on_released", "torch_zero_: " RELEASED, inplace_on_released, false},
    /* views */
    {"view_of_transpose",
     "torch_view: view size is not compatible with input tensor's size and stride (at least one "
     "dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
     view_of_transpose, true},
    {"view_wrong_numel", "torch_view: shape '[4]' is invalid for input of size 6",
     view_wrong_numel, false},
    {"view_two_inferred", "torch_view: only one dimension can be inferred", view_two_inferred,
     false},
    {"reshape_negative", "torch_reshape: invalid shape dimension -2", reshape_negative, false},
    {"select_out_of_range",
     "torch_select: select(): index 5 out of range for tensor of size [2, 3] at dimension 0",
     select_out_of_range, false},
    {"select_of_0_dim", "torch_select: select() cannot be applied to a 0-dim tensor.",
     select_of_0_dim, false},
    {"narrow_too_long", "torch_narrow: start (2) + length (5) exceeds dimension size (3).",
     narrow_too_long, false},
    {"narrow_start_out_of_range",
     "torch_narrow: Dimension out of range (expected to be in range of [-3, 2], but got -5)",
     narrow_start_out_of_range, false},
    {"slice_step_zero", "torch_slice: slice step must be positive", slice_step_zero, false},
    {"expand_mismatch",
     "torch_expand: The expanded size of the tensor (4) must match the existing size (3) at "
     "non-singleton dimension 1.  Target sizes: [4, 4].  Tensor sizes: [2, 3]",
     expand_mismatch, false},
    {"expand_fewer_sizes",
     "torch_expand: expand(CPUFloatType{[2, 3]}, size=[3]): the number of sizes provided (1) "
     "must be greater or equal to the number of dimensions in the tensor (2)",
     expand_fewer_sizes, false},
    {"transpose_out_of_range",
     "torch_transpose: Dimension out of range (expected to be in range of [-2, 1], but got 2)",
     transpose_out_of_range, false},
    {"unsqueeze_out_of_range",
     "torch_unsqueeze: Dimension out of range (expected to be in range of [-3, 2], but got 4)",
     unsqueeze_out_of_range, false},
    {"squeeze_out_of_range",
     "torch_squeeze_dim: Dimension out of range (expected to be in range of [-2, 1], but got 3)",
     squeeze_out_of_range, false},
    {"t_of_3_dims", "torch_t: t() expects a tensor with <= 2 dimensions, but self is 3D",
     t_of_3_dims, false},
    {"unknown_dtype", "torch_to_dtype: unknown dtype 7", unknown_dtype, false},
    /* in-place misuse */
    {"masked_fill_float_mask",
     "torch_masked_fill_: masked_fill_ only supports boolean masks, but got mask with dtype "
     "float",
     masked_fill_float_mask, true},
    {"masked_fill_mask_too_big",
     "torch_masked_fill_: output with shape [3] doesn't match the broadcast shape [2, 3]",
     masked_fill_mask_too_big, false},
    {"add_into_expanded", "torch_add_: " OVERLAP_SELF, add_into_expanded, true},
    {"mul_scalar_into_expanded", "torch_mul_scalar_: " OVERLAP_SELF, mul_scalar_into_expanded,
     false},
    {"uniform_into_expanded", "torch_uniform_: " OVERLAP_SELF, uniform_into_expanded, false},
    {"add_overlapping_rows", "torch_add_: " OVERLAP_OTHER, add_overlapping_rows, false},
    {"sub_inplace_would_grow",
     "torch_sub_: output with shape [2, 3] doesn't match the broadcast shape [4, 2, 3]",
     sub_inplace_would_grow, false},
    {"add_inplace_long", "torch_add_: expected scalar type Float but found Long",
     add_inplace_long, false},
    {"copy_mismatch",
     "torch_copy_: The size of tensor a (2) must match the size of tensor b (3) at "
     "non-singleton dimension 0",
     copy_mismatch, false},
    {"copy_overlapping", "torch_copy_: " OVERLAP_OTHER, copy_overlapping, false},
    {"uniform_bounds",
     "torch_uniform_: uniform_ expects to return a [from, to) range, but found from=2 > to=1",
     uniform_bounds, false},
    {"normal_negative_std", "torch_normal_: normal expects std >= 0.0, but found std -1",
     normal_negative_std, false},
    /* creation */
    {"zeros_negative", "torch_zeros: Trying to create tensor with negative dimension -2: [3, -2]",
     zeros_negative, true},
    {"randn_too_big",
     "torch_randn: Storage size calculation overflowed with sizes=[4611686018427387904, 5]",
     randn_too_big, false},
    {"expand_too_big",
     "torch_expand: numel: integer multiplication overflow (sizes=[4611686018427387904, "
     "4611686018427387904])",
     expand_too_big, false},
    {"view_too_big",
     "torch_view: numel: integer multiplication overflow (sizes=[4611686018427387904, "
     "4611686018427387904, -1])",
     view_too_big, false},
    {"arange_step_zero", "torch_arange: step must be nonzero", arange_step_zero, false},
    {"arange_too_long", "torch_arange: invalid size, possible overflow?", arange_too_long, false},
    {"arange_wrong_direction",
     "torch_arange: upper bound and larger bound inconsistent with step sign",
     arange_wrong_direction, false},
    {"eye_negative", "torch_eye: n must be greater or equal to 0, got -1", eye_negative, false},
    {"randint_empty_range",
     "torch_randint: random_ expects 'from' to be less than 'to', but got from=5 >= to=2",
     randint_empty_range, false},
    {"randperm_negative", "torch_randperm: Trying to create tensor with negative dimension -1: [-1]",
     randperm_negative, false},
    /* scopes */
    {"scope_end_without_begin", "torch_scope_end: no scope is open", scope_end_without_begin,
     true},
    {"too_many_scopes",
     "torch_scope_begin: too many nested scopes (at most 64); is a torch_scope_end() missing?",
     too_many_scopes, true},
    {NULL, NULL, NULL, false},
};
