/*
 * exercise.h: what a student copy changes besides the exercise stubs (docs/exercises.md).
 * ./course student writes this file into the copy with STUDENT_COPY set to 1.
 *
 * In a student copy, torch_mm multiplies with mm_reference, the definition the student writes
 * in exercise 1.2, instead of the fast kernel mm_kernel, and the sums and means (torch_sum,
 * torch_sum_dim, torch_mean, torch_mean_dim) add with sum_lanes, exercise 1.3, instead of
 * sum_fast (common/reduce.c), so that chapter 1's program runs the student's code. Each pair
 * gives the same bits; only the speed differs.
 */
#ifndef CTORCH_EXERCISE_H
#define CTORCH_EXERCISE_H

#define STUDENT_COPY 0

#endif
