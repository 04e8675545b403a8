
/*
 * Catalog files (lapor_catalog.c), read by nginx -t and at start: any
 * bytes are refused with a message or give a catalog whose lookups work.
 */


#include <stdio.h>

#include "fuzz.h"
#include "lapor_catalog.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t            i;
    unsigned char    *buf;
    lapor_catalog_t  *cat;
    char              err[LAPOR_CATALOG_ERR_LEN];

    buf = fuzz_copy(data, size);
    cat = NULL;

    if (lapor_catalog_parse(buf, size, fuzz_alloc, NULL, &cat, err,
                            sizeof(err))
        != 0)
    {
        FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
        FUZZ_ASSERT(err[0] != '\0');
        goto done;
    }

    FUZZ_ASSERT(cat != NULL);

    for (i = 0; i < cat->ntypes; i++) {
        FUZZ_ASSERT(lapor_catalog_type(cat, cat->types[i].code,
                                       cat->types[i].code_len)
                    == &cat->types[i]);
    }

    for (i = 0; i < cat->nagencies; i++) {
        FUZZ_ASSERT(lapor_catalog_agency(cat, cat->agencies[i].code,
                                         cat->agencies[i].code_len)
                    == &cat->agencies[i]);
    }

    for (i = 0; i < cat->ncategories; i++) {
        FUZZ_ASSERT(lapor_catalog_category(cat, cat->categories[i].code,
                                           cat->categories[i].code_len)
                    == &cat->categories[i]);
        FUZZ_ASSERT(lapor_catalog_category_agency(cat, &cat->categories[i])
                    != NULL);
    }

    for (i = 1; i < cat->nholidays; i++) {
        FUZZ_ASSERT(cat->holidays[i - 1].day <= cat->holidays[i].day);
    }

done:

    fuzz_free_all();

    return 0;
}
