
/*
 * Unit tests for the response-time histograms (lapor_stats.c).
 */


#include <string.h>

#include "lapor_stats.h"
#include "unit.h"


static void
test_buckets(void)
{
    UNIT_EQ(lapor_stats_bucket(-5), 0);
    UNIT_EQ(lapor_stats_bucket(0), 0);
    UNIT_EQ(lapor_stats_bucket(3600), 0);
    UNIT_EQ(lapor_stats_bucket(3601), 1);
    UNIT_EQ(lapor_stats_bucket(86400), 3);
    UNIT_EQ(lapor_stats_bucket(86401), 4);
    UNIT_EQ(lapor_stats_bucket(30 * 86400), 9);
    UNIT_EQ(lapor_stats_bucket(30 * 86400 + 1), 10);
    UNIT_EQ(lapor_stats_bucket(INT64_MAX), 10);

    /* the field names follow the bounds */
    UNIT_TRUE(strcmp(lapor_stats_fields[3], "le:86400") == 0);
    UNIT_TRUE(strcmp(lapor_stats_fields[10], "le:inf") == 0);
}


static void
test_percentiles(void)
{
    uint64_t  c[LAPOR_STATS_BUCKETS];

    memset(c, 0, sizeof(c));
    UNIT_EQ(lapor_stats_percentile(c, 50), (uint64_t) -2);

    /* one value: every percentile is its bucket */
    c[3] = 1;
    UNIT_EQ(lapor_stats_percentile(c, 50), 86400);
    UNIT_EQ(lapor_stats_percentile(c, 90), 86400);

    /* 10 values: 5 within an hour, 4 within a day, 1 beyond 30 days */
    memset(c, 0, sizeof(c));
    c[0] = 5;
    c[3] = 4;
    c[10] = 1;
    UNIT_EQ(lapor_stats_percentile(c, 50), 3600);     /* rank 5 */
    UNIT_EQ(lapor_stats_percentile(c, 51), 86400);    /* rank 6 */
    UNIT_EQ(lapor_stats_percentile(c, 90), 86400);    /* rank 9 */
    UNIT_EQ(lapor_stats_percentile(c, 91), (uint64_t) -1);
    UNIT_EQ(lapor_stats_percentile(c, 100), (uint64_t) -1);

    /* out-of-range percentages are clamped */
    UNIT_EQ(lapor_stats_percentile(c, 0), 3600);
    UNIT_EQ(lapor_stats_percentile(c, 1000), (uint64_t) -1);

    /* large counts do not overflow the rank */
    memset(c, 0, sizeof(c));
    c[1] = 1000000000000ULL;
    c[2] = 1000000000000ULL;
    UNIT_EQ(lapor_stats_percentile(c, 50), 14400);
    UNIT_EQ(lapor_stats_percentile(c, 51), 28800);
}


int
main(void)
{
    test_buckets();
    test_percentiles();

    return unit_report("stats");
}
