
/*
 * Working-day calendar for the SLA clocks: civil-date arithmetic, the
 * catalog's time zone and holidays, deadlines and RFC 3339 timestamps.
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 * Nothing here reads the clock, the environment or a tz database, and
 * nothing keeps state between calls: every answer depends only on the
 * arguments.
 *
 * Times are Unix seconds (int64_t).  A "day" is a local civil day counted
 * from 1970-01-01 (day 0), in the calendar's fixed UTC offset.
 *
 * Working day: Monday to Friday, and not one of the calendar's holidays.
 *
 * Deadline, due(t, N):
 *
 *   N >= 1: the end (23:59:59 local) of the N-th working day after the
 *           local day of t.  The day of submission never counts, even when
 *           t is early on a working day, so every reporter gets N full
 *           working days.  Submitted Friday 10:00 with N = 3: Monday,
 *           Tuesday, Wednesday; due Wednesday 23:59:59.  Submitted on
 *           Saturday: also due Wednesday 23:59:59.
 *
 *   N == 0: the end of t's own day if it is a working day, else the end of
 *           the next working day ("today, or the next working day").
 *
 * A report is overdue when now > due(t, N).
 *
 * Coverage: holidays are listed by a person, year by year, so the list
 * ends somewhere.  covered_until is the last local day for which the list
 * is known to be complete; after it the calendar still answers, with the
 * weekends and whatever holidays happen to be listed (the best it can),
 * and lapor_calendar_covers() tells the caller that an answer went past
 * the coverage, so that it can say so.  A calendar with bounded == 0 has
 * no such end (e.g. one that has no holidays on purpose).
 */


#ifndef _LAPOR_CALENDAR_H_INCLUDED_
#define _LAPOR_CALENDAR_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define LAPOR_CALENDAR_DAY          86400

/*
 * lapor_calendar_due() looks at most this many calendar days (ten years)
 * past the local day of t.  Holidays come from a file that a person writes,
 * so a mistake could list years of consecutive holidays; the bound keeps a
 * request from scanning them all.  It also caps N at roughly 2,600 working
 * days, far above any SLA.
 */
#define LAPOR_CALENDAR_MAX_SCAN     3660

/*
 * Returned by lapor_calendar_due() when there is no answer: t outside the
 * supported range, or no N-th working day within LAPOR_CALENDAR_MAX_SCAN
 * days.  It compares less than every valid time, so a caller that forgot
 * to check would see the report as overdue rather than never due.
 */
#define LAPOR_CALENDAR_NONE         INT64_MIN

/*
 * The supported times: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, the
 * range of a four-digit RFC 3339 year.
 */
#define LAPOR_CALENDAR_TIME_MIN     (-62135596800LL)
#define LAPOR_CALENDAR_TIME_MAX     253402300799LL

/* the longest output of lapor_calendar_format() plus its NUL is 26 bytes */
#define LAPOR_CALENDAR_FORMAT_LEN   32


/*
 * nginx -t warns when a calendar's coverage ends within this many days
 * (docs/catalog.md, "Coverage").
 */
#define LAPOR_CALENDAR_COVERAGE_WARN_DAYS  90


typedef struct {
    int32_t         utc_offset;    /* seconds east of UTC, |x| < 1 day */
    const int32_t  *holidays;      /* local days, sorted, unique */
    size_t          nholidays;
    int32_t         covered_until; /* last local day of the coverage */
    int             bounded;       /* 0: no end, covered_until unused */
} lapor_calendar_t;


/*
 * The UTC offset of a time zone name, in seconds east of UTC.
 *
 * Only fixed offsets are supported, on purpose: nginx workers must not read
 * a tz database at run time (blocking file I/O, and a chroot may lack it),
 * and Indonesia does not observe daylight saving time, so each of its zones
 * is a constant offset:
 *
 *   Asia/Jakarta, Asia/Pontianak        +07:00  (WIB)
 *   Asia/Makassar, Asia/Ujung_Pandang   +08:00  (WITA; Bali)
 *   Asia/Jayapura                       +09:00  (WIT)
 *   UTC                                 +00:00
 *   +HH:MM or -HH:MM                    explicit, from -12:00 to +14:00
 *
 * Any other name (e.g. "Europe/Berlin", whose offset changes) is rejected
 * rather than guessed.  Returns 0, or -1 for an unknown name.
 */
int lapor_calendar_tz_offset(const char *name, size_t len, int32_t *offset);

/*
 * Parses a strict "YYYY-MM-DD" (exactly ten characters, year 0001 to 9999,
 * a date that exists: no 2025-02-29, no 2025-04-31) into a day number.
 * Returns 0, or -1.
 */
int lapor_calendar_parse_date(const char *s, size_t len, int32_t *day);

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and back.  These are
 * Howard Hinnant's days_from_civil / civil_from_days: exact for every year
 * an int can hold, negative before 1970.
 */
int64_t lapor_calendar_days_from_civil(int y, unsigned m, unsigned d);
void lapor_calendar_civil_from_days(int64_t z, int *y, unsigned *m,
    unsigned *d);

/* ISO weekday of a day number: 1 Monday ... 7 Sunday */
unsigned lapor_calendar_weekday(int64_t day);

/* the local day that contains time t */
int64_t lapor_calendar_day_of(const lapor_calendar_t *cal, int64_t t);

/* the last second (23:59:59 local) of a local day */
int64_t lapor_calendar_end_of_day(const lapor_calendar_t *cal, int64_t day);

/* 1 if day is Monday to Friday and not a holiday, else 0 */
int lapor_calendar_is_working_day(const lapor_calendar_t *cal, int64_t day);

/*
 * due(t, n) as defined at the top of this file, or LAPOR_CALENDAR_NONE
 * (see LAPOR_CALENDAR_MAX_SCAN).
 */
int64_t lapor_calendar_due(const lapor_calendar_t *cal, int64_t t,
    unsigned n);

/*
 * How many deadline days have fully passed between t0 and t1: the working
 * days after the local day of t0 whose end (23:59:59 local) is at or
 * before t1.  It is the counterpart of lapor_calendar_due(), so that for
 * every n >= 1 (within the scan bound)
 *
 *   lapor_calendar_working_days_between(cal, t, now) >= n
 *       exactly when  now >= lapor_calendar_due(cal, t, n),
 *
 * used for "auto-close 10 working days after the follow-up" and for
 * overdue checks.  The local day of t0 itself never counts, as in due().
 * 0 when t1 <= t0.  Computed in closed form, not by walking the days, so
 * it is cheap for spans of years; saturates at UINT_MAX.
 */
unsigned lapor_calendar_working_days_between(const lapor_calendar_t *cal,
    int64_t t0, int64_t t1);

/*
 * 1 when the local day of t is within the coverage (always when the
 * calendar has no end), else 0.  A deadline d = due(t, N) looked at every
 * day up to its own, so it was computed from a complete list exactly when
 * lapor_calendar_covers(cal, d).
 */
int lapor_calendar_covers(const lapor_calendar_t *cal, int64_t t);

/*
 * The first second after the coverage (00:00:00 local of the day after
 * covered_until), or LAPOR_CALENDAR_NONE when the calendar has no end.
 */
int64_t lapor_calendar_coverage_end(const lapor_calendar_t *cal);

/*
 * Whole days from the local day of now to the last covered day: 0 on that
 * day, negative after it, INT64_MAX when the calendar has no end.  nginx -t
 * warns when it is below LAPOR_CALENDAR_COVERAGE_WARN_DAYS.
 */
int64_t lapor_calendar_coverage_left(const lapor_calendar_t *cal,
    int64_t now);

/*
 * RFC 3339 in the calendar's offset, "2026-12-02T23:59:59+08:00", or with
 * "Z" when the offset is zero.  buf must hold LAPOR_CALENDAR_FORMAT_LEN
 * bytes; the result is NUL-terminated.  Returns its length, or 0 (and an
 * empty string) when the local time is outside years 0001 to 9999.
 */
size_t lapor_calendar_format(const lapor_calendar_t *cal, int64_t t,
    char *buf);

/* the same in UTC: "2026-12-02T15:59:59Z" */
size_t lapor_calendar_format_utc(int64_t t, char *buf);


#endif /* _LAPOR_CALENDAR_H_INCLUDED_ */
