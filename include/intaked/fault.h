/* fault.h — test-only fault points: kill the process at a durable step so
 * the crash tests can prove that a restart loses nothing and files nothing
 * twice (isync's run-tests.pl does the same).
 *
 * fault_point("NAME") does nothing unless the environment variable
 * INTAKED_FAULT is "NAME" (die at the first hit) or "NAME:N" (die at the
 * N-th hit, N >= 1); then it writes "intaked: fault NAME hit N\n" to
 * stderr and raises SIGKILL: no handler, no atexit, no flush runs, as in
 * a power cut after the last fsync. The variable is read once, at the
 * first call; afterwards an unarmed point costs one comparison. */
#ifndef INTAKED_FAULT_H
#define INTAKED_FAULT_H

void fault_point(const char *name);

/* Forget the parsed variable, so the next fault_point() reads it again
 * (for unit tests). */
void fault_reset(void);

#endif
