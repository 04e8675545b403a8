
/*
 * Open311 form decoding (lapor_form.c) with the limits of a POST
 * requests body, the mapping to a report (lapor_open311.c) and its
 * validation (lapor_report.c); the Open311 date-time and number readers
 * on the raw bytes.
 */


#include <stdio.h>

#define LAPOR_FUZZ_WITH_CATALOG
#include "fuzz.h"
#include "lapor_form.h"
#include "lapor_open311.h"
#include "lapor_report.h"
#include "lapor_utf8.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                    n;
    size_t                 i, chars, count;
    int64_t                t;
    lapor_json_t          *doc;
    lapor_form_t           form;
    unsigned char         *buf;
    lapor_report_t         rep;
    lapor_report_str_t     media_url;
    lapor_form_error_t     ferr;
    lapor_report_error_t   errs[LAPOR_REPORT_MAX_ERRORS];

    buf = fuzz_copy(data, size);

    (void) lapor_open311_datetime((const char *) buf, size, &t);
    (void) lapor_open311_number((const char *) buf, size);
    (void) lapor_open311_status((const char *) buf, size);

    /* as ngx_http_lapor_open311.c: 64 pairs, keys of 64 bytes at most */
    if (lapor_form_parse(buf, size, 64, 64, fuzz_alloc, NULL, &form, &ferr)
        != 0)
    {
        FUZZ_ASSERT(ferr.kind != LAPOR_FORM_ERR_NONE);
        FUZZ_ASSERT(ferr.offset <= size);
        goto done;
    }

    FUZZ_ASSERT(form.n <= 64);

    for (i = 0; i < form.n; i++) {
        FUZZ_ASSERT(form.pairs[i].key_len <= 64);
        FUZZ_ASSERT(strlen(form.pairs[i].key) == form.pairs[i].key_len);
        FUZZ_ASSERT(strlen(form.pairs[i].value) == form.pairs[i].value_len);
        FUZZ_ASSERT(lapor_utf8_check((const unsigned char *)
                                     form.pairs[i].value,
                                     form.pairs[i].value_len,
                                     LAPOR_UTF8_ALLOW_NEWLINES, &chars)
                    == 0);
        FUZZ_ASSERT(chars == form.pairs[i].value_chars);
        FUZZ_ASSERT(lapor_form_get(&form, form.pairs[i].key, &count)
                    != NULL);
        FUZZ_ASSERT(count >= 1);
    }

    doc = NULL;
    n = lapor_open311_request(&form, fuzz_alloc, NULL, &doc, &media_url,
                              errs, LAPOR_REPORT_MAX_ERRORS);

    FUZZ_ASSERT(n >= 0 && n <= LAPOR_REPORT_MAX_ERRORS);
    FUZZ_ASSERT(doc != NULL);

    count = lapor_report_validate(doc, fuzz_catalog(), 1767225600, &rep,
                                  errs + n, LAPOR_REPORT_MAX_ERRORS - n);
    FUZZ_ASSERT(count <= (size_t) (LAPOR_REPORT_MAX_ERRORS - n));

done:

    fuzz_free_all();

    return 0;
}
