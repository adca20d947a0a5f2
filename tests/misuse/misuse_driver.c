/*
 * misuse_driver.c: runs one case of the misuse catalogue with the default error handler, as
 * a student's program would: the process must stop with status 1 and "Error in <message>" on
 * stderr. test_misuse.c runs it for the cases marked `driver`.
 *
 *     misuse_driver CASE      run the case (status 3 if it raised no error)
 *     misuse_driver --list    the cases, one per line: stage, name, driver mark
 */
#include <stdio.h>
#include <string.h>

#include "misuse.h"

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: misuse_driver CASE | --list\n");
        return 2;
    }
    if (strcmp(argv[1], "--list") == 0) {
        for (const MisuseCatalogue *cat = misuse_catalogues; cat->stage; cat++)
            for (const MisuseCase *c = cat->cases; c->name; c++)
                printf("%s %s%s\n", cat->stage, c->name, c->driver ? " (driver)" : "");
        return 0;
    }
    const MisuseCase *c = misuse_find(argv[1], NULL);
    if (!c) {
        fprintf(stderr, "misuse_driver: no case named '%s' (see --list)\n", argv[1]);
        return 2;
    }
    c->run(); /* the default handler ends the process here */
    fprintf(stderr, "misuse_driver: case %s raised no error\n", c->name);
    return 3;
}
