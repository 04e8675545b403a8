
/*
 * Response-time histograms for the statistics: fixed buckets, so that
 * Redis keeps counters (HINCRBY in the transaction of the change) and a
 * percentile is read off the counts, never by scanning reports.  Plain C,
 * unit tested directly.
 */


#ifndef _LAPOR_STATS_H_INCLUDED_
#define _LAPOR_STATS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* upper bounds in seconds, the last one is +Inf (-1) */
#define LAPOR_STATS_BUCKETS  11

extern const int64_t  lapor_stats_bounds[LAPOR_STATS_BUCKETS];

/* "le:3600", ..., "le:inf": the hash field of each bucket */
extern const char    *lapor_stats_fields[LAPOR_STATS_BUCKETS];


/* the bucket of a duration (negative durations count as 0) */
size_t lapor_stats_bucket(int64_t seconds);

/*
 * The upper bound of the bucket that holds the pct-th percentile (1..100)
 * of the counts: the smallest bound b such that at least pct percent of
 * the durations are <= b.  -1 when that is the +Inf bucket, -2 when there
 * are no counts.
 */
int64_t lapor_stats_percentile(const uint64_t counts[LAPOR_STATS_BUCKETS],
    unsigned pct);


#endif /* _LAPOR_STATS_H_INCLUDED_ */
