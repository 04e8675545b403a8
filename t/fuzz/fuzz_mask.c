
/*
 * Masking of personal data (lapor_mask.c) over arbitrary text: the output
 * has the input's length, keeps every non-ASCII byte and every byte that
 * it does not replace by the mask character, stays valid UTF-8 when the
 * input was, and is a fixed point (masking again changes nothing).
 */


#include <stdio.h>

#include "fuzz.h"
#include "lapor_mask.h"
#include "lapor_utf8.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i, n, chars;
    unsigned char  *buf, *out, *again;

    buf = fuzz_copy(data, size);
    out = fuzz_alloc(NULL, size + 1);
    again = fuzz_alloc(NULL, size + 1);
    FUZZ_ASSERT(out != NULL && again != NULL);

    n = lapor_mask(buf, size, out);

    for (i = 0; i < size; i++) {
        FUZZ_ASSERT(out[i] == buf[i] || out[i] == LAPOR_MASK_CHAR);
        FUZZ_ASSERT(buf[i] < 0x80 ? 1 : out[i] == buf[i]);
    }

    (void) n;

    if (lapor_utf8_check(buf, size, LAPOR_UTF8_ALLOW_NEWLINES
                                    | LAPOR_UTF8_ALLOW_CONTROLS, &chars)
        == 0)
    {
        FUZZ_ASSERT(lapor_utf8_check(out, size, LAPOR_UTF8_ALLOW_NEWLINES
                                                | LAPOR_UTF8_ALLOW_CONTROLS,
                                     &chars)
                    == 0);
    }

    (void) lapor_mask(out, size, again);
    FUZZ_ASSERT(memcmp(out, again, size) == 0);

    fuzz_free_all();

    return 0;
}
