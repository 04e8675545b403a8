
/*
 * Working-day calendar for the SLA clocks.
 *
 * Civil dates are computed here rather than with localtime()/mktime():
 * those depend on the process's TZ and tz database, which a worker must not
 * consult, and Indonesian zones are fixed offsets anyway.
 */


#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lapor_calendar.h"


typedef struct {
    const char  *name;
    size_t       len;
    int32_t      offset;
} lapor_calendar_zone_t;


#define lapor_calendar_zone(name, offset)                                     \
    { name, sizeof(name) - 1, offset }

static const lapor_calendar_zone_t  lapor_calendar_zones[] = {
    lapor_calendar_zone("Asia/Jakarta", 7 * 3600),
    lapor_calendar_zone("Asia/Pontianak", 7 * 3600),
    lapor_calendar_zone("Asia/Makassar", 8 * 3600),
    lapor_calendar_zone("Asia/Ujung_Pandang", 8 * 3600),
    lapor_calendar_zone("Asia/Jayapura", 9 * 3600),
    lapor_calendar_zone("UTC", 0),
    { NULL, 0, 0 }
};


static int64_t lapor_calendar_floor_div(int64_t a, int64_t b);
static int64_t lapor_calendar_weekdays_before(int64_t day);
static size_t lapor_calendar_holiday_index(const lapor_calendar_t *cal,
    int64_t day);
static int lapor_calendar_digits(const char *s, size_t n, unsigned *value);
static unsigned lapor_calendar_days_in_month(int64_t y, unsigned m);
static size_t lapor_calendar_format_local(int64_t local, int32_t offset,
    char *buf);


int
lapor_calendar_tz_offset(const char *name, size_t len, int32_t *offset)
{
    unsigned                      hh, mm;
    int32_t                       secs;
    const lapor_calendar_zone_t  *zone;

    for (zone = lapor_calendar_zones; zone->name; zone++) {
        if (zone->len == len && memcmp(zone->name, name, len) == 0) {
            *offset = zone->offset;
            return 0;
        }
    }

    /* "+HH:MM" / "-HH:MM", the form RFC 3339 uses */

    if (len != 6 || (name[0] != '+' && name[0] != '-') || name[3] != ':'
        || lapor_calendar_digits(name + 1, 2, &hh) != 0
        || lapor_calendar_digits(name + 4, 2, &mm) != 0
        || mm > 59)
    {
        return -1;
    }

    secs = (int32_t) (hh * 3600 + mm * 60);

    /* the offsets in use on Earth run from -12:00 to +14:00 */

    if (name[0] == '+') {
        if (secs > 14 * 3600) {
            return -1;
        }

        *offset = secs;

    } else {
        if (secs > 12 * 3600) {
            return -1;
        }

        *offset = -secs;
    }

    return 0;
}


int
lapor_calendar_parse_date(const char *s, size_t len, int32_t *day)
{
    unsigned  y, m, d;

    if (len != 10 || s[4] != '-' || s[7] != '-'
        || lapor_calendar_digits(s, 4, &y) != 0
        || lapor_calendar_digits(s + 5, 2, &m) != 0
        || lapor_calendar_digits(s + 8, 2, &d) != 0)
    {
        return -1;
    }

    if (y == 0 || m == 0 || m > 12 || d == 0
        || d > lapor_calendar_days_in_month(y, m))
    {
        return -1;
    }

    /* years 0001..9999 are days -719162..2932896: they fit in int32_t */

    *day = (int32_t) lapor_calendar_days_from_civil((int) y, m, d);

    return 0;
}


int64_t
lapor_calendar_days_from_civil(int y, unsigned m, unsigned d)
{
    int64_t   yy, era;
    unsigned  yoe, doy, doe;

    /* count years from March so that February's leap day comes last */

    yy = (int64_t) y - (m <= 2);
    era = (yy >= 0 ? yy : yy - 399) / 400;
    yoe = (unsigned) (yy - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (int64_t) doe - 719468;
}


void
lapor_calendar_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    int64_t   era, yy;
    unsigned  doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned) (z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = (int64_t) yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int) (yy + (*m <= 2));
}


unsigned
lapor_calendar_weekday(int64_t day)
{
    /* 1970-01-01 was a Thursday */

    return (unsigned) (day + 3 - lapor_calendar_floor_div(day + 3, 7) * 7)
           + 1;
}


int64_t
lapor_calendar_day_of(const lapor_calendar_t *cal, int64_t t)
{
    return lapor_calendar_floor_div(t + cal->utc_offset, LAPOR_CALENDAR_DAY);
}


int64_t
lapor_calendar_end_of_day(const lapor_calendar_t *cal, int64_t day)
{
    return (day + 1) * LAPOR_CALENDAR_DAY - cal->utc_offset - 1;
}


int
lapor_calendar_is_working_day(const lapor_calendar_t *cal, int64_t day)
{
    size_t  i;

    if (lapor_calendar_weekday(day) > 5) {
        return 0;
    }

    i = lapor_calendar_holiday_index(cal, day);

    return !(i < cal->nholidays && cal->holidays[i] == day);
}


int64_t
lapor_calendar_due(const lapor_calendar_t *cal, int64_t t, unsigned n)
{
    size_t    i;
    int64_t   day, last, end;
    unsigned  need;

    if (t < LAPOR_CALENDAR_TIME_MIN || t > LAPOR_CALENDAR_TIME_MAX) {
        return LAPOR_CALENDAR_NONE;
    }

    day = lapor_calendar_day_of(cal, t);
    last = day + LAPOR_CALENDAR_MAX_SCAN;

    /* N = 0 asks for the first working day from t's own day on */

    if (n == 0) {
        need = 1;

    } else {
        need = n;
        day++;
    }

    /*
     * Walk the days once, moving through the sorted holidays alongside
     * instead of searching them for every day.
     */

    i = lapor_calendar_holiday_index(cal, day);

    for ( /* void */ ; day <= last; day++) {

        while (i < cal->nholidays && cal->holidays[i] < day) {
            i++;
        }

        if (lapor_calendar_weekday(day) > 5
            || (i < cal->nholidays && cal->holidays[i] == day))
        {
            continue;
        }

        if (--need == 0) {
            end = lapor_calendar_end_of_day(cal, day);

            return end <= LAPOR_CALENDAR_TIME_MAX ? end : LAPOR_CALENDAR_NONE;
        }
    }

    return LAPOR_CALENDAR_NONE;
}


unsigned
lapor_calendar_working_days_between(const lapor_calendar_t *cal,
    int64_t t0, int64_t t1)
{
    size_t   i;
    int64_t  first, last, count;

    if (t1 <= t0) {
        return 0;
    }

    /* clamping keeps t + offset from overflowing */

    if (t0 < LAPOR_CALENDAR_TIME_MIN) {
        t0 = LAPOR_CALENDAR_TIME_MIN;
    }

    if (t1 > LAPOR_CALENDAR_TIME_MAX) {
        t1 = LAPOR_CALENDAR_TIME_MAX;
    }

    first = lapor_calendar_day_of(cal, t0) + 1;

    /* the last day whose 23:59:59 is at or before t1 */

    last = lapor_calendar_floor_div(t1 + cal->utc_offset + 1,
                                    LAPOR_CALENDAR_DAY) - 1;

    if (last < first) {
        return 0;
    }

    count = lapor_calendar_weekdays_before(last + 1)
            - lapor_calendar_weekdays_before(first);

    for (i = lapor_calendar_holiday_index(cal, first);
         i < cal->nholidays && cal->holidays[i] <= last;
         i++)
    {
        if (lapor_calendar_weekday(cal->holidays[i]) <= 5) {
            count--;
        }
    }

    return count > UINT_MAX ? UINT_MAX : (unsigned) count;
}


int
lapor_calendar_covers(const lapor_calendar_t *cal, int64_t t)
{
    if (!cal->bounded) {
        return 1;
    }

    if (t > LAPOR_CALENDAR_TIME_MAX) {
        t = LAPOR_CALENDAR_TIME_MAX;
    }

    if (t < LAPOR_CALENDAR_TIME_MIN) {
        t = LAPOR_CALENDAR_TIME_MIN;
    }

    return lapor_calendar_day_of(cal, t) <= cal->covered_until;
}


int64_t
lapor_calendar_coverage_end(const lapor_calendar_t *cal)
{
    if (!cal->bounded) {
        return LAPOR_CALENDAR_NONE;
    }

    return lapor_calendar_end_of_day(cal, cal->covered_until) + 1;
}


int64_t
lapor_calendar_coverage_left(const lapor_calendar_t *cal, int64_t now)
{
    if (!cal->bounded) {
        return INT64_MAX;
    }

    if (now > LAPOR_CALENDAR_TIME_MAX) {
        now = LAPOR_CALENDAR_TIME_MAX;
    }

    if (now < LAPOR_CALENDAR_TIME_MIN) {
        now = LAPOR_CALENDAR_TIME_MIN;
    }

    return cal->covered_until - lapor_calendar_day_of(cal, now);
}


size_t
lapor_calendar_format(const lapor_calendar_t *cal, int64_t t, char *buf)
{
    if (t < LAPOR_CALENDAR_TIME_MIN - cal->utc_offset
        || t > LAPOR_CALENDAR_TIME_MAX - cal->utc_offset)
    {
        buf[0] = '\0';
        return 0;
    }

    return lapor_calendar_format_local(t + cal->utc_offset, cal->utc_offset,
                                       buf);
}


size_t
lapor_calendar_format_utc(int64_t t, char *buf)
{
    if (t < LAPOR_CALENDAR_TIME_MIN || t > LAPOR_CALENDAR_TIME_MAX) {
        buf[0] = '\0';
        return 0;
    }

    return lapor_calendar_format_local(t, 0, buf);
}


/* width decimal digits of v, zero padded */

static char *
lapor_calendar_put_digits(char *p, unsigned v, unsigned width)
{
    unsigned  i;

    for (i = width; i > 0; i--) {
        p[i - 1] = (char) ('0' + v % 10);
        v /= 10;
    }

    return p + width;
}


static size_t
lapor_calendar_format_local(int64_t local, int32_t offset, char *buf)
{
    int       y, n;
    char     *p;
    int64_t   day, secs;
    unsigned  m, d, off;

    day = lapor_calendar_floor_div(local, LAPOR_CALENDAR_DAY);
    secs = local - day * LAPOR_CALENDAR_DAY;

    lapor_calendar_civil_from_days(day, &y, &m, &d);

    /* by hand: snprintf is a measurable cost on every report view */

    if (y < 0 || y > 9999) {
        n = snprintf(buf, LAPOR_CALENDAR_FORMAT_LEN, "%04d", y);
        return n > 0 ? (size_t) n : 0;
    }

    p = buf;
    p = lapor_calendar_put_digits(p, (unsigned) y, 4);
    *p++ = '-';
    p = lapor_calendar_put_digits(p, m, 2);
    *p++ = '-';
    p = lapor_calendar_put_digits(p, d, 2);
    *p++ = 'T';
    p = lapor_calendar_put_digits(p, (unsigned) (secs / 3600), 2);
    *p++ = ':';
    p = lapor_calendar_put_digits(p, (unsigned) (secs / 60 % 60), 2);
    *p++ = ':';
    p = lapor_calendar_put_digits(p, (unsigned) (secs % 60), 2);

    if (offset == 0) {
        *p++ = 'Z';

    } else {
        off = (unsigned) (offset < 0 ? -offset : offset) / 60;
        *p++ = offset < 0 ? '-' : '+';
        p = lapor_calendar_put_digits(p, off / 60, 2);
        *p++ = ':';
        p = lapor_calendar_put_digits(p, off % 60, 2);
    }

    *p = '\0';

    n = (int) (p - buf);

    return n > 0 ? (size_t) n : 0;
}


static int64_t
lapor_calendar_floor_div(int64_t a, int64_t b)
{
    int64_t  q;

    q = a / b;

    if (a % b != 0 && (a < 0) != (b < 0)) {
        q--;
    }

    return q;
}


/*
 * The number of Mondays to Fridays before "day", counted from the Monday
 * 1969-12-29 (day -3); negative for days before it.  The difference of two
 * such counts is the number of weekdays between them, without a loop.
 */

static int64_t
lapor_calendar_weekdays_before(int64_t day)
{
    int64_t  weeks, rest;

    weeks = lapor_calendar_floor_div(day + 3, 7);
    rest = day + 3 - weeks * 7;

    return weeks * 5 + (rest < 5 ? rest : 5);
}


/* the index of the first holiday on or after day */

static size_t
lapor_calendar_holiday_index(const lapor_calendar_t *cal, int64_t day)
{
    size_t  lo, hi, mid;

    lo = 0;
    hi = cal->nholidays;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (cal->holidays[mid] < day) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return lo;
}


static int
lapor_calendar_digits(const char *s, size_t n, unsigned *value)
{
    size_t    i;
    unsigned  v;

    v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        v = v * 10 + (unsigned) (s[i] - '0');
    }

    *value = v;

    return 0;
}


static unsigned
lapor_calendar_days_in_month(int64_t y, unsigned m)
{
    static const unsigned char  days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
        return 29;
    }

    return days[m - 1];
}
