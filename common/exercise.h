/*
 * exercise.h: what a student copy changes besides the exercise stubs (docs/exercises.md).
 * ./course student writes this file into the copy with STUDENT_COPY set to 1.
 *
 * In a student copy, torch_mm multiplies with mm_reference, the definition the student writes
 * in exercise 1.2, instead of the fast kernel mm_kernel, so that chapter 1's program runs the
 * student's product. Both give the same bits; only the speed differs.
 */
#ifndef CTORCH_EXERCISE_H
#define CTORCH_EXERCISE_H

#define STUDENT_COPY 0

#endif
