
/*
 * The JSON parser (lapor_json.c) as the API uses it for request bodies,
 * whole and fed in two pieces, then the report and action validators
 * (lapor_report.c) on what it accepted, against the example catalog.
 */


#include <stdio.h>

#define LAPOR_FUZZ_WITH_CATALOG
#include "fuzz.h"
#include "lapor_json.h"
#include "lapor_report.h"
#include "lapor_utf8.h"
#include "lapor_workflow.h"


static void
walk(const lapor_json_t *v, unsigned depth)
{
    size_t   i, chars;
    double   d;
    int64_t  n;

    FUZZ_ASSERT(depth <= 8);

    switch (v->type) {

    case LAPOR_JSON_STRING:
        FUZZ_ASSERT(strlen(v->u.string.data) == v->u.string.len);
        FUZZ_ASSERT(lapor_utf8_check((const unsigned char *) v->u.string.data,
                                     v->u.string.len,
                                     LAPOR_UTF8_ALLOW_NEWLINES, &chars)
                    == 0);
        FUZZ_ASSERT(chars == v->u.string.chars);
        break;

    case LAPOR_JSON_NUMBER:
        (void) lapor_json_int64(v, &n);
        (void) lapor_json_double(v, &d);
        break;

    case LAPOR_JSON_ARRAY:
        for (i = 0; i < v->u.array.n; i++) {
            walk(v->u.array.items[i], depth + 1);
        }
        break;

    case LAPOR_JSON_OBJECT:
        for (i = 0; i < v->u.object.n; i++) {
            FUZZ_ASSERT(strlen(v->u.object.members[i].key)
                        == v->u.object.members[i].key_len);
            FUZZ_ASSERT(lapor_json_get(v, v->u.object.members[i].key)
                        != NULL);
            walk(v->u.object.members[i].value, depth + 1);
        }
        break;

    default:
        break;
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                  cut, n;
    unsigned char          *buf;
    lapor_json_t           *doc, *doc2;
    lapor_report_t          rep;
    lapor_json_error_t      err, err2;
    lapor_json_limits_t     limits;
    lapor_json_parser_t    *p;
    lapor_report_action_t   act;
    lapor_report_error_t    errs[LAPOR_REPORT_MAX_ERRORS];
    static const unsigned   fields[] = {
        LAPOR_FIELD_AGENCY, LAPOR_FIELD_REASON, LAPOR_FIELD_MESSAGE,
        LAPOR_FIELD_RATING, 0
    };

    buf = fuzz_copy(data, size);

    /* the limits of a request body (ngx_http_lapor_body.c) */
    memset(&limits, 0, sizeof(limits));
    limits.alloc = fuzz_alloc;
    limits.max_depth = 8;
    limits.max_string = 16384;
    limits.max_elements = 256;
    limits.max_number = 32;
    limits.string_flags = LAPOR_UTF8_ALLOW_NEWLINES;

    doc = lapor_json_parse(buf, size, &limits, &err);

    if (doc == NULL) {
        FUZZ_ASSERT(err.kind != LAPOR_JSON_ERR_NONE);
        FUZZ_ASSERT(err.offset <= size);
        FUZZ_ASSERT(memchr(err.message, '\0', sizeof(err.message)) != NULL);
    }

    /* the same bytes in two pieces, as a body arrives: the same answer */
    cut = size ? data[0] % size : 0;

    p = lapor_json_parser_create(&limits, &err2);
    FUZZ_ASSERT(p != NULL);

    if (lapor_json_feed(p, buf, cut) == 0
        && lapor_json_feed(p, buf + cut, size - cut) == 0)
    {
        doc2 = lapor_json_finish(p);

    } else {
        doc2 = NULL;
        (void) lapor_json_finish(p);
    }

    FUZZ_ASSERT((doc == NULL) == (doc2 == NULL));

    if (doc) {
        walk(doc, 0);

        n = lapor_report_validate(doc, fuzz_catalog(), 1767225600, &rep,
                                  errs, LAPOR_REPORT_MAX_ERRORS);
        FUZZ_ASSERT(n <= LAPOR_REPORT_MAX_ERRORS);

        for (cut = 0; cut < sizeof(fields) / sizeof(fields[0]); cut++) {
            n = lapor_report_action_validate(doc, fuzz_catalog(),
                                             fields[cut], &act, errs,
                                             LAPOR_REPORT_MAX_ERRORS);
            FUZZ_ASSERT(n <= LAPOR_REPORT_MAX_ERRORS);
        }
    }

    fuzz_free_all();

    return 0;
}
