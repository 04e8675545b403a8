
/*
 * Unit tests for the reconnect backoff (lapor_backoff.c).
 */


#include <stdio.h>
#include <stdint.h>

#include "lapor_backoff.h"
#include "unit.h"


static void
test_first_attempt_waits_base(void)
{
    /* attempt 0: between base/2 and base */
    UNIT_EQ(lapor_backoff_delay(0, 100, 5000, 0), 50);
    UNIT_EQ(lapor_backoff_delay(0, 100, 5000, UINT32_MAX), 99);
}


static void
test_doubles_each_attempt(void)
{
    UNIT_EQ(lapor_backoff_delay(1, 100, 5000, 0), 100);
    UNIT_EQ(lapor_backoff_delay(2, 100, 5000, 0), 200);
    UNIT_EQ(lapor_backoff_delay(3, 100, 5000, 0), 400);
    UNIT_EQ(lapor_backoff_delay(5, 100, 5000, 0), 1600);
}


static void
test_capped_at_max(void)
{
    UNIT_EQ(lapor_backoff_delay(6, 100, 5000, 0), 2500);
    UNIT_EQ(lapor_backoff_delay(6, 100, 5000, UINT32_MAX), 4999);
    UNIT_EQ(lapor_backoff_delay(60, 100, 5000, 0), 2500);
    UNIT_EQ(lapor_backoff_delay(64, 100, 5000, 0), 2500);
    UNIT_EQ(lapor_backoff_delay(1000000, 100, 5000, UINT32_MAX), 4999);
}


static void
test_jitter_stays_in_range(void)
{
    unsigned  attempt;
    uint32_t  rnd;
    uint64_t  d, nominal;

    for (attempt = 0; attempt < 20; attempt++) {
        nominal = 100ULL << attempt;
        if (nominal > 5000) {
            nominal = 5000;
        }

        for (rnd = 0; rnd < UINT32_MAX - 16777259; rnd += 16777259) {
            d = lapor_backoff_delay(attempt, 100, 5000, rnd);
            UNIT_TRUE(d >= nominal - nominal / 2 && d <= nominal);
        }
    }
}


static void
test_degenerate_bounds(void)
{
    /* zero base and max below base are configuration mistakes: stay sane */
    UNIT_EQ(lapor_backoff_delay(0, 0, 0, 0), 1);
    UNIT_EQ(lapor_backoff_delay(3, 200, 100, 0), 100);
}


int
main(void)
{
    test_first_attempt_waits_base();
    test_doubles_each_attempt();
    test_capped_at_max();
    test_jitter_stays_in_range();
    test_degenerate_bounds();

    return unit_report("backoff");
}
