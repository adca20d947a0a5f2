/* seed42.c: a program outside the tree, built only with `pkg-config ctorch`.
 * Prints torch_manual_seed(42); torch_randn(SHAPE(100, 3)) as float bit patterns. */
#include <stdio.h>
#include <string.h>

#include "tensor.h"

int main(void) {
    torch_manual_seed(42);
    Tensor *x = torch_randn(SHAPE(100, 3));
    float v[300];
    torch_to_array(x, v);
    for (int i = 0; i < 300; i++) {
        unsigned int bits;
        memcpy(&bits, &v[i], sizeof bits);
        printf(i ? " %08x" : "%08x", bits);
    }
    printf("\n");
    torch_free(x);
    return 0;
}
