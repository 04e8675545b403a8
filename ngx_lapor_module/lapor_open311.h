
/*
 * Open311 GeoReport v2 onto LAPOR! reports, the parts that need no nginx:
 * a POST requests form turned into the JSON document of POST reports (so
 * that one validator judges both), Open311 names for the validator's field
 * paths, the W3C datetimes of GET requests, and the states as open/closed.
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 */


#ifndef _LAPOR_OPEN311_H_INCLUDED_
#define _LAPOR_OPEN311_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "lapor_form.h"
#include "lapor_json.h"
#include "lapor_report.h"


#define LAPOR_OPEN311_MEDIA_URL_MAX   2000    /* characters */
#define LAPOR_OPEN311_ATTRIBUTE_MAX   16      /* attribute[...] pairs */


/*
 * The report document of a POST requests form:
 *
 *   service_code                 -> category
 *   attribute[type]              -> type (default "pengaduan")
 *   attribute[title]             -> title (default: from the description)
 *   description                  -> body
 *   address_string or address_id -> location.text
 *   lat, long                    -> location.lat, location.lon
 *   attribute[anonymous]         -> anonymous ("true"/"false", "1"/"0")
 *   attribute[confidential]      -> confidential
 *   first_name + last_name       -> reporter.name
 *   email, else phone            -> reporter.contact
 *
 * "attribute[code][]" counts as "attribute[code]" (every attribute takes
 * one value).  api_key, jurisdiction_id, device_id, account_id and
 * unknown arguments are not part of the report.  Errors that only the
 * form can have are described in errs (field names as Open311 spells
 * them): a repeated argument, no location at all, lat without long, a
 * coordinate that is no number, an attribute value that is no boolean, a
 * media_url that is no http(s) URL.  *media_url is set when one was given.
 * Returns the number of errors (0: *doc is ready for
 * lapor_report_validate()); -1 when memory ran out.
 */
int lapor_open311_request(const lapor_form_t *form,
    void *(*alloc)(void *ctx, size_t size), void *ctx, lapor_json_t **doc,
    lapor_report_str_t *media_url, lapor_report_error_t *errs,
    size_t maxerrs);

/* the Open311 name of a field path of lapor_report_validate()'s errors */
const char *lapor_open311_field(const char *path);

/*
 * A W3C datetime with its time zone, "2026-12-01T08:00:00+08:00",
 * "...:00Z", seconds optional, a fraction of a second allowed and ignored;
 * *t is Unix time.  0, or -1.
 */
int lapor_open311_datetime(const char *s, size_t len, int64_t *t);

/* "open" or "closed" for a LAPOR! state name; NULL for an unknown one */
const char *lapor_open311_status(const char *state, size_t len);

/* is s a number as JSON writes it (so that it may be written as one)? */
int lapor_open311_number(const char *s, size_t len);


#endif /* _LAPOR_OPEN311_H_INCLUDED_ */
