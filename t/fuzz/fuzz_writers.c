
/*
 * The JSON, XML and Open311 document writers (lapor_jsonw.c,
 * lapor_xmlw.c, lapor_docw.c) fed arbitrary stored bytes, as the views
 * write what Redis holds: a JSON string is written only when the bytes
 * are well-formed UTF-8 and then parses back to the same bytes; XML text
 * never carries markup or control characters out.
 */


#include <stdio.h>

#include "fuzz.h"
#include "lapor_docw.h"
#include "lapor_json.h"
#include "lapor_jsonw.h"
#include "lapor_utf8.h"
#include "lapor_xmlw.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                   rc, valid;
    size_t                i, len, chars;
    lapor_json_t         *doc;
    lapor_docw_t          d;
    lapor_xmlw_t          x;
    unsigned char        *buf, *esc;
    lapor_jsonw_t         w;
    const unsigned char  *out;
    lapor_json_error_t    err;
    lapor_json_limits_t   limits;

    buf = fuzz_copy(data, size);

    valid = lapor_utf8_check(buf, size, LAPOR_UTF8_ALLOW_NEWLINES
                                        | LAPOR_UTF8_ALLOW_CONTROLS, &chars)
            == 0;

    /* JSON: ["<bytes>"] */
    FUZZ_ASSERT(lapor_jsonw_init(&w, fuzz_alloc, NULL, 16) == 0);
    FUZZ_ASSERT(lapor_jsonw_array_open(&w) == 0);
    rc = lapor_jsonw_string(&w, buf, size);

    if (rc == 0) {
        FUZZ_ASSERT(lapor_jsonw_array_close(&w) == 0);
        out = lapor_jsonw_result(&w, &len);
        FUZZ_ASSERT(out != NULL);

        memset(&limits, 0, sizeof(limits));
        limits.alloc = fuzz_alloc;
        limits.max_depth = 2;
        limits.max_string = size + 1;
        limits.max_elements = 2;
        limits.max_number = 32;
        limits.string_flags = LAPOR_UTF8_ALLOW_NEWLINES
                              | LAPOR_UTF8_ALLOW_CONTROLS;

        doc = lapor_json_parse(out, len, &limits, &err);

        /* NUL is written escaped but a decoded string may not hold it */
        if (memchr(buf, '\0', size) == NULL) {
            FUZZ_ASSERT(doc != NULL);
            FUZZ_ASSERT(doc->type == LAPOR_JSON_ARRAY && doc->u.array.n == 1);
            FUZZ_ASSERT(doc->u.array.items[0]->u.string.len == size);
            FUZZ_ASSERT(memcmp(doc->u.array.items[0]->u.string.data, buf,
                               size) == 0);
        }

    } else {
        FUZZ_ASSERT(rc == LAPOR_JSONW_INVALID);
        FUZZ_ASSERT(!valid);
    }

    /* XML: <a><b>bytes</b></a> */
    FUZZ_ASSERT(lapor_xmlw_init(&x, fuzz_alloc, NULL, 16) == 0);
    FUZZ_ASSERT(lapor_xmlw_open(&x, "a") == 0);
    (void) lapor_xmlw_element(&x, "b", buf, size);
    (void) lapor_xmlw_text(&x, buf, size);
    FUZZ_ASSERT(lapor_xmlw_close(&x, "a") == 0);
    out = lapor_xmlw_result(&x, &len);
    FUZZ_ASSERT(out != NULL);

    esc = fuzz_alloc(NULL, lapor_xml_escaped_max(size) + 1);
    FUZZ_ASSERT(esc != NULL);
    len = lapor_xml_escape(buf, size, esc);
    FUZZ_ASSERT(len <= lapor_xml_escaped_max(size));

    for (i = 0; i < len; i++) {
        FUZZ_ASSERT(esc[i] != '<' && esc[i] != '>' && esc[i] != '"');
        FUZZ_ASSERT(esc[i] >= 0x20 || esc[i] == '\t' || esc[i] == '\n');
    }

    /* well-formed UTF-8 (DEL and C1 controls are allowed in XML 1.0) */
    FUZZ_ASSERT(lapor_utf8_check(esc, len, LAPOR_UTF8_ALLOW_CONTROLS, &chars)
                == 0);

    /* the Open311 writer in both formats */
    for (i = 0; i < 2; i++) {
        FUZZ_ASSERT(lapor_docw_init(&d, (unsigned) i, fuzz_alloc, NULL, 16)
                    == 0);
        (void) lapor_docw_list_open(&d, "service_requests");
        (void) lapor_docw_item_open(&d, "request");
        (void) lapor_docw_string(&d, "description", buf, size);
        (void) lapor_docw_value(&d, "status", buf, size);
        (void) lapor_docw_item_close(&d, "request");
        (void) lapor_docw_list_close(&d, "service_requests");
        (void) lapor_docw_result(&d, &len);
    }

    fuzz_free_all();

    return 0;
}
