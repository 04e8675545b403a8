
/*
 * The catalog: report types, agencies (instansi), categories, SLA working
 * days, holidays and the time zone, read from the JSON file named by the
 * lapor_catalog directive.  The format is documented in docs/catalog.md.
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 * The caller reads the file at configuration time and passes its bytes;
 * parsing validates everything, so that a broken catalog fails "nginx -t"
 * with a message naming the problem, e.g.
 *
 *   categories[3].default_agency "dinkes-x" is not a known agency code
 *
 * and a catalog that parsed is safe to use without further checks.
 */


#ifndef _LAPOR_CATALOG_H_INCLUDED_
#define _LAPOR_CATALOG_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "lapor_calendar.h"


#define LAPOR_CATALOG_VERSION        1

#define LAPOR_CATALOG_CODE_MAX       32      /* [a-z0-9-]{1,32} */
#define LAPOR_CATALOG_NAME_MAX       256     /* bytes of UTF-8 */

/* limits that keep a typo (or a generated file gone wrong) in bounds */
#define LAPOR_CATALOG_MAX_TYPES      3
#define LAPOR_CATALOG_MAX_AGENCIES   1000
#define LAPOR_CATALOG_MAX_CATEGORIES 1000
#define LAPOR_CATALOG_MAX_HOLIDAYS   2000

#define LAPOR_CATALOG_SLA_MIN        1
#define LAPOR_CATALOG_SLA_MAX        60

/* SP4N LAPOR!'s published clocks, used when the catalog omits them */
#define LAPOR_CATALOG_DISPATCH_DAYS    3
#define LAPOR_CATALOG_FOLLOW_UP_DAYS   5
#define LAPOR_CATALOG_AUTO_CLOSE_DAYS  10

/* a size for the err buffer that fits every message */
#define LAPOR_CATALOG_ERR_LEN        512


/*
 * All strings below are NUL-terminated UTF-8 and also carry their length;
 * they point into memory allocated through the caller's allocator.
 */

typedef struct {
    const char                *id;      /* Indonesian */
    size_t                     id_len;
    const char                *en;      /* English */
    size_t                     en_len;
} lapor_catalog_name_t;


/* working days; every value is within 1..60 */

typedef struct {
    unsigned                   dispatch_days;    /* submitted -> dispatch */
    unsigned                   follow_up_days;   /* dispatched -> follow-up */
    unsigned                   auto_close_days;  /* followed up -> closed */
} lapor_catalog_sla_t;


/* a report type: "pengaduan", "aspirasi" or "informasi" */

typedef struct {
    const char                *code;
    size_t                     code_len;
    lapor_catalog_name_t       name;
} lapor_catalog_type_t;


/* an agency (instansi / OPD) that reports are dispatched to */

typedef struct {
    const char                *code;
    size_t                     code_len;
    lapor_catalog_name_t       name;
} lapor_catalog_agency_t;


typedef struct {
    const char                *code;
    size_t                     code_len;
    lapor_catalog_name_t       name;
    size_t                     default_agency;   /* index in agencies[] */
    lapor_catalog_sla_t        sla;              /* overrides applied */
} lapor_catalog_category_t;


typedef struct {
    int32_t                    day;     /* local days since 1970-01-01 */
    const char                *name;
    size_t                     name_len;
} lapor_catalog_holiday_t;


/* a code and its index, sorted by code for binary search */

typedef struct {
    const char                *code;
    size_t                     code_len;
    size_t                     index;
} lapor_catalog_key_t;


typedef struct {
    unsigned                   version;

    const char                *region_code;
    size_t                     region_code_len;
    lapor_catalog_name_t       region_name;

    const char                *time_zone;
    size_t                     time_zone_len;

    lapor_catalog_sla_t        sla;              /* the catalog's defaults */

    /* in file order, the order in which portals should list them */

    lapor_catalog_type_t      *types;
    size_t                     ntypes;
    lapor_catalog_agency_t    *agencies;
    size_t                     nagencies;
    lapor_catalog_category_t  *categories;
    size_t                     ncategories;

    /* sorted by date, whatever the file's order */

    lapor_catalog_holiday_t   *holidays;
    size_t                     nholidays;

    /*
     * the holidays' days, the zone's offset and how far the holidays are
     * complete ("holidays_until", or its default), ready for deadlines
     */

    int32_t                   *holiday_days;
    lapor_calendar_t           calendar;

    /* lookup indexes */

    lapor_catalog_key_t       *type_keys;
    lapor_catalog_key_t       *agency_keys;
    lapor_catalog_key_t       *category_keys;
} lapor_catalog_t;


typedef void *(*lapor_catalog_alloc_pt)(void *ctx, size_t size);


/*
 * Parses and validates a catalog.
 *
 * Every allocation, the parsed JSON tree included, goes through
 * alloc(ctx, size), and nothing is freed: nginx passes its configuration
 * pool, which lives exactly as long as the catalog.  alloc returns NULL on
 * failure, and memory aligned for pointers and doubles (ngx_palloc(), not
 * ngx_pnalloc()).  The input buffer is not referenced after the call.
 *
 * Returns 0 and sets *out, or -1 with a one-line English message in err
 * (at most errlen bytes including the NUL; LAPOR_CATALOG_ERR_LEN always
 * suffices).  Values quoted in a message are cut short and have control
 * characters escaped, so it is safe to log.
 */
int lapor_catalog_parse(const unsigned char *buf, size_t len,
    lapor_catalog_alloc_pt alloc, void *ctx, lapor_catalog_t **out,
    char *err, size_t errlen);

/* lookups by code; NULL when there is no such code */
const lapor_catalog_type_t *lapor_catalog_type(const lapor_catalog_t *cat,
    const char *code, size_t len);
const lapor_catalog_agency_t *lapor_catalog_agency(
    const lapor_catalog_t *cat, const char *code, size_t len);
const lapor_catalog_category_t *lapor_catalog_category(
    const lapor_catalog_t *cat, const char *code, size_t len);

/* the agency a category's reports go to when the reporter names none */
const lapor_catalog_agency_t *lapor_catalog_category_agency(
    const lapor_catalog_t *cat, const lapor_catalog_category_t *category);


#endif /* _LAPOR_CATALOG_H_INCLUDED_ */
