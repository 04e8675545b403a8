
/*
 * Unit tests for the working-day calendar (lapor_calendar.c).
 */


#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "lapor_calendar.h"
#include "unit.h"


#define WITA  (8 * 3600)
#define WIB   (7 * 3600)
#define WIT   (9 * 3600)


static int32_t
day(int y, unsigned m, unsigned d)
{
    return (int32_t) lapor_calendar_days_from_civil(y, m, d);
}


/* a local wall-clock time in the given offset, as Unix seconds */

static int64_t
at(int32_t offset, int y, unsigned m, unsigned d, unsigned hh, unsigned mm,
    unsigned ss)
{
    return (int64_t) day(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss
           - offset;
}


/* 23:59:59 local of a date */

static int64_t
end(int32_t offset, int y, unsigned m, unsigned d)
{
    return at(offset, y, m, d, 23, 59, 59);
}


static int
formats_as(const lapor_calendar_t *cal, int64_t t, const char *want)
{
    char    buf[LAPOR_CALENDAR_FORMAT_LEN];
    size_t  n;

    n = lapor_calendar_format(cal, t, buf);

    if (n != strlen(want) || strcmp(buf, want) != 0) {
        fprintf(stderr, "  formatted \"%s\", want \"%s\"\n", buf, want);
        return 0;
    }

    return 1;
}


/* due() the slow, obvious way: step through the days one by one */

static int64_t
reference_due(const lapor_calendar_t *cal, int64_t t, unsigned n)
{
    int64_t  d;

    d = lapor_calendar_day_of(cal, t);

    if (n == 0) {
        while (!lapor_calendar_is_working_day(cal, d)) {
            d++;
        }

        return lapor_calendar_end_of_day(cal, d);
    }

    while (n > 0) {
        d++;

        if (lapor_calendar_is_working_day(cal, d)) {
            n--;
        }
    }

    return lapor_calendar_end_of_day(cal, d);
}


static uint64_t
next_random(uint64_t *state)
{
    /* a 64-bit LCG (Knuth's MMIX constants): good enough to pick inputs */

    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;

    return *state >> 33;
}


/* the 2026 holidays and cuti bersama that fall in the tests' range */

static int32_t  holidays_2026[24];
static size_t   nholidays_2026;


static void
init_holidays_2026(void)
{
    static const unsigned char  md[][2] = {
        { 1, 1 }, { 1, 16 }, { 2, 16 }, { 2, 17 }, { 3, 18 }, { 3, 19 },
        { 3, 20 }, { 3, 21 }, { 3, 22 }, { 3, 23 }, { 3, 24 }, { 4, 3 },
        { 5, 1 }, { 5, 14 }, { 5, 15 }, { 5, 27 }, { 5, 28 }, { 6, 1 },
        { 6, 16 }, { 8, 17 }, { 8, 25 }, { 12, 24 }, { 12, 25 }
    };

    size_t  i;

    for (i = 0; i < sizeof(md) / sizeof(md[0]); i++) {
        holidays_2026[i] = day(2026, md[i][0], md[i][1]);
    }

    holidays_2026[i++] = day(2027, 1, 1);
    nholidays_2026 = i;
}


static void
test_civil_round_trip(void)
{
    int       y, ry;
    int64_t   z, prev;
    unsigned  m, d, rm, rd, bad, days_in[13];

    UNIT_EQ(lapor_calendar_days_from_civil(1970, 1, 1), 0);
    UNIT_EQ(lapor_calendar_days_from_civil(1969, 12, 31), -1);
    UNIT_EQ(lapor_calendar_days_from_civil(2000, 3, 1), 11017);
    UNIT_EQ(lapor_calendar_days_from_civil(2026, 1, 1), 20454);
    UNIT_EQ(lapor_calendar_days_from_civil(1, 1, 1), -719162);
    UNIT_EQ(lapor_calendar_days_from_civil(9999, 12, 31), 2932896);

    /* every day of 1970..2100: consecutive numbers and exact round trips */

    bad = 0;
    prev = -1;

    for (y = 1970; y <= 2100; y++) {
        for (m = 1; m <= 12; m++) {
            days_in[m] = (m == 2) ? 28 : (m == 4 || m == 6 || m == 9
                                          || m == 11) ? 30 : 31;
        }

        if (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
            days_in[2] = 29;
        }

        for (m = 1; m <= 12; m++) {
            for (d = 1; d <= days_in[m]; d++) {
                z = lapor_calendar_days_from_civil(y, m, d);
                lapor_calendar_civil_from_days(z, &ry, &rm, &rd);

                if (z != prev + 1 || ry != y || rm != m || rd != d) {
                    bad++;
                }

                prev = z;
            }
        }
    }

    UNIT_EQ(bad, 0);
    UNIT_EQ(prev, lapor_calendar_days_from_civil(2100, 12, 31));

    /* and back from day numbers, including the negative ones */

    bad = 0;

    for (z = -800000; z <= 3000000; z += 97) {
        lapor_calendar_civil_from_days(z, &ry, &rm, &rd);

        if (lapor_calendar_days_from_civil(ry, rm, rd) != z) {
            bad++;
        }
    }

    UNIT_EQ(bad, 0);

    lapor_calendar_civil_from_days(day(2028, 2, 29), &ry, &rm, &rd);
    UNIT_TRUE(ry == 2028 && rm == 2 && rd == 29);
    UNIT_EQ(day(2028, 3, 1) - day(2028, 2, 28), 2);
    UNIT_EQ(day(2100, 3, 1) - day(2100, 2, 28), 1);
    UNIT_EQ(day(2000, 3, 1) - day(2000, 2, 28), 2);
}


static void
test_weekday(void)
{
    UNIT_EQ(lapor_calendar_weekday(0), 4);                   /* Thursday */
    UNIT_EQ(lapor_calendar_weekday(-1), 3);
    UNIT_EQ(lapor_calendar_weekday(-3), 1);
    UNIT_EQ(lapor_calendar_weekday(-4), 7);
    UNIT_EQ(lapor_calendar_weekday(day(2026, 1, 1)), 4);
    UNIT_EQ(lapor_calendar_weekday(day(2026, 1, 9)), 5);     /* Friday */
    UNIT_EQ(lapor_calendar_weekday(day(2026, 1, 10)), 6);
    UNIT_EQ(lapor_calendar_weekday(day(2026, 1, 11)), 7);
    UNIT_EQ(lapor_calendar_weekday(day(2025, 3, 31)), 1);    /* Idul Fitri */
    UNIT_EQ(lapor_calendar_weekday(day(2028, 2, 29)), 2);
    UNIT_EQ(lapor_calendar_weekday(day(2027, 1, 1)), 5);
}


static void
test_tz_offset(void)
{
    int32_t  off;

#define TZ_OK(s, want)                                                        \
    off = 12345;                                                              \
    UNIT_TRUE(lapor_calendar_tz_offset(s, sizeof(s) - 1, &off) == 0          \
              && off == (want))
#define TZ_BAD(s)                                                             \
    UNIT_EQ(lapor_calendar_tz_offset(s, sizeof(s) - 1, &off), -1)

    TZ_OK("Asia/Jakarta", WIB);
    TZ_OK("Asia/Pontianak", WIB);
    TZ_OK("Asia/Makassar", WITA);
    TZ_OK("Asia/Ujung_Pandang", WITA);
    TZ_OK("Asia/Jayapura", WIT);
    TZ_OK("UTC", 0);
    TZ_OK("+08:00", WITA);
    TZ_OK("+00:00", 0);
    TZ_OK("-00:00", 0);
    TZ_OK("-05:00", -5 * 3600);
    TZ_OK("-03:30", -(3 * 3600 + 30 * 60));
    TZ_OK("+05:45", 5 * 3600 + 45 * 60);
    TZ_OK("+14:00", 14 * 3600);
    TZ_OK("-12:00", -12 * 3600);

    TZ_BAD("");
    TZ_BAD("Z");
    TZ_BAD("utc");
    TZ_BAD("asia/makassar");
    TZ_BAD("Asia/Makassar ");
    TZ_BAD("Asia/Makassa");
    TZ_BAD("Asia/Denpasar");
    TZ_BAD("Europe/Berlin");
    TZ_BAD("WITA");
    TZ_BAD("+8:00");
    TZ_BAD("+0800");
    TZ_BAD("08:00");
    TZ_BAD("+08:60");
    TZ_BAD("+14:01");
    TZ_BAD("+15:00");
    TZ_BAD("-12:01");
    TZ_BAD("+0a:00");
    TZ_BAD("+08:00:00");

    /* the length given wins over a longer buffer */
    UNIT_EQ(lapor_calendar_tz_offset("UTC+1", 3, &off), 0);
    UNIT_EQ(off, 0);

#undef TZ_OK
#undef TZ_BAD
}


static void
test_parse_date(void)
{
    int32_t  d;

#define DATE_OK(s, y, m, dd)                                                  \
    d = -12345;                                                               \
    UNIT_TRUE(lapor_calendar_parse_date(s, sizeof(s) - 1, &d) == 0            \
              && d == day(y, m, dd))
#define DATE_BAD(s)                                                           \
    UNIT_EQ(lapor_calendar_parse_date(s, sizeof(s) - 1, &d), -1)

    DATE_OK("1970-01-01", 1970, 1, 1);
    DATE_OK("2025-03-31", 2025, 3, 31);
    DATE_OK("2025-12-31", 2025, 12, 31);
    DATE_OK("2024-02-29", 2024, 2, 29);
    DATE_OK("2000-02-29", 2000, 2, 29);
    DATE_OK("2028-02-29", 2028, 2, 29);
    DATE_OK("1969-12-31", 1969, 12, 31);
    DATE_OK("0001-01-01", 1, 1, 1);
    DATE_OK("9999-12-31", 9999, 12, 31);

    DATE_BAD("");
    DATE_BAD("2025-13-01");
    DATE_BAD("2025-00-10");
    DATE_BAD("2025-01-00");
    DATE_BAD("2025-01-32");
    DATE_BAD("2025-02-29");
    DATE_BAD("1900-02-29");
    DATE_BAD("2100-02-29");
    DATE_BAD("2025-04-31");
    DATE_BAD("2025-1-01");
    DATE_BAD("2025-01-1");
    DATE_BAD("25-01-01");
    DATE_BAD("2025-01-01x");
    DATE_BAD("2025-01-01 ");
    DATE_BAD(" 2025-01-01");
    DATE_BAD("2025/01/01");
    DATE_BAD("20250101");
    DATE_BAD("0000-01-01");
    DATE_BAD("+025-01-01");
    DATE_BAD("2025-01-01T00:00:00Z");
    DATE_BAD("2025-0a-01");

#undef DATE_OK
#undef DATE_BAD
}


static void
test_weekends(void)
{
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };

    /* Friday 10:00, N = 3: Monday, Tuesday, Wednesday */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 10, 0, 0), 3),
            end(WITA, 2026, 1, 14));

    /* Saturday and Sunday: also Wednesday */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 10, 10, 0, 0), 3),
            end(WITA, 2026, 1, 14));
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 11, 18, 0, 0), 3),
            end(WITA, 2026, 1, 14));

    /* Monday: the day of submission does not count */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 12, 8, 0, 0), 3),
            end(WITA, 2026, 1, 15));

    /* Friday, N = 1: Monday */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 10, 0, 0), 1),
            end(WITA, 2026, 1, 12));

    /* Wednesday, N = 5: over the weekend to next Wednesday */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 7, 10, 0, 0), 5),
            end(WITA, 2026, 1, 14));

    UNIT_TRUE(lapor_calendar_is_working_day(&cal, day(2026, 1, 9)));
    UNIT_TRUE(!lapor_calendar_is_working_day(&cal, day(2026, 1, 10)));
    UNIT_TRUE(!lapor_calendar_is_working_day(&cal, day(2026, 1, 11)));
    UNIT_TRUE(lapor_calendar_is_working_day(&cal, day(2026, 1, 12)));
}


static void
test_holidays_monday_friday(void)
{
    int32_t           monday[1], friday[1], both[2];
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };

    monday[0] = day(2026, 1, 12);
    friday[0] = day(2026, 1, 9);
    both[0] = friday[0];
    both[1] = monday[0];

    /* a Monday holiday pushes Friday + 3 to Thursday */
    cal.holidays = monday;
    cal.nholidays = 1;
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 10, 0, 0), 3),
            end(WITA, 2026, 1, 15));
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 10, 0, 0), 1),
            end(WITA, 2026, 1, 13));
    UNIT_TRUE(!lapor_calendar_is_working_day(&cal, monday[0]));

    /* a Friday holiday: Thursday + 1 is Monday */
    cal.holidays = friday;
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 8, 10, 0, 0), 1),
            end(WITA, 2026, 1, 12));

    /* a four-day weekend */
    cal.holidays = both;
    cal.nholidays = 2;
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 8, 10, 0, 0), 1),
            end(WITA, 2026, 1, 13));
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 10, 0, 0), 0),
            end(WITA, 2026, 1, 13));

    /* a holiday on a Saturday changes nothing */
    friday[0] = day(2026, 1, 10);
    cal.holidays = friday;
    cal.nholidays = 1;
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 10, 0, 0), 3),
            end(WITA, 2026, 1, 14));
}


static void
test_idul_fitri_week(void)
{
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };

    cal.holidays = holidays_2026;
    cal.nholidays = nholidays_2026;

    /*
     * March 2026: cuti bersama Nyepi (Wed 18), Nyepi (Thu 19), cuti
     * bersama Idul Fitri (Fri 20), Idul Fitri (Sat 21, Sun 22), cuti
     * bersama (Mon 23, Tue 24): from Tuesday 17 the next working day is
     * Wednesday 25.
     */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 3, 17, 10, 0, 0), 1),
            end(WITA, 2026, 3, 25));
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 3, 17, 10, 0, 0), 3),
            end(WITA, 2026, 3, 27));
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 3, 16, 10, 0, 0), 3),
            end(WITA, 2026, 3, 26));
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 3, 20, 10, 0, 0), 0),
            end(WITA, 2026, 3, 25));
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 3, 19, 10, 0, 0), 5),
            end(WITA, 2026, 3, 31));

    /* ten working days across the week and Good Friday (3 April) */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 3, 13, 10, 0, 0), 10),
            end(WITA, 2026, 4, 6));

    UNIT_EQ(lapor_calendar_working_days_between(&cal,
                at(WITA, 2026, 3, 17, 10, 0, 0),
                at(WITA, 2026, 3, 25, 12, 0, 0)),
            0);
    UNIT_EQ(lapor_calendar_working_days_between(&cal,
                at(WITA, 2026, 3, 17, 10, 0, 0),
                end(WITA, 2026, 3, 25)),
            1);
}


static void
test_year_end(void)
{
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };

    cal.holidays = holidays_2026;
    cal.nholidays = nholidays_2026;

    /*
     * Wednesday 30 December 2026, N = 3: Thursday 31, (New Year's Day on
     * Friday, the weekend), Monday 4 and Tuesday 5 January 2027.
     */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 12, 30, 9, 0, 0), 3),
            end(WITA, 2027, 1, 5));
    UNIT_TRUE(formats_as(&cal,
                  lapor_calendar_due(&cal, at(WITA, 2026, 12, 30, 9, 0, 0),
                                     3),
                  "2027-01-05T23:59:59+08:00"));

    /* submitted on New Year's Eve evening, N = 1: Monday 4 January */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 12, 31, 22, 0, 0), 1),
            end(WITA, 2027, 1, 4));

    /* Christmas: cuti bersama Thursday 24 and Natal Friday 25 */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 12, 23, 9, 0, 0), 1),
            end(WITA, 2026, 12, 28));
}


static void
test_leap_year(void)
{
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };

    /* Monday 28 February 2028: the next day is the 29th, a Tuesday */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2028, 2, 28, 9, 0, 0), 1),
            end(WITA, 2028, 2, 29));
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2028, 2, 28, 9, 0, 0), 3),
            end(WITA, 2028, 3, 2));
    UNIT_TRUE(formats_as(&cal, end(WITA, 2028, 2, 29),
                         "2028-02-29T23:59:59+08:00"));

    /* 2100 is not a leap year: Friday 26 February + 1 is Monday 1 March */
    UNIT_EQ(lapor_calendar_weekday(day(2100, 2, 26)), 5);
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2100, 2, 26, 9, 0, 0), 1),
            end(WITA, 2100, 3, 1));
}


static void
test_day_boundaries(void)
{
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };

    /* the first and the last second of Friday count as Friday */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 0, 0, 0), 3),
            end(WITA, 2026, 1, 14));
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 23, 59, 59), 3),
            end(WITA, 2026, 1, 14));

    /* one second earlier is Thursday */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 0, 0, 0) - 1, 3),
            end(WITA, 2026, 1, 13));

    /* Saturday 00:00:00 is a weekend day */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 10, 0, 0, 0), 3),
            end(WITA, 2026, 1, 14));

    /* N = 0 at the last second of a working day is that very second */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 23, 59, 59), 0),
            at(WITA, 2026, 1, 9, 23, 59, 59));
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 0, 0, 0), 0),
            end(WITA, 2026, 1, 9));

    /* the local day, not the UTC day: 00:30 WITA is 16:30Z the day before */
    UNIT_EQ(lapor_calendar_day_of(&cal, at(WITA, 2026, 1, 9, 0, 30, 0)),
            day(2026, 1, 9));
    UNIT_EQ(lapor_calendar_end_of_day(&cal, day(2026, 1, 9)),
            end(WITA, 2026, 1, 9));
}


static void
test_n_zero(void)
{
    int32_t           hol[1];
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };

    hol[0] = day(2026, 1, 12);

    /* a working day: its own end */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 9, 10, 0, 0), 0),
            end(WITA, 2026, 1, 9));

    /* Saturday: Monday */
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 10, 10, 0, 0), 0),
            end(WITA, 2026, 1, 12));

    /* Saturday with Monday a holiday: Tuesday */
    cal.holidays = hol;
    cal.nholidays = 1;
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 10, 10, 0, 0), 0),
            end(WITA, 2026, 1, 13));
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 12, 10, 0, 0), 0),
            end(WITA, 2026, 1, 13));
}


static void
test_n_ten_and_large(void)
{
    int64_t           t, due;
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };

    t = at(WITA, 2026, 1, 9, 10, 0, 0);

    /* Friday + 10: two full weeks */
    UNIT_EQ(lapor_calendar_due(&cal, t, 10), end(WITA, 2026, 1, 23));

    /* 250 weekdays are 50 weeks: from Friday to a Friday 350 days on */
    UNIT_EQ(lapor_calendar_due(&cal, t, 250), end(WITA, 2026, 12, 25));

    /* 2,600 working days fit in ten years of calendar days */
    due = lapor_calendar_due(&cal, t, 2600);
    UNIT_EQ(due, end(WITA, 2026, 1, 9) + (int64_t) 3640 * 86400);
    UNIT_EQ(due, reference_due(&cal, t, 2600));

    /* beyond LAPOR_CALENDAR_MAX_SCAN: no answer, and no long loop */
    UNIT_EQ(lapor_calendar_due(&cal, t, 2700), LAPOR_CALENDAR_NONE);
    UNIT_EQ(lapor_calendar_due(&cal, t, 4000000000u), LAPOR_CALENDAR_NONE);

    cal.holidays = holidays_2026;
    cal.nholidays = nholidays_2026;

    /* a whole year with the 2026 holidays, against the slow reference */
    t = at(WITA, 2025, 12, 31, 10, 0, 0);
    UNIT_EQ(lapor_calendar_due(&cal, t, 240), reference_due(&cal, t, 240));
}


static void
test_runaway_holidays(void)
{
    int32_t           hol[4000];
    size_t            i;
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };

    /* a broken list that makes every day of eleven years a holiday */

    for (i = 0; i < 4000; i++) {
        hol[i] = day(2026, 1, 1) + (int32_t) i;
    }

    cal.holidays = hol;
    cal.nholidays = 4000;

    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 1, 9, 0, 0), 1),
            LAPOR_CALENDAR_NONE);
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 1, 9, 0, 0), 0),
            LAPOR_CALENDAR_NONE);
    UNIT_EQ(lapor_calendar_working_days_between(&cal,
                at(WITA, 2026, 1, 1, 9, 0, 0), at(WITA, 2036, 1, 1, 9, 0, 0)),
            0);

    /* three thousand days of holidays are still within the bound */
    cal.nholidays = 3000;
    UNIT_EQ(lapor_calendar_due(&cal, at(WITA, 2026, 1, 1, 9, 0, 0), 1),
            reference_due(&cal, at(WITA, 2026, 1, 1, 9, 0, 0), 1));
    UNIT_TRUE(lapor_calendar_due(&cal, at(WITA, 2026, 1, 1, 9, 0, 0), 1)
              != LAPOR_CALENDAR_NONE);

    /* times outside years 0001..9999 */
    UNIT_EQ(lapor_calendar_due(&cal, INT64_MAX, 1), LAPOR_CALENDAR_NONE);
    UNIT_EQ(lapor_calendar_due(&cal, INT64_MIN, 1), LAPOR_CALENDAR_NONE);
    cal.nholidays = 0;
    UNIT_EQ(lapor_calendar_due(&cal, LAPOR_CALENDAR_TIME_MAX, 1),
            LAPOR_CALENDAR_NONE);
}


static void
test_negative_offset(void)
{
    int32_t           off;
    lapor_calendar_t  cal = { 0, NULL, 0, 0, 0 };

    UNIT_EQ(lapor_calendar_tz_offset("-05:00", 6, &off), 0);
    cal.utc_offset = off;

    /* 03:00Z on Saturday is still Friday 22:00 at -05:00 */
    UNIT_EQ(lapor_calendar_day_of(&cal, at(0, 2026, 1, 10, 3, 0, 0)),
            day(2026, 1, 9));
    UNIT_EQ(lapor_calendar_due(&cal, at(0, 2026, 1, 10, 3, 0, 0), 1),
            end(-5 * 3600, 2026, 1, 12));
    UNIT_TRUE(formats_as(&cal,
                  lapor_calendar_due(&cal, at(0, 2026, 1, 10, 3, 0, 0), 1),
                  "2026-01-12T23:59:59-05:00"));

    cal.utc_offset = -(3 * 3600 + 30 * 60);
    UNIT_TRUE(formats_as(&cal, at(0, 2026, 1, 1, 0, 0, 0),
                         "2025-12-31T20:30:00-03:30"));
}


static void
test_zones_disagree_on_the_day(void)
{
    int32_t           hol[1];
    int64_t           t;
    lapor_calendar_t  jakarta = { WIB, NULL, 0, 0, 0 };
    lapor_calendar_t  makassar = { WITA, NULL, 0, 0, 0 };
    lapor_calendar_t  jayapura = { WIT, NULL, 0, 0, 0 };

    /* 2026-01-01T15:30Z: 22:30 in Jakarta, 00:30 on 2 January in Jayapura */
    t = at(0, 2026, 1, 1, 15, 30, 0);
    hol[0] = day(2026, 1, 1);

    jakarta.holidays = makassar.holidays = jayapura.holidays = hol;
    jakarta.nholidays = makassar.nholidays = jayapura.nholidays = 1;

    UNIT_EQ(lapor_calendar_day_of(&jakarta, t), day(2026, 1, 1));
    UNIT_EQ(lapor_calendar_day_of(&makassar, t), day(2026, 1, 1));
    UNIT_EQ(lapor_calendar_day_of(&jayapura, t), day(2026, 1, 2));

    UNIT_TRUE(formats_as(&jakarta, t, "2026-01-01T22:30:00+07:00"));
    UNIT_TRUE(formats_as(&makassar, t, "2026-01-01T23:30:00+08:00"));
    UNIT_TRUE(formats_as(&jayapura, t, "2026-01-02T00:30:00+09:00"));

    /* New Year's Day in Jakarta: the next working day is Friday the 2nd */
    UNIT_EQ(lapor_calendar_due(&jakarta, t, 1), end(WIB, 2026, 1, 2));

    /* already Friday in Jayapura: the next working day is Monday */
    UNIT_EQ(lapor_calendar_due(&jayapura, t, 1), end(WIT, 2026, 1, 5));

    /* N = 0: Jakarta's holiday ends at the next working day, Jayapura's
     * Friday is a working day itself */
    UNIT_EQ(lapor_calendar_due(&jakarta, t, 0), end(WIB, 2026, 1, 2));
    UNIT_EQ(lapor_calendar_due(&jayapura, t, 0), end(WIT, 2026, 1, 2));
}


static void
test_working_days_between(void)
{
    int32_t           hol[1];
    int64_t           t;
    unsigned          brute;
    int64_t           d;
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };

    t = at(WITA, 2026, 1, 9, 10, 0, 0);                       /* Friday */

    UNIT_EQ(lapor_calendar_working_days_between(&cal, t, t), 0);
    UNIT_EQ(lapor_calendar_working_days_between(&cal, t, t - 1000), 0);

    /* Friday itself never counts */
    UNIT_EQ(lapor_calendar_working_days_between(&cal, t,
                end(WITA, 2026, 1, 9)), 0);
    UNIT_EQ(lapor_calendar_working_days_between(&cal, t,
                end(WITA, 2026, 1, 12) - 1), 0);
    UNIT_EQ(lapor_calendar_working_days_between(&cal, t,
                end(WITA, 2026, 1, 12)), 1);
    UNIT_EQ(lapor_calendar_working_days_between(&cal, t,
                end(WITA, 2026, 1, 14) - 1), 2);
    UNIT_EQ(lapor_calendar_working_days_between(&cal, t,
                end(WITA, 2026, 1, 14)), 3);
    UNIT_EQ(lapor_calendar_working_days_between(&cal, t,
                end(WITA, 2026, 1, 23)), 10);

    /* holidays inside the span are skipped, weekend ones ignored */
    hol[0] = day(2026, 1, 12);
    cal.holidays = hol;
    cal.nholidays = 1;
    UNIT_EQ(lapor_calendar_working_days_between(&cal, t,
                end(WITA, 2026, 1, 14)), 2);
    hol[0] = day(2026, 1, 10);
    UNIT_EQ(lapor_calendar_working_days_between(&cal, t,
                end(WITA, 2026, 1, 14)), 3);

    /* a long span, against counting day by day */
    cal.holidays = holidays_2026;
    cal.nholidays = nholidays_2026;
    brute = 0;

    for (d = day(2024, 1, 2); d <= day(2027, 6, 30); d++) {
        brute += (unsigned) lapor_calendar_is_working_day(&cal, d);
    }

    UNIT_EQ(lapor_calendar_working_days_between(&cal,
                at(WITA, 2024, 1, 1, 12, 0, 0), end(WITA, 2027, 6, 30)),
            brute);

    /* 2026 has 261 weekdays; 21 of the holidays above fall on them */
    UNIT_EQ(lapor_calendar_working_days_between(&cal,
                end(WITA, 2025, 12, 31), end(WITA, 2026, 12, 31)),
            261 - 21);
}


static void
test_due_matches_between(void)
{
    size_t            k;
    int64_t           t, now, due;
    unsigned          n, passed, bad, bad_ref;
    uint64_t          rnd;
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };

    cal.holidays = holidays_2026;
    cal.nholidays = nholidays_2026;

    /*
     * Random submission times in 2026, n and "now": the deadline has passed
     * exactly when n working days have, and due() agrees with the slow
     * reference.
     */

    rnd = 20260101;
    bad = 0;
    bad_ref = 0;

    for (k = 0; k < 20000; k++) {
        t = at(WITA, 2026, 1, 1, 0, 0, 0)
            + (int64_t) (next_random(&rnd) % (365 * 86400));
        n = (unsigned) (next_random(&rnd) % 15);
        now = t + (int64_t) (next_random(&rnd) % (40 * 86400));

        due = lapor_calendar_due(&cal, t, n);

        if (due != reference_due(&cal, t, n)) {
            bad_ref++;
        }

        if (n == 0) {
            continue;
        }

        passed = lapor_calendar_working_days_between(&cal, t, now);

        if ((passed >= n) != (now >= due)
            || lapor_calendar_working_days_between(&cal, t, due) != n
            || lapor_calendar_working_days_between(&cal, t, due - 1) != n - 1)
        {
            bad++;
        }
    }

    UNIT_EQ(bad, 0);
    UNIT_EQ(bad_ref, 0);
}


static void
test_format(void)
{
    char              buf[LAPOR_CALENDAR_FORMAT_LEN];
    lapor_calendar_t  utc = { 0, NULL, 0, 0, 0 };
    lapor_calendar_t  bali = { WITA, NULL, 0, 0, 0 };

    UNIT_TRUE(formats_as(&bali, end(WITA, 2026, 12, 2),
                         "2026-12-02T23:59:59+08:00"));
    UNIT_TRUE(formats_as(&bali, 0, "1970-01-01T08:00:00+08:00"));
    UNIT_TRUE(formats_as(&utc, 0, "1970-01-01T00:00:00Z"));

    UNIT_EQ(lapor_calendar_format_utc(end(WITA, 2026, 12, 2), buf), 20);
    UNIT_TRUE(strcmp(buf, "2026-12-02T15:59:59Z") == 0);

    UNIT_EQ(lapor_calendar_format_utc(-1, buf), 20);
    UNIT_TRUE(strcmp(buf, "1969-12-31T23:59:59Z") == 0);

    UNIT_EQ(lapor_calendar_format_utc(LAPOR_CALENDAR_TIME_MAX, buf), 20);
    UNIT_TRUE(strcmp(buf, "9999-12-31T23:59:59Z") == 0);

    UNIT_EQ(lapor_calendar_format_utc(LAPOR_CALENDAR_TIME_MIN, buf), 20);
    UNIT_TRUE(strcmp(buf, "0001-01-01T00:00:00Z") == 0);

    /* out of range: empty */
    UNIT_EQ(lapor_calendar_format_utc(LAPOR_CALENDAR_TIME_MAX + 1, buf), 0);
    UNIT_EQ(buf[0], '\0');
    UNIT_EQ(lapor_calendar_format(&bali, LAPOR_CALENDAR_TIME_MAX, buf), 0);
    UNIT_EQ(lapor_calendar_format(&bali, LAPOR_CALENDAR_NONE, buf), 0);
    UNIT_EQ(lapor_calendar_format_utc(INT64_MAX, buf), 0);

    bali.utc_offset = 5 * 3600 + 45 * 60;
    UNIT_TRUE(formats_as(&bali, 0, "1970-01-01T05:45:00+05:45"));
}


/*
 * The coverage boundary: covered to 23:59:59 local of covered_until, not a
 * second longer, whatever the offset; days left for the nginx -t warning.
 */

static void
test_coverage_boundary(void)
{
    int32_t           hol[1];
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };
    lapor_calendar_t  jayapura = { WIT, NULL, 0, 0, 0 };

    /* no end: everything covered, nothing left to count down */

    UNIT_TRUE(lapor_calendar_covers(&cal, at(WITA, 2027, 12, 31, 12, 0, 0)));
    UNIT_TRUE(lapor_calendar_covers(&cal, LAPOR_CALENDAR_TIME_MAX));
    UNIT_TRUE(lapor_calendar_covers(&cal, INT64_MAX));
    UNIT_EQ(lapor_calendar_coverage_end(&cal), LAPOR_CALENDAR_NONE);
    UNIT_EQ(lapor_calendar_coverage_left(&cal, at(WITA, 2027, 1, 1, 0, 0, 0)),
            INT64_MAX);

    /* a list with its last holiday on 25 December, covered to the 31st */

    hol[0] = day(2027, 12, 25);
    cal.holidays = hol;
    cal.nholidays = 1;
    cal.covered_until = day(2027, 12, 31);
    cal.bounded = 1;

    UNIT_TRUE(lapor_calendar_covers(&cal, at(WITA, 2027, 12, 26, 0, 0, 0)));
    UNIT_TRUE(lapor_calendar_covers(&cal, end(WITA, 2027, 12, 31)));
    UNIT_TRUE(!lapor_calendar_covers(&cal, end(WITA, 2027, 12, 31) + 1));
    UNIT_TRUE(!lapor_calendar_covers(&cal, LAPOR_CALENDAR_TIME_MAX));
    UNIT_TRUE(!lapor_calendar_covers(&cal, INT64_MAX));
    UNIT_TRUE(lapor_calendar_covers(&cal, INT64_MIN));

    /* 2028-01-01T00:00:00+08:00, in Unix time */
    UNIT_EQ(lapor_calendar_coverage_end(&cal),
            at(WITA, 2028, 1, 1, 0, 0, 0));
    UNIT_EQ(lapor_calendar_coverage_end(&cal), 1830268800LL);

    /* the same day ends an hour earlier in Jayapura */

    jayapura.covered_until = cal.covered_until;
    jayapura.bounded = 1;
    UNIT_EQ(lapor_calendar_coverage_end(&jayapura),
            lapor_calendar_coverage_end(&cal) - 3600);
    UNIT_TRUE(!lapor_calendar_covers(&jayapura,
                                     at(WITA, 2027, 12, 31, 23, 30, 0)));

    /* days left: 0 on the last day, negative after it */

    UNIT_EQ(lapor_calendar_coverage_left(&cal, end(WITA, 2027, 12, 31)), 0);
    UNIT_EQ(lapor_calendar_coverage_left(&cal, end(WITA, 2027, 12, 31) + 1),
            -1);
    UNIT_EQ(lapor_calendar_coverage_left(&cal,
                                         at(WITA, 2027, 12, 30, 0, 0, 0)), 1);
    UNIT_EQ(lapor_calendar_coverage_left(&cal,
                                         at(WITA, 2028, 3, 1, 12, 0, 0)),
            -61);

    /* the warning threshold: 2 October is 90 days before, 3 October 89 */

    UNIT_EQ(lapor_calendar_coverage_left(&cal,
                                         at(WITA, 2027, 10, 2, 23, 0, 0)),
            LAPOR_CALENDAR_COVERAGE_WARN_DAYS);
    UNIT_EQ(lapor_calendar_coverage_left(&cal,
                                         at(WITA, 2027, 10, 3, 0, 0, 0)),
            LAPOR_CALENDAR_COVERAGE_WARN_DAYS - 1);

    /* a clock far out of range does not overflow */
    UNIT_TRUE(lapor_calendar_coverage_left(&cal, INT64_MAX) < 0);
    UNIT_TRUE(lapor_calendar_coverage_left(&cal, INT64_MIN) > 0);
}


/*
 * Past the coverage, deadlines are still computed, with the weekends only
 * (and holidays as far as they are listed), and the caller can tell.
 */

static void
test_past_coverage(void)
{
    int32_t           hol[2];
    int64_t           t, due;
    unsigned          n;
    lapor_calendar_t  cal = { WITA, NULL, 0, 0, 0 };
    lapor_calendar_t  weekends = { WITA, NULL, 0, 0, 0 };

    /* covered to Thursday 31 December 2026, after Christmas */

    hol[0] = day(2026, 12, 24);
    hol[1] = day(2026, 12, 25);
    cal.holidays = hol;
    cal.nholidays = 2;
    cal.covered_until = day(2026, 12, 31);
    cal.bounded = 1;

    /* Monday 28 December, N = 3: 29, 30, 31 December, all covered */

    due = lapor_calendar_due(&cal, at(WITA, 2026, 12, 28, 10, 0, 0), 3);
    UNIT_EQ(due, end(WITA, 2026, 12, 31));
    UNIT_TRUE(lapor_calendar_covers(&cal, due));

    /*
     * Tuesday 29 December, N = 3: 30, 31 December and Friday 1 January
     * (New Year's Day is not listed: weekends only from 1 January on).
     */

    due = lapor_calendar_due(&cal, at(WITA, 2026, 12, 29, 10, 0, 0), 3);
    UNIT_EQ(due, end(WITA, 2027, 1, 1));
    UNIT_TRUE(!lapor_calendar_covers(&cal, due));

    /* Wednesday 23 December, N = 6: skips 24, 25 and two weekends */

    due = lapor_calendar_due(&cal, at(WITA, 2026, 12, 23, 10, 0, 0), 6);
    UNIT_EQ(due, end(WITA, 2027, 1, 4));
    UNIT_TRUE(!lapor_calendar_covers(&cal, due));

    /* N = 0 on the last covered day is covered, on the next one not */

    due = lapor_calendar_due(&cal, at(WITA, 2026, 12, 31, 23, 0, 0), 0);
    UNIT_EQ(due, end(WITA, 2026, 12, 31));
    UNIT_TRUE(lapor_calendar_covers(&cal, due));
    due = lapor_calendar_due(&cal, at(WITA, 2027, 1, 1, 0, 0, 0), 0);
    UNIT_EQ(due, end(WITA, 2027, 1, 1));
    UNIT_TRUE(!lapor_calendar_covers(&cal, due));

    /* long after the coverage: exactly the weekends-only answer */

    for (t = at(WITA, 2027, 1, 1, 9, 0, 0);
         t < at(WITA, 2027, 3, 1, 0, 0, 0);
         t += 86400 + 3 * 3600 + 17)
    {
        for (n = 0; n <= 10; n++) {
            due = lapor_calendar_due(&cal, t, n);
            UNIT_EQ(due, lapor_calendar_due(&weekends, t, n));
            UNIT_TRUE(!lapor_calendar_covers(&cal, due));
        }
    }

    /* a holiday listed after the coverage still counts */

    hol[0] = day(2026, 12, 25);
    hol[1] = day(2027, 1, 1);
    cal.covered_until = day(2026, 12, 25);

    due = lapor_calendar_due(&cal, at(WITA, 2026, 12, 30, 10, 0, 0), 2);
    UNIT_EQ(due, end(WITA, 2027, 1, 4));
    UNIT_TRUE(!lapor_calendar_covers(&cal, due));
}


int
main(void)
{
    init_holidays_2026();

    test_civil_round_trip();
    test_weekday();
    test_tz_offset();
    test_parse_date();
    test_weekends();
    test_holidays_monday_friday();
    test_idul_fitri_week();
    test_year_end();
    test_leap_year();
    test_day_boundaries();
    test_n_zero();
    test_n_ten_and_large();
    test_runaway_holidays();
    test_negative_offset();
    test_zones_disagree_on_the_day();
    test_working_days_between();
    test_due_matches_between();
    test_format();
    test_coverage_boundary();
    test_past_coverage();

    return unit_report("calendar");
}
