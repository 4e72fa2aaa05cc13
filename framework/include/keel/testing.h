/* For the framework's own tests and the in-kernel test runner: not part of
 * the API labs are written against (keel.h does not include it, and the
 * graders refuse lab code that uses what it declares: see grading/README.md,
 * "What lab code may contain"). */
#ifndef KEEL_TESTING_H
#define KEEL_TESTING_H

#include <keel/types.h>

/* Return the address of the function called `name`, or 0 if there is none.
 * Any context. (Not for lab code: it would reach any framework function,
 * the graders' own included.) */
uintptr_t symbol_address(const char *name);

#endif
