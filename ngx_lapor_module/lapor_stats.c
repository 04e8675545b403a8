
/*
 * Response-time histograms.
 */


#include "lapor_stats.h"


/* an hour, a morning, a working day, then days: how people count delays */

const int64_t  lapor_stats_bounds[LAPOR_STATS_BUCKETS] = {
    3600, 4 * 3600, 8 * 3600, 86400, 2 * 86400, 3 * 86400, 5 * 86400,
    10 * 86400, 20 * 86400, 30 * 86400, -1
};

const char  *lapor_stats_fields[LAPOR_STATS_BUCKETS] = {
    "le:3600", "le:14400", "le:28800", "le:86400", "le:172800", "le:259200",
    "le:432000", "le:864000", "le:1728000", "le:2592000", "le:inf"
};


size_t
lapor_stats_bucket(int64_t seconds)
{
    size_t  i;

    for (i = 0; i < LAPOR_STATS_BUCKETS - 1; i++) {
        if (seconds <= lapor_stats_bounds[i]) {
            return i;
        }
    }

    return LAPOR_STATS_BUCKETS - 1;
}


int64_t
lapor_stats_percentile(const uint64_t counts[LAPOR_STATS_BUCKETS],
    unsigned pct)
{
    size_t    i;
    uint64_t  total, need, sum;

    total = 0;

    for (i = 0; i < LAPOR_STATS_BUCKETS; i++) {
        total += counts[i];
    }

    if (total == 0) {
        return -2;
    }

    if (pct == 0) {
        pct = 1;
    }

    if (pct > 100) {
        pct = 100;
    }

    /* the rank of the percentile: ceil(total * pct / 100) */
    need = (total * pct + 99) / 100;

    sum = 0;

    for (i = 0; i < LAPOR_STATS_BUCKETS; i++) {
        sum += counts[i];

        if (sum >= need) {
            return lapor_stats_bounds[i];
        }
    }

    return -1;
}
