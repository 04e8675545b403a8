
/*
 * The catalog: parsing and validation of the lapor_catalog file, and
 * lookups by code.
 *
 * Validation runs once, when nginx loads its configuration, so it favours
 * precise messages over speed: every message names the offending field by
 * its JSON path ("categories[3].default_agency") and quotes the value.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lapor_catalog.h"
#include "lapor_json.h"


/* room for a JSON path such as "categories[999].sla.auto_close_days" */
#define LAPOR_CATALOG_PATH_LEN    64

/* how much of a value an error message quotes */
#define LAPOR_CATALOG_QUOTE_MAX   40
#define LAPOR_CATALOG_QUOTE_LEN   (LAPOR_CATALOG_QUOTE_MAX * 4 + 8)


typedef struct {
    lapor_catalog_alloc_pt   alloc;
    void                    *ctx;
    char                    *err;
    size_t                   errlen;
} lapor_catalog_ctx_t;


/* a holiday's day and its position in the file, for sorting */

typedef struct {
    int32_t                  day;
    size_t                   index;
} lapor_catalog_day_t;


static const char  *lapor_catalog_root_keys[] = {
    "version", "region", "time_zone", "sla", "types", "agencies",
    "categories", "holidays", "holidays_until", NULL
};

static const char  *lapor_catalog_region_keys[] = {
    "code", "name", NULL
};

static const char  *lapor_catalog_name_keys[] = {
    "id", "en", NULL
};

static const char  *lapor_catalog_sla_keys[] = {
    "dispatch_days", "follow_up_days", "auto_close_days", NULL
};

static const char  *lapor_catalog_entry_keys[] = {
    "code", "name", NULL
};

static const char  *lapor_catalog_category_keys[] = {
    "code", "name", "default_agency", "sla", NULL
};

static const char  *lapor_catalog_holiday_keys[] = {
    "date", "name", NULL
};

/* the three report types of SP4N LAPOR!, and no others */

static const char  *lapor_catalog_type_codes[] = {
    "pengaduan", "aspirasi", "informasi", NULL
};


static int lapor_catalog_error(lapor_catalog_ctx_t *cx, const char *fmt,
    ...)
#if defined(__GNUC__)
    __attribute__ ((format (printf, 2, 3)))
#endif
    ;
static void *lapor_catalog_alloc(lapor_catalog_ctx_t *cx, size_t size);
static void lapor_catalog_quote(char *dst, const char *s, size_t len);
static void lapor_catalog_join(char *dst, const char *path, const char *key);
static int lapor_catalog_object(lapor_catalog_ctx_t *cx, const lapor_json_t *v,
    const char *path);
static int lapor_catalog_array(lapor_catalog_ctx_t *cx, const lapor_json_t *v,
    const char *path, size_t max);
static int lapor_catalog_check_keys(lapor_catalog_ctx_t *cx,
    const lapor_json_t *obj, const char *path, const char **allowed);
static int lapor_catalog_member(lapor_catalog_ctx_t *cx,
    const lapor_json_t *obj, const char *path, const char *key,
    lapor_json_type_e type, int required, lapor_json_t **value);
static int lapor_catalog_string(lapor_catalog_ctx_t *cx,
    const lapor_json_t *obj, const char *path, const char *key,
    const char **s, size_t *len);
static int lapor_catalog_code(lapor_catalog_ctx_t *cx,
    const lapor_json_t *obj, const char *path, const char **s, size_t *len);
static int lapor_catalog_name(lapor_catalog_ctx_t *cx,
    const lapor_json_t *obj, const char *path, lapor_catalog_name_t *name);
static int lapor_catalog_text(lapor_catalog_ctx_t *cx,
    const lapor_json_t *obj, const char *path, const char *key,
    const char **s, size_t *len);
static int lapor_catalog_sla(lapor_catalog_ctx_t *cx, const lapor_json_t *obj,
    const char *path, lapor_catalog_sla_t *sla);
static int lapor_catalog_version(lapor_catalog_ctx_t *cx,
    const lapor_json_t *root, lapor_catalog_t *cat);
static int lapor_catalog_region(lapor_catalog_ctx_t *cx,
    const lapor_json_t *root, lapor_catalog_t *cat);
static int lapor_catalog_time_zone(lapor_catalog_ctx_t *cx,
    const lapor_json_t *root, lapor_catalog_t *cat);
static int lapor_catalog_types(lapor_catalog_ctx_t *cx,
    const lapor_json_t *root, lapor_catalog_t *cat);
static int lapor_catalog_agencies(lapor_catalog_ctx_t *cx,
    const lapor_json_t *root, lapor_catalog_t *cat);
static int lapor_catalog_categories(lapor_catalog_ctx_t *cx,
    const lapor_json_t *root, lapor_catalog_t *cat);
static int lapor_catalog_holidays(lapor_catalog_ctx_t *cx,
    const lapor_json_t *root, lapor_catalog_t *cat);
static int lapor_catalog_coverage(lapor_catalog_ctx_t *cx,
    const lapor_json_t *root, lapor_catalog_t *cat);
static lapor_catalog_key_t *lapor_catalog_index(lapor_catalog_ctx_t *cx,
    const char *list, const lapor_catalog_key_t *keys, size_t n);
static int lapor_catalog_key_cmp(const void *a, const void *b);
static int lapor_catalog_day_cmp(const void *a, const void *b);
static const lapor_catalog_key_t *lapor_catalog_find(
    const lapor_catalog_key_t *keys, size_t n, const char *code, size_t len);


int
lapor_catalog_parse(const unsigned char *buf, size_t len,
    lapor_catalog_alloc_pt alloc, void *ctx, lapor_catalog_t **out,
    char *err, size_t errlen)
{
    lapor_json_t         *root;
    lapor_catalog_t      *cat;
    lapor_json_error_t    jerr;
    lapor_catalog_ctx_t   cx;
    lapor_json_limits_t   limits;

    cx.alloc = alloc;
    cx.ctx = ctx;
    cx.err = err;
    cx.errlen = errlen;

    if (errlen > 0) {
        err[0] = '\0';
    }

    /*
     * Generous bounds: the catalog is trusted configuration, the limits
     * only stop a runaway file; the checks below give the precise
     * messages for names that are too long and lists that are too big.
     */

    memset(&limits, 0, sizeof(lapor_json_limits_t));
    limits.alloc = alloc;
    limits.ctx = ctx;
    limits.max_depth = 8;
    limits.max_string = 4096;
    limits.max_elements = 100000;
    limits.max_number = 32;

    /* strict UTF-8 without any control character, \n and \t included */
    limits.string_flags = 0;

    memset(&jerr, 0, sizeof(lapor_json_error_t));

    root = lapor_json_parse(buf, len, &limits, &jerr);

    if (root == NULL) {
        if (jerr.kind == LAPOR_JSON_ERR_NOMEM) {
            return lapor_catalog_error(&cx, "out of memory");
        }

        return lapor_catalog_error(&cx, "invalid JSON at byte %zu: %s",
                                   jerr.offset, jerr.message);
    }

    if (root->type != LAPOR_JSON_OBJECT) {
        return lapor_catalog_error(&cx,
                                   "the catalog must be a JSON object, not %s",
                                   lapor_json_type_name(root->type));
    }

    cat = lapor_catalog_alloc(&cx, sizeof(lapor_catalog_t));
    if (cat == NULL) {
        return -1;
    }

    memset(cat, 0, sizeof(lapor_catalog_t));

    if (lapor_catalog_check_keys(&cx, root, "", lapor_catalog_root_keys)
        != 0)
    {
        return -1;
    }

    /*
     * A fixed order, whatever the file's: categories refer to agencies, so
     * agencies come first, and the first error reported is the same for
     * every ordering of the keys.
     */

    cat->sla.dispatch_days = LAPOR_CATALOG_DISPATCH_DAYS;
    cat->sla.follow_up_days = LAPOR_CATALOG_FOLLOW_UP_DAYS;
    cat->sla.auto_close_days = LAPOR_CATALOG_AUTO_CLOSE_DAYS;

    if (lapor_catalog_version(&cx, root, cat) != 0
        || lapor_catalog_region(&cx, root, cat) != 0
        || lapor_catalog_time_zone(&cx, root, cat) != 0
        || lapor_catalog_sla(&cx, root, "", &cat->sla) != 0
        || lapor_catalog_types(&cx, root, cat) != 0
        || lapor_catalog_agencies(&cx, root, cat) != 0
        || lapor_catalog_categories(&cx, root, cat) != 0
        || lapor_catalog_holidays(&cx, root, cat) != 0
        || lapor_catalog_coverage(&cx, root, cat) != 0)
    {
        return -1;
    }

    cat->calendar.holidays = cat->holiday_days;
    cat->calendar.nholidays = cat->nholidays;

    *out = cat;

    return 0;
}


const lapor_catalog_type_t *
lapor_catalog_type(const lapor_catalog_t *cat, const char *code, size_t len)
{
    const lapor_catalog_key_t  *key;

    key = lapor_catalog_find(cat->type_keys, cat->ntypes, code, len);

    return key ? &cat->types[key->index] : NULL;
}


const lapor_catalog_agency_t *
lapor_catalog_agency(const lapor_catalog_t *cat, const char *code,
    size_t len)
{
    const lapor_catalog_key_t  *key;

    key = lapor_catalog_find(cat->agency_keys, cat->nagencies, code, len);

    return key ? &cat->agencies[key->index] : NULL;
}


const lapor_catalog_category_t *
lapor_catalog_category(const lapor_catalog_t *cat, const char *code,
    size_t len)
{
    const lapor_catalog_key_t  *key;

    key = lapor_catalog_find(cat->category_keys, cat->ncategories, code, len);

    return key ? &cat->categories[key->index] : NULL;
}


const lapor_catalog_agency_t *
lapor_catalog_category_agency(const lapor_catalog_t *cat,
    const lapor_catalog_category_t *category)
{
    return &cat->agencies[category->default_agency];
}


static int
lapor_catalog_version(lapor_catalog_ctx_t *cx, const lapor_json_t *root,
    lapor_catalog_t *cat)
{
    int64_t        version;
    lapor_json_t  *v;

    if (lapor_catalog_member(cx, root, "", "version", LAPOR_JSON_NUMBER, 1,
                             &v) != 0)
    {
        return -1;
    }

    /* a newer format must not be half-understood by an older module */

    if (lapor_json_int64(v, &version) != 0
        || version != LAPOR_CATALOG_VERSION)
    {
        return lapor_catalog_error(cx, "version must be %d, not %s",
                                   LAPOR_CATALOG_VERSION, v->u.number.text);
    }

    cat->version = LAPOR_CATALOG_VERSION;

    return 0;
}


static int
lapor_catalog_region(lapor_catalog_ctx_t *cx, const lapor_json_t *root,
    lapor_catalog_t *cat)
{
    lapor_json_t  *region;

    if (lapor_catalog_member(cx, root, "", "region", LAPOR_JSON_OBJECT, 1,
                             &region) != 0
        || lapor_catalog_check_keys(cx, region, "region",
                                    lapor_catalog_region_keys) != 0
        || lapor_catalog_code(cx, region, "region", &cat->region_code,
                              &cat->region_code_len) != 0
        || lapor_catalog_name(cx, region, "region", &cat->region_name) != 0)
    {
        return -1;
    }

    return 0;
}


static int
lapor_catalog_time_zone(lapor_catalog_ctx_t *cx, const lapor_json_t *root,
    lapor_catalog_t *cat)
{
    char  q[LAPOR_CATALOG_QUOTE_LEN];

    if (lapor_catalog_string(cx, root, "", "time_zone", &cat->time_zone,
                             &cat->time_zone_len) != 0)
    {
        return -1;
    }

    if (lapor_calendar_tz_offset(cat->time_zone, cat->time_zone_len,
                                 &cat->calendar.utc_offset) != 0)
    {
        lapor_catalog_quote(q, cat->time_zone, cat->time_zone_len);

        return lapor_catalog_error(cx,
                   "time_zone %s is not supported: use Asia/Jakarta, "
                   "Asia/Pontianak, Asia/Makassar, Asia/Jayapura, UTC "
                   "or an offset such as +08:00", q);
    }

    return 0;
}


static int
lapor_catalog_types(lapor_catalog_ctx_t *cx, const lapor_json_t *root,
    lapor_catalog_t *cat)
{
    char                   path[LAPOR_CATALOG_PATH_LEN];
    char                   q[LAPOR_CATALOG_QUOTE_LEN];
    size_t                 i, n;
    const char           **known;
    lapor_json_t          *list, *v;
    lapor_catalog_key_t   *keys;
    lapor_catalog_type_t  *type;

    if (lapor_catalog_member(cx, root, "", "types", LAPOR_JSON_ARRAY, 1,
                             &list) != 0
        || lapor_catalog_array(cx, list, "types", LAPOR_CATALOG_MAX_TYPES)
           != 0)
    {
        return -1;
    }

    n = list->u.array.n;

    cat->types = lapor_catalog_alloc(cx, n * sizeof(lapor_catalog_type_t));
    keys = lapor_catalog_alloc(cx, n * sizeof(lapor_catalog_key_t));
    if (cat->types == NULL || keys == NULL) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        v = list->u.array.items[i];
        type = &cat->types[i];

        snprintf(path, sizeof(path), "types[%zu]", i);

        if (lapor_catalog_object(cx, v, path) != 0
            || lapor_catalog_check_keys(cx, v, path,
                                        lapor_catalog_entry_keys) != 0
            || lapor_catalog_code(cx, v, path, &type->code, &type->code_len)
               != 0)
        {
            return -1;
        }

        /*
         * The workflow, the statistics and Open311 know exactly these
         * three; a catalog can offer fewer, and rename them, but not add.
         */

        for (known = lapor_catalog_type_codes; *known; known++) {
            if (strlen(*known) == type->code_len
                && memcmp(*known, type->code, type->code_len) == 0)
            {
                break;
            }
        }

        if (*known == NULL) {
            lapor_catalog_quote(q, type->code, type->code_len);

            return lapor_catalog_error(cx,
                       "%s.code %s is not a report type: use pengaduan, "
                       "aspirasi or informasi", path, q);
        }

        if (lapor_catalog_name(cx, v, path, &type->name) != 0) {
            return -1;
        }

        keys[i].code = type->code;
        keys[i].code_len = type->code_len;
        keys[i].index = i;
    }

    cat->type_keys = lapor_catalog_index(cx, "types", keys, n);
    cat->ntypes = n;

    return cat->type_keys ? 0 : -1;
}


static int
lapor_catalog_agencies(lapor_catalog_ctx_t *cx, const lapor_json_t *root,
    lapor_catalog_t *cat)
{
    char                     path[LAPOR_CATALOG_PATH_LEN];
    size_t                   i, n;
    lapor_json_t            *list, *v;
    lapor_catalog_key_t     *keys;
    lapor_catalog_agency_t  *agency;

    if (lapor_catalog_member(cx, root, "", "agencies", LAPOR_JSON_ARRAY, 1,
                             &list) != 0
        || lapor_catalog_array(cx, list, "agencies",
                               LAPOR_CATALOG_MAX_AGENCIES) != 0)
    {
        return -1;
    }

    n = list->u.array.n;

    cat->agencies = lapor_catalog_alloc(cx,
                                        n * sizeof(lapor_catalog_agency_t));
    keys = lapor_catalog_alloc(cx, n * sizeof(lapor_catalog_key_t));
    if (cat->agencies == NULL || keys == NULL) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        v = list->u.array.items[i];
        agency = &cat->agencies[i];

        snprintf(path, sizeof(path), "agencies[%zu]", i);

        if (lapor_catalog_object(cx, v, path) != 0
            || lapor_catalog_check_keys(cx, v, path,
                                        lapor_catalog_entry_keys) != 0
            || lapor_catalog_code(cx, v, path, &agency->code,
                                  &agency->code_len) != 0
            || lapor_catalog_name(cx, v, path, &agency->name) != 0)
        {
            return -1;
        }

        keys[i].code = agency->code;
        keys[i].code_len = agency->code_len;
        keys[i].index = i;
    }

    cat->agency_keys = lapor_catalog_index(cx, "agencies", keys, n);
    cat->nagencies = n;

    return cat->agency_keys ? 0 : -1;
}


static int
lapor_catalog_categories(lapor_catalog_ctx_t *cx, const lapor_json_t *root,
    lapor_catalog_t *cat)
{
    char                        path[LAPOR_CATALOG_PATH_LEN];
    char                        q[LAPOR_CATALOG_QUOTE_LEN];
    size_t                      i, n, len;
    const char                 *code;
    lapor_json_t               *list, *v;
    lapor_catalog_key_t        *keys;
    const lapor_catalog_key_t  *agency;
    lapor_catalog_category_t   *category;

    if (lapor_catalog_member(cx, root, "", "categories", LAPOR_JSON_ARRAY, 1,
                             &list) != 0
        || lapor_catalog_array(cx, list, "categories",
                               LAPOR_CATALOG_MAX_CATEGORIES) != 0)
    {
        return -1;
    }

    n = list->u.array.n;

    cat->categories = lapor_catalog_alloc(cx,
                                     n * sizeof(lapor_catalog_category_t));
    keys = lapor_catalog_alloc(cx, n * sizeof(lapor_catalog_key_t));
    if (cat->categories == NULL || keys == NULL) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        v = list->u.array.items[i];
        category = &cat->categories[i];

        snprintf(path, sizeof(path), "categories[%zu]", i);

        if (lapor_catalog_object(cx, v, path) != 0
            || lapor_catalog_check_keys(cx, v, path,
                                        lapor_catalog_category_keys) != 0
            || lapor_catalog_code(cx, v, path, &category->code,
                                  &category->code_len) != 0
            || lapor_catalog_name(cx, v, path, &category->name) != 0
            || lapor_catalog_string(cx, v, path, "default_agency", &code,
                                    &len) != 0)
        {
            return -1;
        }

        agency = lapor_catalog_find(cat->agency_keys, cat->nagencies, code,
                                    len);
        if (agency == NULL) {
            lapor_catalog_quote(q, code, len);

            return lapor_catalog_error(cx,
                       "%s.default_agency %s is not a known agency code",
                       path, q);
        }

        category->default_agency = agency->index;

        /* the catalog's defaults, then this category's overrides */

        category->sla = cat->sla;

        if (lapor_catalog_sla(cx, v, path, &category->sla) != 0) {
            return -1;
        }

        keys[i].code = category->code;
        keys[i].code_len = category->code_len;
        keys[i].index = i;
    }

    cat->category_keys = lapor_catalog_index(cx, "categories", keys, n);
    cat->ncategories = n;

    return cat->category_keys ? 0 : -1;
}


static int
lapor_catalog_holidays(lapor_catalog_ctx_t *cx, const lapor_json_t *root,
    lapor_catalog_t *cat)
{
    int                       y;
    char                      path[LAPOR_CATALOG_PATH_LEN];
    char                      q[LAPOR_CATALOG_QUOTE_LEN];
    size_t                    i, n, len, dup, first;
    int32_t                   day;
    unsigned                  m, d;
    const char               *date;
    lapor_json_t             *list, *v;
    lapor_catalog_day_t      *days;
    lapor_catalog_holiday_t  *in;

    if (lapor_catalog_member(cx, root, "", "holidays", LAPOR_JSON_ARRAY, 0,
                             &list) != 0)
    {
        return -1;
    }

    if (list == NULL) {
        /* no holidays: only weekends are days off, which is valid */
        return 0;
    }

    n = list->u.array.n;

    if (n > LAPOR_CATALOG_MAX_HOLIDAYS) {
        return lapor_catalog_error(cx, "holidays has %zu entries, more than "
                                   "the %d allowed", n,
                                   LAPOR_CATALOG_MAX_HOLIDAYS);
    }

    if (n == 0) {
        return 0;
    }

    in = lapor_catalog_alloc(cx, n * sizeof(lapor_catalog_holiday_t));
    days = lapor_catalog_alloc(cx, n * sizeof(lapor_catalog_day_t));
    cat->holidays = lapor_catalog_alloc(cx,
                                        n * sizeof(lapor_catalog_holiday_t));
    cat->holiday_days = lapor_catalog_alloc(cx, n * sizeof(int32_t));

    if (in == NULL || days == NULL || cat->holidays == NULL
        || cat->holiday_days == NULL)
    {
        return -1;
    }

    for (i = 0; i < n; i++) {
        v = list->u.array.items[i];

        snprintf(path, sizeof(path), "holidays[%zu]", i);

        if (lapor_catalog_object(cx, v, path) != 0
            || lapor_catalog_check_keys(cx, v, path,
                                        lapor_catalog_holiday_keys) != 0
            || lapor_catalog_string(cx, v, path, "date", &date, &len) != 0)
        {
            return -1;
        }

        if (lapor_calendar_parse_date(date, len, &day) != 0) {
            lapor_catalog_quote(q, date, len);

            return lapor_catalog_error(cx, "%s.date %s is not a valid date "
                                       "in the form YYYY-MM-DD", path, q);
        }

        if (lapor_catalog_text(cx, v, path, "name", &in[i].name,
                               &in[i].name_len) != 0)
        {
            return -1;
        }

        in[i].day = day;
        days[i].day = day;
        days[i].index = i;
    }

    /* the file may list them in any order; deadlines need them sorted */

    qsort(days, n, sizeof(lapor_catalog_day_t), lapor_catalog_day_cmp);

    /*
     * Of all the repeated dates, report the one that comes first in the
     * file, as a reader going down the list would find it.
     */

    dup = n;
    first = 0;

    for (i = 1; i < n; i++) {
        if (days[i].day != days[i - 1].day) {
            continue;
        }

        if (dup == n || days[i].index < days[dup].index) {
            dup = i;
        }
    }

    if (dup < n) {
        for (first = dup; first > 0; first--) {
            if (days[first - 1].day != days[dup].day) {
                break;
            }
        }

        lapor_calendar_civil_from_days(days[dup].day, &y, &m, &d);

        return lapor_catalog_error(cx,
                   "holidays[%zu].date \"%04d-%02u-%02u\" is a duplicate "
                   "of holidays[%zu].date", days[dup].index, y, m, d,
                   days[first].index);
    }

    for (i = 0; i < n; i++) {
        cat->holidays[i] = in[days[i].index];
        cat->holiday_days[i] = days[i].day;
    }

    cat->nholidays = n;

    return 0;
}


/*
 * How far the holidays are complete: "holidays_until" when given, else the
 * 31st of December of the last holiday's year (a year's list is taken to be
 * the whole year's), else no end at all (no holidays: weekends only, on
 * purpose).  Holidays listed after holidays_until are valid and still count:
 * a date known early is better used than ignored.
 */

static int
lapor_catalog_coverage(lapor_catalog_ctx_t *cx, const lapor_json_t *root,
    lapor_catalog_t *cat)
{
    int            y;
    char           q[LAPOR_CATALOG_QUOTE_LEN];
    int32_t        day;
    unsigned       m, d;
    lapor_json_t  *v;

    if (lapor_catalog_member(cx, root, "", "holidays_until",
                             LAPOR_JSON_STRING, 0, &v)
        != 0)
    {
        return -1;
    }

    if (v != NULL) {
        if (lapor_calendar_parse_date(v->u.string.data, v->u.string.len,
                                      &day)
            != 0)
        {
            lapor_catalog_quote(q, v->u.string.data, v->u.string.len);

            return lapor_catalog_error(cx, "holidays_until %s is not a valid "
                                       "date in the form YYYY-MM-DD", q);
        }

        cat->calendar.covered_until = day;
        cat->calendar.bounded = 1;

        return 0;
    }

    if (cat->nholidays == 0) {
        cat->calendar.bounded = 0;
        return 0;
    }

    lapor_calendar_civil_from_days(cat->holidays[cat->nholidays - 1].day,
                                   &y, &m, &d);

    cat->calendar.covered_until =
        (int32_t) lapor_calendar_days_from_civil(y, 12, 31);
    cat->calendar.bounded = 1;

    return 0;
}


/*
 * An SLA object: "sla" in the root (the defaults) or in a category (its
 * overrides).  Only the members present change *sla.
 */

static int
lapor_catalog_sla(lapor_catalog_ctx_t *cx, const lapor_json_t *obj,
    const char *path, lapor_catalog_sla_t *sla)
{
    char           sla_path[LAPOR_CATALOG_PATH_LEN];
    char           day_path[LAPOR_CATALOG_PATH_LEN];
    size_t         i;
    int64_t        days;
    unsigned      *field[3];
    lapor_json_t  *v, *d;

    if (lapor_catalog_member(cx, obj, path, "sla", LAPOR_JSON_OBJECT, 0, &v)
        != 0)
    {
        return -1;
    }

    if (v == NULL) {
        return 0;
    }

    lapor_catalog_join(sla_path, path, "sla");

    if (lapor_catalog_check_keys(cx, v, sla_path, lapor_catalog_sla_keys)
        != 0)
    {
        return -1;
    }

    field[0] = &sla->dispatch_days;
    field[1] = &sla->follow_up_days;
    field[2] = &sla->auto_close_days;

    for (i = 0; i < 3; i++) {
        if (lapor_catalog_member(cx, v, sla_path, lapor_catalog_sla_keys[i],
                                 LAPOR_JSON_NUMBER, 0, &d) != 0)
        {
            return -1;
        }

        if (d == NULL) {
            continue;
        }

        /*
         * 60 working days is the longest resolution time in the SP4N
         * service standards; anything longer is surely a typo.
         */

        if (lapor_json_int64(d, &days) != 0
            || days < LAPOR_CATALOG_SLA_MIN || days > LAPOR_CATALOG_SLA_MAX)
        {
            lapor_catalog_join(day_path, sla_path, lapor_catalog_sla_keys[i]);

            return lapor_catalog_error(cx,
                       "%s must be a whole number of working days from "
                       "%d to %d, not %s", day_path, LAPOR_CATALOG_SLA_MIN,
                       LAPOR_CATALOG_SLA_MAX, d->u.number.text);
        }

        *field[i] = (unsigned) days;
    }

    return 0;
}


/* {"id": "...", "en": "..."} under obj's "name" */

static int
lapor_catalog_name(lapor_catalog_ctx_t *cx, const lapor_json_t *obj,
    const char *path, lapor_catalog_name_t *name)
{
    char           name_path[LAPOR_CATALOG_PATH_LEN];
    lapor_json_t  *v;

    if (lapor_catalog_member(cx, obj, path, "name", LAPOR_JSON_OBJECT, 1, &v)
        != 0)
    {
        return -1;
    }

    lapor_catalog_join(name_path, path, "name");

    if (lapor_catalog_check_keys(cx, v, name_path, lapor_catalog_name_keys)
        != 0
        || lapor_catalog_text(cx, v, name_path, "id", &name->id,
                              &name->id_len) != 0
        || lapor_catalog_text(cx, v, name_path, "en", &name->en,
                              &name->en_len) != 0)
    {
        return -1;
    }

    return 0;
}


/*
 * A display text: a non-empty string of bounded length.  Control
 * characters, newlines included, never get this far: string_flags 0 makes
 * the JSON parser reject them, so every name fits on one line of a form,
 * a log or a CSV export.
 */

static int
lapor_catalog_text(lapor_catalog_ctx_t *cx, const lapor_json_t *obj,
    const char *path, const char *key, const char **s, size_t *len)
{
    char  text_path[LAPOR_CATALOG_PATH_LEN];

    if (lapor_catalog_string(cx, obj, path, key, s, len) != 0) {
        return -1;
    }

    lapor_catalog_join(text_path, path, key);

    if (*len == 0) {
        return lapor_catalog_error(cx, "%s must not be empty", text_path);
    }

    if (*len > LAPOR_CATALOG_NAME_MAX) {
        return lapor_catalog_error(cx, "%s is %zu bytes long, more than "
                                   "the %d allowed", text_path, *len,
                                   LAPOR_CATALOG_NAME_MAX);
    }

    return 0;
}


/* obj's "code": [a-z0-9-]{1,32} */

static int
lapor_catalog_code(lapor_catalog_ctx_t *cx, const lapor_json_t *obj,
    const char *path, const char **s, size_t *len)
{
    char    q[LAPOR_CATALOG_QUOTE_LEN];
    size_t  i;

    if (lapor_catalog_string(cx, obj, path, "code", s, len) != 0) {
        return -1;
    }

    /*
     * Codes appear in URLs, Redis keys, metrics labels and Open311
     * service codes, so they are kept to characters that need no escaping
     * anywhere.
     */

    for (i = 0; i < *len; i++) {
        if (!(((*s)[i] >= 'a' && (*s)[i] <= 'z')
              || ((*s)[i] >= '0' && (*s)[i] <= '9')
              || (*s)[i] == '-'))
        {
            break;
        }
    }

    if (*len == 0 || *len > LAPOR_CATALOG_CODE_MAX || i < *len) {
        lapor_catalog_quote(q, *s, *len);

        return lapor_catalog_error(cx, "%s.code %s must be 1 to %d "
                                   "characters from a-z, 0-9 and \"-\"",
                                   path, q, LAPOR_CATALOG_CODE_MAX);
    }

    return 0;
}


static int
lapor_catalog_string(lapor_catalog_ctx_t *cx, const lapor_json_t *obj,
    const char *path, const char *key, const char **s, size_t *len)
{
    lapor_json_t  *v;

    if (lapor_catalog_member(cx, obj, path, key, LAPOR_JSON_STRING, 1, &v)
        != 0)
    {
        return -1;
    }

    *s = v->u.string.data;
    *len = v->u.string.len;

    return 0;
}


/*
 * obj's member "key", which must have the given type.  *value is NULL when
 * the member is absent and not required.
 */

static int
lapor_catalog_member(lapor_catalog_ctx_t *cx, const lapor_json_t *obj,
    const char *path, const char *key, lapor_json_type_e type, int required,
    lapor_json_t **value)
{
    char           member_path[LAPOR_CATALOG_PATH_LEN];
    lapor_json_t  *v;

    *value = NULL;

    v = lapor_json_get(obj, key);

    if (v == NULL) {
        if (!required) {
            return 0;
        }

        lapor_catalog_join(member_path, path, key);

        return lapor_catalog_error(cx, "%s is missing", member_path);
    }

    if (v->type != type) {
        lapor_catalog_join(member_path, path, key);

        return lapor_catalog_error(cx, "%s must be %s %s, not %s",
                                   member_path,
                                   type == LAPOR_JSON_OBJECT
                                   || type == LAPOR_JSON_ARRAY ? "an" : "a",
                                   lapor_json_type_name(type),
                                   lapor_json_type_name(v->type));
    }

    *value = v;

    return 0;
}


static int
lapor_catalog_object(lapor_catalog_ctx_t *cx, const lapor_json_t *v,
    const char *path)
{
    if (v->type != LAPOR_JSON_OBJECT) {
        return lapor_catalog_error(cx, "%s must be an object, not %s", path,
                                   lapor_json_type_name(v->type));
    }

    return 0;
}


static int
lapor_catalog_array(lapor_catalog_ctx_t *cx, const lapor_json_t *v,
    const char *path, size_t max)
{
    if (v->u.array.n == 0) {
        return lapor_catalog_error(cx, "%s must not be empty", path);
    }

    if (v->u.array.n > max) {
        return lapor_catalog_error(cx, "%s has %zu entries, more than the "
                                   "%zu allowed", path, v->u.array.n, max);
    }

    return 0;
}


/*
 * Every key of obj must be one of "allowed": a misspelt optional key
 * ("defualt_agency", "follow_up_day") would otherwise be ignored and its
 * default used without anyone noticing.  Duplicate keys are already
 * rejected by the JSON parser.
 */

static int
lapor_catalog_check_keys(lapor_catalog_ctx_t *cx, const lapor_json_t *obj,
    const char *path, const char **allowed)
{
    char                        q[LAPOR_CATALOG_QUOTE_LEN];
    size_t                      i;
    const char                **a;
    const lapor_json_member_t  *m;

    for (i = 0; i < obj->u.object.n; i++) {
        m = &obj->u.object.members[i];

        for (a = allowed; *a; a++) {
            if (strlen(*a) == m->key_len
                && memcmp(*a, m->key, m->key_len) == 0)
            {
                break;
            }
        }

        if (*a == NULL) {
            lapor_catalog_quote(q, m->key, m->key_len);

            if (*path == '\0') {
                return lapor_catalog_error(cx, "unknown key %s", q);
            }

            return lapor_catalog_error(cx, "%s has an unknown key %s", path,
                                       q);
        }
    }

    return 0;
}


/*
 * Sorts a list's keys by code for lookups, and rejects repeated codes,
 * naming the first repetition in file order.
 */

static lapor_catalog_key_t *
lapor_catalog_index(lapor_catalog_ctx_t *cx, const char *list,
    const lapor_catalog_key_t *keys, size_t n)
{
    char                  q[LAPOR_CATALOG_QUOTE_LEN];
    size_t                i, dup, first;
    lapor_catalog_key_t  *sorted;

    sorted = lapor_catalog_alloc(cx, n * sizeof(lapor_catalog_key_t));
    if (sorted == NULL) {
        return NULL;
    }

    memcpy(sorted, keys, n * sizeof(lapor_catalog_key_t));
    qsort(sorted, n, sizeof(lapor_catalog_key_t), lapor_catalog_key_cmp);

    dup = n;

    for (i = 1; i < n; i++) {
        if (sorted[i].code_len != sorted[i - 1].code_len
            || memcmp(sorted[i].code, sorted[i - 1].code, sorted[i].code_len)
               != 0)
        {
            continue;
        }

        if (dup == n || sorted[i].index < sorted[dup].index) {
            dup = i;
        }
    }

    if (dup == n) {
        return sorted;
    }

    /* equal codes sort by index: the run's first is the original */

    for (first = dup; first > 0; first--) {
        if (sorted[first - 1].code_len != sorted[dup].code_len
            || memcmp(sorted[first - 1].code, sorted[dup].code,
                      sorted[dup].code_len) != 0)
        {
            break;
        }
    }

    lapor_catalog_quote(q, sorted[dup].code, sorted[dup].code_len);

    lapor_catalog_error(cx, "%s[%zu].code %s is a duplicate of %s[%zu].code",
                        list, sorted[dup].index, q, list,
                        sorted[first].index);

    return NULL;
}


static const lapor_catalog_key_t *
lapor_catalog_find(const lapor_catalog_key_t *keys, size_t n,
    const char *code, size_t len)
{
    int                   rc;
    size_t                lo, hi, mid;
    lapor_catalog_key_t   key;

    key.code = code;
    key.code_len = len;

    lo = 0;
    hi = n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        /* the probe borrows the index, so that only the codes compare */

        key.index = keys[mid].index;
        rc = lapor_catalog_key_cmp(&key, &keys[mid]);

        if (rc == 0) {
            return &keys[mid];
        }

        if (rc < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return NULL;
}


static int
lapor_catalog_key_cmp(const void *a, const void *b)
{
    int                         rc;
    const lapor_catalog_key_t  *ka, *kb;

    ka = a;
    kb = b;

    rc = memcmp(ka->code, kb->code,
                ka->code_len < kb->code_len ? ka->code_len : kb->code_len);

    if (rc != 0) {
        return rc;
    }

    if (ka->code_len != kb->code_len) {
        return ka->code_len < kb->code_len ? -1 : 1;
    }

    if (ka->index != kb->index) {
        return ka->index < kb->index ? -1 : 1;
    }

    return 0;
}


static int
lapor_catalog_day_cmp(const void *a, const void *b)
{
    const lapor_catalog_day_t  *da, *db;

    da = a;
    db = b;

    if (da->day != db->day) {
        return da->day < db->day ? -1 : 1;
    }

    if (da->index != db->index) {
        return da->index < db->index ? -1 : 1;
    }

    return 0;
}


static void *
lapor_catalog_alloc(lapor_catalog_ctx_t *cx, size_t size)
{
    void  *p;

    /* a zero-sized list still gets a distinct, valid pointer */

    p = cx->alloc(cx->ctx, size ? size : 1);

    if (p == NULL) {
        lapor_catalog_error(cx, "out of memory");
    }

    return p;
}


/* "path.key", or "key" at the root; cut short rather than overflow */

static void
lapor_catalog_join(char *dst, const char *path, const char *key)
{
    size_t  n, len;

    n = 0;

    for (len = strlen(path); n < len && n < LAPOR_CATALOG_PATH_LEN - 1; n++) {
        dst[n] = path[n];
    }

    if (len && n < LAPOR_CATALOG_PATH_LEN - 1) {
        dst[n++] = '.';
    }

    for (len = 0; key[len] && n < LAPOR_CATALOG_PATH_LEN - 1; len++) {
        dst[n++] = key[len];
    }

    dst[n] = '\0';
}


/*
 * A value quoted for a message: at most LAPOR_CATALOG_QUOTE_MAX bytes,
 * cut at a UTF-8 character boundary, with quotes, backslashes and control
 * characters escaped, so that a hostile or broken file cannot forge lines
 * in nginx's error log.
 */

static void
lapor_catalog_quote(char *dst, const char *s, size_t len)
{
    size_t         i, n, cut;
    unsigned char  c;

    cut = len;

    if (len > LAPOR_CATALOG_QUOTE_MAX) {
        cut = LAPOR_CATALOG_QUOTE_MAX;

        while (cut > 0 && ((unsigned char) s[cut] & 0xc0) == 0x80) {
            cut--;
        }
    }

    n = 0;
    dst[n++] = '"';

    for (i = 0; i < cut; i++) {
        c = (unsigned char) s[i];

        if (c < 0x20 || c == 0x7f) {
            n += (size_t) snprintf(dst + n, 5, "\\x%02x", c);

        } else if (c == '"' || c == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char) c;

        } else {
            dst[n++] = (char) c;
        }
    }

    dst[n++] = '"';

    if (cut < len) {
        memcpy(dst + n, "...", 3);
        n += 3;
    }

    dst[n] = '\0';
}


static int
lapor_catalog_error(lapor_catalog_ctx_t *cx, const char *fmt, ...)
{
    va_list  args;

    if (cx->errlen > 0) {
        va_start(args, fmt);
        vsnprintf(cx->err, cx->errlen, fmt, args);
        va_end(args);
    }

    return -1;
}
