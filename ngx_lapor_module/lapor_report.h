
/*
 * Validation of a submitted report (SPEC section 4, "POST reports") against
 * the catalog.  Plain C over the lapor_json tree, unit tested directly; the
 * nginx side turns the error codes into messages in the reader's language.
 */


#ifndef _LAPOR_REPORT_H_INCLUDED_
#define _LAPOR_REPORT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "lapor_json.h"
#include "lapor_catalog.h"


/* lengths in characters (code points), not bytes */
#define LAPOR_REPORT_TITLE_MIN        10
#define LAPOR_REPORT_TITLE_MAX        150
#define LAPOR_REPORT_BODY_MIN         20
#define LAPOR_REPORT_BODY_MAX         4000
#define LAPOR_REPORT_PLACE_MAX        200
#define LAPOR_REPORT_NAME_MIN         2
#define LAPOR_REPORT_NAME_MAX         100
#define LAPOR_REPORT_CONTACT_MIN      5
#define LAPOR_REPORT_CONTACT_MAX      100

#define LAPOR_REPORT_FIELD_LEN        96
#define LAPOR_REPORT_MAX_ERRORS       32


typedef enum {
    LAPOR_REPORT_E_NOT_OBJECT = 1,  /* the document is not an object */
    LAPOR_REPORT_E_REQUIRED,        /* missing */
    LAPOR_REPORT_E_UNKNOWN,         /* not a field of a report */
    LAPOR_REPORT_E_TYPE,            /* arg: the expected JSON type */
    LAPOR_REPORT_E_TOO_SHORT,       /* arg: minimum characters */
    LAPOR_REPORT_E_TOO_LONG,        /* arg: maximum characters */
    LAPOR_REPORT_E_ONE_LINE,        /* line breaks or tabs in a one-line
                                       field */
    LAPOR_REPORT_E_BLANK,           /* only white space */
    LAPOR_REPORT_E_ENUM,            /* arg: the allowed values */
    LAPOR_REPORT_E_UNKNOWN_TYPE,    /* not a type of this catalog */
    LAPOR_REPORT_E_UNKNOWN_CATEGORY,
    LAPOR_REPORT_E_UNKNOWN_AGENCY,
    LAPOR_REPORT_E_RANGE,           /* arg: the range */
    LAPOR_REPORT_E_DATE,            /* not a real YYYY-MM-DD date */
    LAPOR_REPORT_E_FUTURE,          /* a date after today */
    LAPOR_REPORT_E_REPORTER,        /* reporter required: not anonymous */
    LAPOR_REPORT_E_CONTACT,         /* neither e-mail nor phone number */
    LAPOR_REPORT_E_COORDINATES,     /* lat without lon or the reverse */
    LAPOR_REPORT_E_REPEATED,        /* an Open311 argument given twice */
    LAPOR_REPORT_E_LOCATION,        /* Open311: no location at all */
    LAPOR_REPORT_E_URL,             /* Open311: media_url not http(s) */
    LAPOR_REPORT_E_EMPTY            /* an optional text given as "" */
} lapor_report_error_e;


typedef struct {
    char                             field[LAPOR_REPORT_FIELD_LEN];
    lapor_report_error_e             code;
    const char                      *arg;    /* static text or NULL */
} lapor_report_error_t;


typedef struct {
    const char                      *data;   /* NUL-terminated UTF-8 */
    size_t                           len;
} lapor_report_str_t;


/* a valid report, pointing into the JSON tree and the catalog */
typedef struct {
    const lapor_catalog_type_t      *type;
    const lapor_catalog_category_t  *category;
    const lapor_catalog_agency_t    *agency;     /* given or default */
    lapor_report_str_t               title;
    lapor_report_str_t               body;

    lapor_report_str_t               place;      /* location.text */
    lapor_report_str_t               lat;        /* as written */
    lapor_report_str_t               lon;
    lapor_report_str_t               occurred_on;

    unsigned                         anonymous:1;
    unsigned                         confidential:1;
    unsigned                         has_reporter:1;

    lapor_report_str_t               reporter_name;
    lapor_report_str_t               reporter_contact;
    const char                      *channel;    /* static */
    lapor_report_str_t               media_url;  /* Open311 only */
} lapor_report_t;


/*
 * Checks every field and collects every problem: a client learns all of
 * its mistakes from one answer.  now is the current Unix time, for
 * "occurred_on" in the catalog's time zone.  Returns the number of errors
 * found, of which the first min(n, maxerrs) are described in errs; 0 means
 * the report is valid and *out is filled.
 */
size_t lapor_report_validate(const lapor_json_t *doc,
    const lapor_catalog_t *cat, int64_t now, lapor_report_t *out,
    lapor_report_error_t *errs, size_t maxerrs);

/* the body of an action (POST reports/{id}/<action>) */
typedef struct {
    const lapor_catalog_agency_t    *agency;     /* dispatch */
    lapor_report_str_t               text;       /* reason or message */
    int                              rating;     /* feedback: 1..5 */
    const char                      *resolved;   /* "yes", "partial", "no" */
} lapor_report_action_t;


#define LAPOR_REPORT_REASON_MIN       5
#define LAPOR_REPORT_REASON_MAX       1000
#define LAPOR_REPORT_MESSAGE_MAX      4000
#define LAPOR_REPORT_COMMENT_MAX      2000

/*
 * Checks an action's body: fields is the action's LAPOR_FIELD_* mask from
 * lapor_workflow.h.  Returns the number of errors as lapor_report_validate()
 * does.
 */
size_t lapor_report_action_validate(const lapor_json_t *doc,
    const lapor_catalog_t *cat, unsigned fields, lapor_report_action_t *out,
    lapor_report_error_t *errs, size_t maxerrs);

/* the channels a report may come through */
extern const char  *lapor_report_channels[];


#endif /* _LAPOR_REPORT_H_INCLUDED_ */
