
/*
 * Reconnect delays: exponential backoff with jitter.
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 */


#ifndef _LAPOR_BACKOFF_H_INCLUDED_
#define _LAPOR_BACKOFF_H_INCLUDED_


#include <stdint.h>


/*
 * The delay before reconnect attempt number "attempt" (0 for the first retry
 * after a failure): base * 2^attempt, capped at max, then "equal jitter":
 * half of it fixed and the other half scaled by rnd / 2^32.  Many workers
 * that lost one Redis at the same moment thus spread their reconnects while
 * each still waits at least half the nominal delay.
 */
uint64_t lapor_backoff_delay(unsigned attempt, uint64_t base, uint64_t max,
    uint32_t rnd);


#endif /* _LAPOR_BACKOFF_H_INCLUDED_ */
