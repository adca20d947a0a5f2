/* placeholder: being written */
#include "ct_test.h"
int main(void) { return 1; }
