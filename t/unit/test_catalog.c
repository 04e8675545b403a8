
/*
 * Unit tests for the catalog (lapor_catalog.c): the shipped Bali catalog,
 * defaults and overrides, lookups, and one broken catalog per rule, each
 * with the message it must produce.
 */


#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lapor_calendar.h"
#include "lapor_catalog.h"
#include "unit.h"


#define EXAMPLE_CATALOG  "examples/catalog.json"
#define WITA             (8 * 3600)


/* a pool: blocks are released all at once, as nginx's would be */

typedef struct test_block_s  test_block_t;

struct test_block_s {
    test_block_t  *next;
    size_t         size;
    double         align[];
};

typedef struct {
    test_block_t  *blocks;
    size_t         allocs;
    size_t         fail_after;     /* fail the n-th allocation; 0: never */
} test_pool_t;


static void *
test_alloc(void *ctx, size_t size)
{
    test_pool_t   *pool;
    test_block_t  *b;

    pool = ctx;

    if (pool->fail_after && ++pool->allocs >= pool->fail_after) {
        return NULL;
    }

    b = malloc(sizeof(test_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = pool->blocks;
    b->size = size;
    pool->blocks = b;

    /* stale bytes must not matter to the parser */
    memset(b->align, 0xa5, size);

    return b->align;
}


static void
test_pool_free(test_pool_t *pool)
{
    test_block_t  *b, *next;

    for (b = pool->blocks; b; b = next) {
        next = b->next;
        free(b);
    }

    pool->blocks = NULL;
    pool->allocs = 0;
}


/*
 * The catalogs below are written with ' for " to stay readable; this
 * turns them into JSON.
 */

static size_t
unquote(const char *src, char *dst, size_t size)
{
    size_t  n;

    for (n = 0; src[n] && n + 1 < size; n++) {
        dst[n] = (src[n] == '\'') ? '"' : src[n];
    }

    dst[n] = '\0';

    return n;
}


static int
parse(test_pool_t *pool, const char *text, lapor_catalog_t **cat, char *err)
{
    static char  json[16384];
    size_t       len;

    len = unquote(text, json, sizeof(json));

    return lapor_catalog_parse((const unsigned char *) json, len, test_alloc,
                               pool, cat, err, LAPOR_CATALOG_ERR_LEN);
}


static char *
read_file(const char *name, size_t *len)
{
    long   size;
    char  *buf;
    FILE  *f;

    f = fopen(name, "rb");
    if (f == NULL) {
        return NULL;
    }

    buf = NULL;

    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0
        && fseek(f, 0, SEEK_SET) == 0)
    {
        buf = malloc((size_t) size);

        if (buf && fread(buf, 1, (size_t) size, f) != (size_t) size) {
            free(buf);
            buf = NULL;
        }

        *len = (size_t) size;
    }

    fclose(f);

    return buf;
}


static int32_t
day(int y, unsigned m, unsigned d)
{
    return (int32_t) lapor_calendar_days_from_civil(y, m, d);
}


static int64_t
wita(int y, unsigned m, unsigned d, unsigned hh, unsigned mm, unsigned ss)
{
    return (int64_t) day(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss - WITA;
}


static int
str_is(const char *s, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(s, want, len) == 0
           && s[len] == '\0';
}


/* the pieces of a small valid catalog, to break one at a time */

#define VERSION   "'version': 1"
#define REGION    "'region': {'code': 'bali', 'name': {'id': 'Provinsi " \
                  "Bali', 'en': 'Bali Province'}}"
#define ZONE      "'time_zone': 'Asia/Makassar'"
#define SLA       "'sla': {'dispatch_days': 3, 'follow_up_days': 5, "       \
                  "'auto_close_days': 10}"
#define TYPES     "'types': [{'code': 'pengaduan', 'name': {'id': "          \
                  "'Pengaduan', 'en': 'Complaint'}}, {'code': 'aspirasi', "  \
                  "'name': {'id': 'Aspirasi', 'en': 'Aspiration'}}]"
#define AGENCIES  "'agencies': [{'code': 'dinkes', 'name': {'id': 'Dinas "   \
                  "Kesehatan', 'en': 'Health Office'}}, {'code': 'dishub', " \
                  "'name': {'id': 'Dinas Perhubungan', 'en': 'Transport "    \
                  "Office'}}]"
#define CATEGORY(code, agency)                                                \
                  "{'code': '" code "', 'name': {'id': 'Kesehatan', 'en': "  \
                  "'Health'}, 'default_agency': '" agency "'}"
#define CATEGORIES                                                            \
                  "'categories': [" CATEGORY("kesehatan", "dinkes") ", "     \
                  CATEGORY("transportasi", "dishub") "]"
#define HOLIDAYS  "'holidays': [{'date': '2026-01-01', 'name': 'Tahun Baru "  \
                  "2026 Masehi'}]"

#define DOC(v, r, z, s, t, a, c, h)                                           \
    "{" v ", " r ", " z ", " s ", " t ", " a ", " c ", " h "}"

#define VALID  DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,   \
                   HOLIDAYS)

/* a name padded to 300 bytes */
#define LONG_NAME                                                             \
    "0123456789012345678901234567890123456789012345678901234567890123456789" \
    "0123456789012345678901234567890123456789012345678901234567890123456789" \
    "0123456789012345678901234567890123456789012345678901234567890123456789" \
    "0123456789012345678901234567890123456789012345678901234567890123456789" \
    "01234567890123456789"


typedef struct {
    const char  *json;
    const char  *want;
} broken_t;


static const broken_t  broken[] = {

    /* the document */

    { "", "invalid JSON" },
    { "{", "invalid JSON" },
    { "[1, 2]", "the catalog must be a JSON object, not array" },
    { "{'version': 1, 'version': 1}", "invalid JSON" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          "'timezone': 'Asia/Makassar'"),
      "unknown key \"timezone\"" },

    /* version */

    { "{" REGION ", " ZONE ", " TYPES ", " AGENCIES ", " CATEGORIES "}",
      "version is missing" },
    { DOC("'version': 2", REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          HOLIDAYS),
      "version must be 1, not 2" },
    { DOC("'version': 1.0", REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          HOLIDAYS),
      "version must be 1, not 1.0" },
    { DOC("'version': '1'", REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          HOLIDAYS),
      "version must be a number, not string" },

    /* region */

    { "{" VERSION ", " ZONE ", " TYPES ", " AGENCIES ", " CATEGORIES "}",
      "region is missing" },
    { DOC(VERSION, "'region': 'bali'", ZONE, SLA, TYPES, AGENCIES,
          CATEGORIES, HOLIDAYS),
      "region must be an object, not string" },
    { DOC(VERSION, "'region': {'code': 'Bali', 'name': {'id': 'Bali', "
          "'en': 'Bali'}}", ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          HOLIDAYS),
      "region.code \"Bali\" must be 1 to 32 characters from a-z, 0-9 and "
      "\"-\"" },
    { DOC(VERSION, "'region': {'code': 'bali', 'name': {'id': 'Bali'}}",
          ZONE, SLA, TYPES, AGENCIES, CATEGORIES, HOLIDAYS),
      "region.name.en is missing" },
    { DOC(VERSION, "'region': {'code': 'bali', 'name': {'id': 'Bali', "
          "'en': 'Bali', 'fr': 'Bali'}}", ZONE, SLA, TYPES, AGENCIES,
          CATEGORIES, HOLIDAYS),
      "region.name has an unknown key \"fr\"" },

    /* time zone */

    { "{" VERSION ", " REGION ", " TYPES ", " AGENCIES ", " CATEGORIES "}",
      "time_zone is missing" },
    { DOC(VERSION, REGION, "'time_zone': 'Europe/Berlin'", SLA, TYPES,
          AGENCIES, CATEGORIES, HOLIDAYS),
      "time_zone \"Europe/Berlin\" is not supported" },
    { DOC(VERSION, REGION, "'time_zone': 'WITA'", SLA, TYPES, AGENCIES,
          CATEGORIES, HOLIDAYS),
      "time_zone \"WITA\" is not supported" },
    { DOC(VERSION, REGION, "'time_zone': 8", SLA, TYPES, AGENCIES,
          CATEGORIES, HOLIDAYS),
      "time_zone must be a string, not number" },

    /* SLA */

    { DOC(VERSION, REGION, ZONE, "'sla': {'dispatch_days': 0}", TYPES,
          AGENCIES, CATEGORIES, HOLIDAYS),
      "sla.dispatch_days must be a whole number of working days from 1 to "
      "60, not 0" },
    { DOC(VERSION, REGION, ZONE, "'sla': {'follow_up_days': 61}", TYPES,
          AGENCIES, CATEGORIES, HOLIDAYS),
      "sla.follow_up_days must be a whole number of working days from 1 to "
      "60, not 61" },
    { DOC(VERSION, REGION, ZONE, "'sla': {'auto_close_days': 2.5}", TYPES,
          AGENCIES, CATEGORIES, HOLIDAYS),
      "sla.auto_close_days must be a whole number of working days from 1 "
      "to 60, not 2.5" },
    { DOC(VERSION, REGION, ZONE, "'sla': {'auto_close_days': -10}", TYPES,
          AGENCIES, CATEGORIES, HOLIDAYS),
      "not -10" },
    { DOC(VERSION, REGION, ZONE, "'sla': {'follow_up_days': '5'}", TYPES,
          AGENCIES, CATEGORIES, HOLIDAYS),
      "sla.follow_up_days must be a number, not string" },
    { DOC(VERSION, REGION, ZONE, "'sla': {'follow_up_day': 5}", TYPES,
          AGENCIES, CATEGORIES, HOLIDAYS),
      "sla has an unknown key \"follow_up_day\"" },
    { DOC(VERSION, REGION, ZONE, "'sla': [3, 5, 10]", TYPES, AGENCIES,
          CATEGORIES, HOLIDAYS),
      "sla must be an object, not array" },

    /* types */

    { DOC(VERSION, REGION, ZONE, SLA, "'types': []", AGENCIES, CATEGORIES,
          HOLIDAYS),
      "types must not be empty" },
    { DOC(VERSION, REGION, ZONE, SLA, "'types': [{'code': 'keluhan', "
          "'name': {'id': 'Keluhan', 'en': 'Grievance'}}]", AGENCIES,
          CATEGORIES, HOLIDAYS),
      "types[0].code \"keluhan\" is not a report type: use pengaduan, "
      "aspirasi or informasi" },
    { DOC(VERSION, REGION, ZONE, SLA, "'types': [{'code': 'pengaduan', "
          "'name': {'id': 'Pengaduan', 'en': 'Complaint'}}, {'code': "
          "'pengaduan', 'name': {'id': 'Aduan', 'en': 'Complaint'}}]",
          AGENCIES, CATEGORIES, HOLIDAYS),
      "types[1].code \"pengaduan\" is a duplicate of types[0].code" },
    { DOC(VERSION, REGION, ZONE, SLA, "'types': [{'code': 'pengaduan', "
          "'name': {'id': '', 'en': 'Complaint'}}]", AGENCIES, CATEGORIES,
          HOLIDAYS),
      "types[0].name.id must not be empty" },
    { DOC(VERSION, REGION, ZONE, SLA, "'types': [{'code': 'pengaduan'}]",
          AGENCIES, CATEGORIES, HOLIDAYS),
      "types[0].name is missing" },

    /* agencies */

    { "{" VERSION ", " REGION ", " ZONE ", " TYPES ", " CATEGORIES "}",
      "agencies is missing" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, "'agencies': []", CATEGORIES,
          HOLIDAYS),
      "agencies must not be empty" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, "'agencies': [{'code': "
          "'dinas_kesehatan', 'name': {'id': 'Dinkes', 'en': 'Health'}}]",
          CATEGORIES, HOLIDAYS),
      "agencies[0].code \"dinas_kesehatan\" must be 1 to 32 characters" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, "'agencies': [{'code': '', "
          "'name': {'id': 'Dinkes', 'en': 'Health'}}]", CATEGORIES,
          HOLIDAYS),
      "agencies[0].code \"\" must be 1 to 32 characters" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, "'agencies': [{'code': "
          "'abcdefghij-abcdefghij-abcdefghij-', 'name': {'id': 'X', 'en': "
          "'X'}}]", CATEGORIES, HOLIDAYS),
      "agencies[0].code \"abcdefghij-abcdefghij-abcdefghij-\" must be 1 "
      "to 32 characters" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, "'agencies': [{'code': "
          "'dinkes', 'name': {'id': 'Dinkes', 'en': 'Health'}}, {'code': "
          "'dishub', 'name': {'id': 'Dishub', 'en': 'Transport'}}, {'code': "
          "'dinkes', 'name': {'id': 'Dinkes 2', 'en': 'Health 2'}}]",
          CATEGORIES, HOLIDAYS),
      "agencies[2].code \"dinkes\" is a duplicate of agencies[0].code" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, "'agencies': ['dinkes']",
          CATEGORIES, HOLIDAYS),
      "agencies[0] must be an object, not string" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, "'agencies': [{'code': "
          "'dinkes', 'name': {'id': 'Dinkes', 'en': 'Health'}, 'email': "
          "'x@example.org'}]", CATEGORIES, HOLIDAYS),
      "agencies[0] has an unknown key \"email\"" },

    /* categories */

    { "{" VERSION ", " REGION ", " ZONE ", " TYPES ", " AGENCIES "}",
      "categories is missing" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, "'categories': []",
          HOLIDAYS),
      "categories must not be empty" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [" CATEGORY("kesehatan", "dinkes") ", "
          CATEGORY("transportasi", "dinkes-x") "]", HOLIDAYS),
      "categories[1].default_agency \"dinkes-x\" is not a known agency "
      "code" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [{'code': 'kesehatan', 'name': {'id': 'Kesehatan', "
          "'en': 'Health'}}]", HOLIDAYS),
      "categories[0].default_agency is missing" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [{'code': 'kesehatan', 'name': {'id': 'Kesehatan', "
          "'en': 'Health'}, 'defualt_agency': 'dinkes'}]", HOLIDAYS),
      "categories[0] has an unknown key \"defualt_agency\"" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [" CATEGORY("kesehatan", "dinkes") ", "
          CATEGORY("kesehatan", "dishub") "]", HOLIDAYS),
      "categories[1].code \"kesehatan\" is a duplicate of "
      "categories[0].code" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [{'code': 'kesehatan', 'name': {'id': 'Kesehatan', "
          "'en': 'Health'}, 'default_agency': 'dinkes', 'sla': "
          "{'follow_up_days': 0}}]", HOLIDAYS),
      "categories[0].sla.follow_up_days must be a whole number of working "
      "days from 1 to 60, not 0" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [{'code': 'kesehatan', 'name': {'id': 'Kesehatan', "
          "'en': 'Health'}, 'default_agency': 'dinkes', 'sla': "
          "{'close_days': 5}}]", HOLIDAYS),
      "categories[0].sla has an unknown key \"close_days\"" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [{'code': 'kesehatan', 'name': 'Kesehatan', "
          "'default_agency': 'dinkes'}]", HOLIDAYS),
      "categories[0].name must be an object, not string" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [{'code': 'kesehatan', 'name': {'id': "
          "'Kese\\nhatan', 'en': 'Health'}, 'default_agency': 'dinkes'}]",
          HOLIDAYS),
      "invalid JSON at byte 581: control character in string" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [{'code': 'kesehatan', 'name': {'id': "
          "'Kese\\u007fhatan', 'en': 'Health'}, 'default_agency': "
          "'dinkes'}]", HOLIDAYS),
      "control character in string" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [{'code': 'kesehatan', 'name': {'id': 'Kesehatan', "
          "'en': '" LONG_NAME "'}, 'default_agency': 'dinkes'}]", HOLIDAYS),
      "categories[0].name.en is 300 bytes long, more than the 256 "
      "allowed" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [{'code': 'kesehatan', 'name': {'id': 'Kesehatan', "
          "'en': 'Health'}, 'default_agency': 7}]", HOLIDAYS),
      "categories[0].default_agency must be a string, not number" },

    /* holidays */

    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          "'holidays': [{'date': '2025-02-29', 'name': 'Bukan tanggal'}]"),
      "holidays[0].date \"2025-02-29\" is not a valid date in the form "
      "YYYY-MM-DD" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          "'holidays': [{'date': '2026-01-01', 'name': 'Tahun Baru'}, "
          "{'date': '2026-1-16', 'name': 'Isra Mikraj'}]"),
      "holidays[1].date \"2026-1-16\" is not a valid date" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          "'holidays': [{'date': '2026-13-01', 'name': 'X'}]"),
      "holidays[0].date \"2026-13-01\" is not a valid date" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          "'holidays': [{'date': '2026-12-25', 'name': 'Natal'}, "
          "{'date': '2026-01-01', 'name': 'Tahun Baru'}, "
          "{'date': '2026-08-17', 'name': 'Kemerdekaan'}, "
          "{'date': '2026-01-01', 'name': 'Tahun Baru lagi'}, "
          "{'date': '2026-12-25', 'name': 'Natal lagi'}]"),
      "holidays[3].date \"2026-01-01\" is a duplicate of "
      "holidays[1].date" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          "'holidays': [{'date': '2026-01-01'}]"),
      "holidays[0].name is missing" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          "'holidays': [{'date': '2026-01-01', 'name': ''}]"),
      "holidays[0].name must not be empty" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          "'holidays': [{'tanggal': '2026-01-01', 'name': 'Tahun Baru'}]"),
      "holidays[0] has an unknown key \"tanggal\"" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          "'holidays': {'2026-01-01': 'Tahun Baru'}"),
      "holidays must be an array, not object" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          "'holidays': ['2026-01-01']"),
      "holidays[0] must be an object, not string" },

    /* holidays_until */
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          HOLIDAYS ", 'holidays_until': '2027-02-29'"),
      "holidays_until \"2027-02-29\" is not a valid date in the form "
      "YYYY-MM-DD" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          HOLIDAYS ", 'holidays_until': '31-12-2027'"),
      "holidays_until \"31-12-2027\" is not a valid date" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES, CATEGORIES,
          HOLIDAYS ", 'holidays_until': 2027"),
      "holidays_until must be a string, not number" },

    /* what a message quotes is escaped and cut short */

    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [" CATEGORY("kesehatan", "a\\\"b\\\\c") "]",
          HOLIDAYS),
      "categories[0].default_agency \"a\\\"b\\\\c\" is not a known "
      "agency code" },
    { DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
          "'categories': [" CATEGORY("kesehatan",
          "dinas-kesehatan-provinsi-bali-dan-kabupaten-kota") "]",
          HOLIDAYS),
      "\"dinas-kesehatan-provinsi-bali-dan-kabupa\"... is not a known" },

    { NULL, NULL }
};


static void
test_broken_catalogs(void)
{
    char              err[LAPOR_CATALOG_ERR_LEN];
    size_t            count;
    test_pool_t       pool;
    lapor_catalog_t  *cat;
    const broken_t   *b;

    memset(&pool, 0, sizeof(test_pool_t));
    count = 0;

    for (b = broken; b->json; b++) {
        cat = NULL;

        if (parse(&pool, b->json, &cat, err) != -1 || cat != NULL
            || strstr(err, b->want) == NULL)
        {
            unit_failed++;
            fprintf(stderr, "FAIL broken catalog #%zu:\n  got  \"%s\"\n"
                    "  want \"%s\"\n", count, err, b->want);

        } else {
            unit_passed++;
        }

        /* one line, safe to log */
        UNIT_TRUE(strchr(err, '\n') == NULL);

        test_pool_free(&pool);
        count++;
    }

    UNIT_TRUE(count >= 25);
}


static void
test_valid_minimal(void)
{
    char                             err[LAPOR_CATALOG_ERR_LEN];
    test_pool_t                      pool;
    lapor_catalog_t                 *cat;
    const lapor_catalog_agency_t    *agency;
    const lapor_catalog_category_t  *category;

    memset(&pool, 0, sizeof(test_pool_t));

    cat = NULL;
    UNIT_EQ(parse(&pool, VALID, &cat, err), 0);
    UNIT_TRUE(cat != NULL);

    if (cat == NULL) {
        fprintf(stderr, "  %s\n", err);
        return;
    }

    UNIT_EQ(cat->version, 1);
    UNIT_TRUE(str_is(cat->region_code, cat->region_code_len, "bali"));
    UNIT_TRUE(str_is(cat->region_name.id, cat->region_name.id_len,
                     "Provinsi Bali"));
    UNIT_TRUE(str_is(cat->region_name.en, cat->region_name.en_len,
                     "Bali Province"));
    UNIT_TRUE(str_is(cat->time_zone, cat->time_zone_len, "Asia/Makassar"));
    UNIT_EQ(cat->calendar.utc_offset, WITA);
    UNIT_EQ(cat->ntypes, 2);
    UNIT_EQ(cat->nagencies, 2);
    UNIT_EQ(cat->ncategories, 2);
    UNIT_EQ(cat->nholidays, 1);

    /* lookups */

    UNIT_TRUE(lapor_catalog_type(cat, "pengaduan", 9) == &cat->types[0]);
    UNIT_TRUE(lapor_catalog_type(cat, "aspirasi", 8) == &cat->types[1]);
    UNIT_TRUE(lapor_catalog_type(cat, "informasi", 9) == NULL);

    agency = lapor_catalog_agency(cat, "dishub", 6);
    UNIT_TRUE(agency == &cat->agencies[1]);
    UNIT_TRUE(lapor_catalog_agency(cat, "dinke", 5) == NULL);
    UNIT_TRUE(lapor_catalog_agency(cat, "dinkes2", 7) == NULL);
    UNIT_TRUE(lapor_catalog_agency(cat, "DINKES", 6) == NULL);
    UNIT_TRUE(lapor_catalog_agency(cat, "", 0) == NULL);

    /* the length counts, not a NUL */
    UNIT_TRUE(lapor_catalog_agency(cat, "dinkes-x", 6) == &cat->agencies[0]);

    category = lapor_catalog_category(cat, "transportasi", 12);
    UNIT_TRUE(category == &cat->categories[1]);
    UNIT_TRUE(category && category->default_agency == 1);
    UNIT_TRUE(category
              && lapor_catalog_category_agency(cat, category) == agency);
    UNIT_TRUE(lapor_catalog_category(cat, "lainnya", 7) == NULL);

    test_pool_free(&pool);
}


static void
test_sla_defaults_and_overrides(void)
{
    char                             err[LAPOR_CATALOG_ERR_LEN];
    test_pool_t                      pool;
    lapor_catalog_t                 *cat;
    const lapor_catalog_category_t  *c;

    memset(&pool, 0, sizeof(test_pool_t));

    /* no "sla" at all: SP4N LAPOR!'s 3 / 5 / 10 */

    cat = NULL;
    UNIT_EQ(parse(&pool, "{" VERSION ", " REGION ", " ZONE ", " TYPES ", "
                  AGENCIES ", " CATEGORIES "}", &cat, err), 0);

    if (cat) {
        UNIT_EQ(cat->sla.dispatch_days, 3);
        UNIT_EQ(cat->sla.follow_up_days, 5);
        UNIT_EQ(cat->sla.auto_close_days, 10);
        UNIT_EQ(cat->categories[0].sla.dispatch_days, 3);
        UNIT_EQ(cat->categories[0].sla.follow_up_days, 5);
        UNIT_EQ(cat->categories[0].sla.auto_close_days, 10);

        /* no holidays is valid: weekends only */
        UNIT_EQ(cat->nholidays, 0);
        UNIT_EQ(cat->calendar.nholidays, 0);
    }

    test_pool_free(&pool);

    /* a partial "sla", then per-category overrides on top of it */

    cat = NULL;
    UNIT_EQ(parse(&pool, DOC(VERSION, REGION, ZONE,
                  "'sla': {'follow_up_days': 7}", TYPES, AGENCIES,
                  "'categories': [" CATEGORY("kesehatan", "dinkes") ", "
                  "{'code': 'bencana', 'name': {'id': 'Kebencanaan', 'en': "
                  "'Disasters'}, 'default_agency': 'dishub', 'sla': "
                  "{'dispatch_days': 1, 'auto_close_days': 60}}, "
                  "{'code': 'lainnya', 'name': {'id': 'Lainnya', 'en': "
                  "'Other'}, 'default_agency': 'dinkes', 'sla': {}}]",
                  "'holidays': []"), &cat, err), 0);

    if (cat) {
        UNIT_EQ(cat->sla.dispatch_days, 3);
        UNIT_EQ(cat->sla.follow_up_days, 7);
        UNIT_EQ(cat->sla.auto_close_days, 10);

        c = lapor_catalog_category(cat, "kesehatan", 9);
        UNIT_TRUE(c && c->sla.dispatch_days == 3
                  && c->sla.follow_up_days == 7
                  && c->sla.auto_close_days == 10);

        c = lapor_catalog_category(cat, "bencana", 7);
        UNIT_TRUE(c && c->sla.dispatch_days == 1
                  && c->sla.follow_up_days == 7
                  && c->sla.auto_close_days == 60);

        c = lapor_catalog_category(cat, "lainnya", 7);
        UNIT_TRUE(c && c->sla.dispatch_days == 3
                  && c->sla.follow_up_days == 7
                  && c->sla.auto_close_days == 10);

        UNIT_EQ(cat->nholidays, 0);

    } else {
        fprintf(stderr, "  %s\n", err);
    }

    test_pool_free(&pool);
}


static void
test_order_does_not_matter(void)
{
    char              err[LAPOR_CATALOG_ERR_LEN];
    test_pool_t       pool;
    lapor_catalog_t  *cat;

    memset(&pool, 0, sizeof(test_pool_t));

    /* categories before the agencies they name, holidays unsorted */

    cat = NULL;
    UNIT_EQ(parse(&pool, "{'holidays': ["
                  "{'date': '2026-12-25', 'name': 'Kelahiran Yesus Kristus'}, "
                  "{'date': '2026-01-01', 'name': 'Tahun Baru 2026 Masehi'}, "
                  "{'date': '2026-03-19', 'name': 'Hari Suci Nyepi'}], "
                  CATEGORIES ", " AGENCIES ", " TYPES ", " ZONE ", "
                  REGION ", " VERSION "}", &cat, err), 0);

    if (cat == NULL) {
        fprintf(stderr, "  %s\n", err);
        return;
    }

    UNIT_EQ(cat->nholidays, 3);
    UNIT_EQ(cat->holidays[0].day, day(2026, 1, 1));
    UNIT_EQ(cat->holidays[1].day, day(2026, 3, 19));
    UNIT_EQ(cat->holidays[2].day, day(2026, 12, 25));
    UNIT_TRUE(str_is(cat->holidays[0].name, cat->holidays[0].name_len,
                     "Tahun Baru 2026 Masehi"));
    UNIT_TRUE(str_is(cat->holidays[2].name, cat->holidays[2].name_len,
                     "Kelahiran Yesus Kristus"));
    UNIT_EQ(cat->calendar.nholidays, 3);
    UNIT_EQ(cat->calendar.holidays[1], day(2026, 3, 19));

    UNIT_TRUE(!lapor_calendar_is_working_day(&cat->calendar,
                                             day(2026, 3, 19)));
    UNIT_TRUE(lapor_calendar_is_working_day(&cat->calendar,
                                            day(2026, 3, 18)));

    test_pool_free(&pool);
}


static void
test_out_of_memory(void)
{
    char              err[LAPOR_CATALOG_ERR_LEN];
    size_t            n, failures;
    test_pool_t       pool;
    lapor_catalog_t  *cat;

    /* fail each allocation in turn: always a clean "out of memory" */

    memset(&pool, 0, sizeof(test_pool_t));
    failures = 0;

    for (n = 1; n < 10000; n++) {
        pool.fail_after = n;
        cat = NULL;

        if (parse(&pool, VALID, &cat, err) == 0) {
            test_pool_free(&pool);
            break;
        }

        if (cat != NULL || strcmp(err, "out of memory") != 0) {
            failures++;
            fprintf(stderr, "  allocation %zu: \"%s\"\n", n, err);
        }

        test_pool_free(&pool);
    }

    UNIT_EQ(failures, 0);
    UNIT_TRUE(n > 1 && n < 10000);
}


static void
test_example_catalog(void)
{
    char                             err[LAPOR_CATALOG_ERR_LEN];
    char                            *buf;
    size_t                           len, i, bali;
    test_pool_t                      pool;
    lapor_catalog_t                 *cat;
    const lapor_catalog_agency_t    *a;
    const lapor_catalog_category_t  *c;

    buf = read_file(EXAMPLE_CATALOG, &len);
    UNIT_TRUE(buf != NULL);

    if (buf == NULL) {
        fprintf(stderr, "  cannot read %s (run from the repository root)\n",
                EXAMPLE_CATALOG);
        return;
    }

    memset(&pool, 0, sizeof(test_pool_t));

    cat = NULL;
    UNIT_EQ(lapor_catalog_parse((const unsigned char *) buf, len,
                                test_alloc, &pool, &cat, err, sizeof(err)),
            0);

    /* the catalog must not keep pointers into the file's buffer */
    memset(buf, 0, len);
    free(buf);

    if (cat == NULL) {
        fprintf(stderr, "  %s: %s\n", EXAMPLE_CATALOG, err);
        test_pool_free(&pool);
        return;
    }

    UNIT_TRUE(str_is(cat->region_code, cat->region_code_len, "bali"));
    UNIT_EQ(cat->calendar.utc_offset, WITA);
    UNIT_EQ(cat->sla.dispatch_days, 3);
    UNIT_EQ(cat->sla.follow_up_days, 5);
    UNIT_EQ(cat->sla.auto_close_days, 10);

    UNIT_EQ(cat->ntypes, 3);
    UNIT_TRUE(lapor_catalog_type(cat, "pengaduan", 9) != NULL);
    UNIT_TRUE(lapor_catalog_type(cat, "aspirasi", 8) != NULL);
    UNIT_TRUE(lapor_catalog_type(cat, "informasi", 9) != NULL);

    UNIT_TRUE(cat->nagencies >= 12);
    UNIT_TRUE(cat->ncategories >= 13);

    a = lapor_catalog_agency(cat, "dinkes", 6);
    UNIT_TRUE(a != NULL);
    UNIT_TRUE(a && str_is(a->name.id, a->name.id_len,
                          "Dinas Kesehatan Provinsi Bali"));

    /* the categories a citizen picks, each routed to an agency */

    c = lapor_catalog_category(cat, "kesehatan", 9);
    UNIT_TRUE(c && lapor_catalog_category_agency(cat, c) == a);
    UNIT_TRUE(c && c->sla.follow_up_days == 3 && c->sla.dispatch_days == 3
              && c->sla.auto_close_days == 10);

    c = lapor_catalog_category(cat, "korupsi-pungli", 14);
    a = lapor_catalog_agency(cat, "inspektorat", 11);
    UNIT_TRUE(c && a && lapor_catalog_category_agency(cat, c) == a);

    c = lapor_catalog_category(cat, "pajak-kendaraan", 15);
    a = lapor_catalog_agency(cat, "bapenda", 7);
    UNIT_TRUE(c && a && lapor_catalog_category_agency(cat, c) == a);

    UNIT_TRUE(lapor_catalog_category(cat, "infrastruktur", 13) != NULL);
    UNIT_TRUE(lapor_catalog_category(cat, "pendidikan", 10) != NULL);
    UNIT_TRUE(lapor_catalog_category(cat, "kependudukan", 12) != NULL);
    UNIT_TRUE(lapor_catalog_category(cat, "lainnya", 7) != NULL);
    UNIT_TRUE(lapor_catalog_category(cat, "tidak-ada", 9) == NULL);

    for (i = 0; i < cat->ncategories; i++) {
        c = &cat->categories[i];
        UNIT_TRUE(c->default_agency < cat->nagencies);
        UNIT_TRUE(lapor_catalog_category(cat, c->code, c->code_len) == c);
        UNIT_TRUE(c->name.id_len > 0 && c->name.en_len > 0);
    }

    for (i = 0; i < cat->nagencies; i++) {
        a = &cat->agencies[i];
        UNIT_TRUE(lapor_catalog_agency(cat, a->code, a->code_len) == a);
    }

    /* holidays: sorted, 2025 and 2026, Galungan and Kuningan marked */

    UNIT_TRUE(cat->nholidays >= 50);
    bali = 0;

    for (i = 0; i < cat->nholidays; i++) {
        UNIT_TRUE(i == 0 || cat->holidays[i - 1].day < cat->holidays[i].day);
        UNIT_EQ(cat->holiday_days[i], cat->holidays[i].day);

        if (strstr(cat->holidays[i].name, "(libur daerah Bali)")) {
            bali++;
        }
    }

    UNIT_TRUE(bali >= 10);
    UNIT_EQ(cat->holidays[0].day, day(2025, 1, 1));

    UNIT_TRUE(!lapor_calendar_is_working_day(&cat->calendar,
                                             day(2025, 3, 31)));
    UNIT_TRUE(!lapor_calendar_is_working_day(&cat->calendar,
                                             day(2025, 4, 7)));
    UNIT_TRUE(!lapor_calendar_is_working_day(&cat->calendar,
                                             day(2025, 8, 18)));
    UNIT_TRUE(!lapor_calendar_is_working_day(&cat->calendar,
                                             day(2026, 3, 23)));
    UNIT_TRUE(lapor_calendar_is_working_day(&cat->calendar,
                                            day(2026, 3, 25)));

    /* Tuesday before Nyepi and Idul Fitri 2026, N = 3: 25, 26, 27 March */
    UNIT_EQ(lapor_calendar_due(&cat->calendar, wita(2026, 3, 17, 10, 0, 0),
                               3),
            wita(2026, 3, 27, 23, 59, 59));

    /* Monday before Galungan 2026: 16-18 June are off, Friday 19 is not */
    UNIT_EQ(lapor_calendar_due(&cat->calendar, wita(2026, 6, 15, 10, 0, 0),
                               1),
            wita(2026, 6, 19, 23, 59, 59));

    /*
     * Christmas 2026, New Year's Day 2027 and Isra Mikraj on Tuesday
     * 5 January 2027 (provisional: see docs/catalog.md)
     */
    UNIT_EQ(lapor_calendar_due(&cat->calendar, wita(2026, 12, 23, 10, 0, 0),
                               3),
            wita(2026, 12, 30, 23, 59, 59));
    UNIT_EQ(lapor_calendar_due(&cat->calendar, wita(2026, 12, 30, 10, 0, 0),
                               3),
            wita(2027, 1, 6, 23, 59, 59));

    /* 2027 is covered: Galungan, Nyepi and Idul Fitri, Christmas */

    UNIT_TRUE(cat->calendar.bounded);
    UNIT_EQ(cat->calendar.covered_until, day(2027, 12, 31));
    UNIT_TRUE(lapor_calendar_covers(&cat->calendar,
                                    wita(2027, 12, 31, 23, 59, 59)));
    UNIT_TRUE(!lapor_calendar_covers(&cat->calendar,
                                     wita(2028, 1, 1, 0, 0, 0)));

    /* Monday 11 January 2027, N = 3: Galungan 12-14 January are off */
    UNIT_EQ(lapor_calendar_due(&cat->calendar, wita(2027, 1, 11, 10, 0, 0),
                               3),
            wita(2027, 1, 19, 23, 59, 59));

    /* Monday 8 March 2027, N = 3: Nyepi 9, Idul Fitri 10-11 March */
    UNIT_EQ(lapor_calendar_due(&cat->calendar, wita(2027, 3, 8, 10, 0, 0),
                               3),
            wita(2027, 3, 16, 23, 59, 59));

    /* Wednesday 11 August 2027 is Galungan, 17 August independence */
    UNIT_TRUE(!lapor_calendar_is_working_day(&cat->calendar,
                                             day(2027, 8, 11)));
    UNIT_TRUE(!lapor_calendar_is_working_day(&cat->calendar,
                                             day(2027, 8, 17)));
    UNIT_TRUE(lapor_calendar_is_working_day(&cat->calendar,
                                            day(2027, 8, 16)));

    /* Thursday 23 December 2027, N = 3: 24, 27 (25 is a Saturday), 28 */
    UNIT_EQ(lapor_calendar_due(&cat->calendar, wita(2027, 12, 23, 10, 0, 0),
                               3),
            wita(2027, 12, 28, 23, 59, 59));

    test_pool_free(&pool);
}


/*
 * How far the holidays are covered: "holidays_until", else the end of the
 * last holiday's year, else (no holidays) no end.
 */

static void
test_coverage(void)
{
    char              err[LAPOR_CATALOG_ERR_LEN];
    test_pool_t       pool;
    lapor_catalog_t  *cat;

    memset(&pool, 0, sizeof(test_pool_t));

    /* the default: a list that ends on 25 December covers the 31st */

    cat = NULL;
    UNIT_EQ(parse(&pool, DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
                  CATEGORIES, "'holidays': [{'date': '2027-12-25', 'name': "
                  "'Natal'}, {'date': '2027-01-01', 'name': 'Tahun Baru'}]"),
                  &cat, err), 0);

    if (cat) {
        UNIT_TRUE(cat->calendar.bounded);
        UNIT_EQ(cat->calendar.covered_until, day(2027, 12, 31));
        UNIT_TRUE(lapor_calendar_covers(&cat->calendar,
                                        wita(2027, 12, 31, 23, 59, 59)));
        UNIT_TRUE(!lapor_calendar_covers(&cat->calendar,
                                         wita(2028, 1, 1, 0, 0, 0)));
        UNIT_EQ(lapor_calendar_coverage_end(&cat->calendar),
                wita(2028, 1, 1, 0, 0, 0));
    }

    test_pool_free(&pool);

    /* a lone New Year's Day of the next year would claim that year... */

    cat = NULL;
    UNIT_EQ(parse(&pool, DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
                  CATEGORIES, "'holidays': [{'date': '2026-12-25', 'name': "
                  "'Natal'}, {'date': '2027-01-01', 'name': 'Tahun Baru'}]"),
                  &cat, err), 0);
    UNIT_TRUE(cat && cat->calendar.covered_until == day(2027, 12, 31));
    test_pool_free(&pool);

    /* ...which "holidays_until" corrects; the later holiday still counts */

    cat = NULL;
    UNIT_EQ(parse(&pool, DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
                  CATEGORIES, "'holidays_until': '2026-12-31', "
                  "'holidays': [{'date': '2026-12-25', 'name': "
                  "'Natal'}, {'date': '2027-01-01', 'name': 'Tahun Baru'}]"),
                  &cat, err), 0);

    if (cat) {
        UNIT_TRUE(cat->calendar.bounded);
        UNIT_EQ(cat->calendar.covered_until, day(2026, 12, 31));
        UNIT_TRUE(!lapor_calendar_is_working_day(&cat->calendar,
                                                 day(2027, 1, 1)));
        UNIT_TRUE(!lapor_calendar_covers(&cat->calendar,
                                         wita(2027, 1, 1, 0, 0, 0)));
    }

    test_pool_free(&pool);

    /* an explicit end beyond the last holiday, and one without holidays */

    cat = NULL;
    UNIT_EQ(parse(&pool, DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
                  CATEGORIES, "'holidays_until': '2028-06-30', "
                  "'holidays': []"), &cat, err), 0);
    UNIT_TRUE(cat && cat->calendar.bounded
              && cat->calendar.covered_until == day(2028, 6, 30));
    test_pool_free(&pool);

    /* no holidays and no holidays_until: weekends only, on purpose */

    cat = NULL;
    UNIT_EQ(parse(&pool, DOC(VERSION, REGION, ZONE, SLA, TYPES, AGENCIES,
                  CATEGORIES, "'holidays': []"), &cat, err), 0);

    if (cat) {
        UNIT_TRUE(!cat->calendar.bounded);
        UNIT_TRUE(lapor_calendar_covers(&cat->calendar,
                                        wita(2100, 1, 1, 0, 0, 0)));
        UNIT_EQ(lapor_calendar_coverage_end(&cat->calendar),
                LAPOR_CALENDAR_NONE);
    }

    test_pool_free(&pool);

    /* a time zone's own midnight */

    cat = NULL;
    UNIT_EQ(parse(&pool, DOC(VERSION, REGION, "'time_zone': 'Asia/Jayapura'",
                  SLA, TYPES, AGENCIES, CATEGORIES,
                  "'holidays_until': '2027-12-31', 'holidays': []"),
                  &cat, err), 0);
    UNIT_TRUE(cat && lapor_calendar_coverage_end(&cat->calendar)
                     == wita(2028, 1, 1, 0, 0, 0) - 3600);
    test_pool_free(&pool);
}


int
main(void)
{
    test_valid_minimal();
    test_coverage();
    test_sla_defaults_and_overrides();
    test_order_does_not_matter();
    test_broken_catalogs();
    test_out_of_memory();
    test_example_catalog();

    return unit_report("catalog");
}
