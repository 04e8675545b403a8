
/*
 * Reconnect delays: exponential backoff with jitter.
 */


#include "lapor_backoff.h"


uint64_t
lapor_backoff_delay(unsigned attempt, uint64_t base, uint64_t max,
    uint32_t rnd)
{
    uint64_t  delay, half;

    if (base == 0) {
        base = 1;
    }

    if (max < base) {
        max = base;
    }

    delay = base;

    while (attempt-- > 0) {
        if (delay >= max / 2 + 1) {
            delay = max;
            break;
        }

        delay *= 2;
    }

    if (delay > max) {
        delay = max;
    }

    half = delay / 2;

    return delay - half + ((half * (uint64_t) rnd) >> 32);
}
