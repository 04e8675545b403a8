
/*
 * The identity key file (lapor_key_parse), base64url text such as tracking
 * tokens (lapor_base64url_decode), and sealed identities as Redis holds
 * them (lapor_open on arbitrary stored bytes: refused unless genuine);
 * what is sealed opens again to the same bytes, and only in its place.
 */


#include <stdio.h>

#include "fuzz.h"
#include "lapor_crypto.h"


#define SEAL_OVERHEAD  (12 + 16)


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long                  n;
    char                 *enc;
    const char           *err;
    unsigned char        *buf, *out, *sealed, *back;
    unsigned char         key[LAPOR_KEY_LEN], parsed[LAPOR_KEY_LEN];
    static const char     aad[] = "lapor:{fuzz}:report:1";

    buf = fuzz_copy(data, size);

    err = NULL;
    if (lapor_key_parse(buf, size, parsed, &err) != 0) {
        FUZZ_ASSERT(err != NULL);
    }

    out = fuzz_alloc(NULL, size * 3 / 4 + 1);
    FUZZ_ASSERT(out != NULL);
    n = lapor_base64url_decode((const char *) buf, size, out);

    if (n >= 0) {
        /* strict: encoding again gives the same text */
        FUZZ_ASSERT((size_t) n <= size * 3 / 4);
        enc = fuzz_alloc(NULL, size + 4);
        FUZZ_ASSERT(enc != NULL);
        FUZZ_ASSERT(lapor_base64url_encode(out, n, enc) == size);
        FUZZ_ASSERT(memcmp(enc, buf, size) == 0);
    }

    memset(key, 0x5a, sizeof(key));

    /* stored bytes that were never sealed with this key do not open */
    back = fuzz_alloc(NULL, size + 1);
    FUZZ_ASSERT(back != NULL);
    FUZZ_ASSERT(lapor_open(key, (const unsigned char *) aad,
                           sizeof(aad) - 1, buf, size, back)
                != 0);

    /* what is sealed opens, with the same associated data only */
    sealed = fuzz_alloc(NULL, size + SEAL_OVERHEAD);
    FUZZ_ASSERT(sealed != NULL);
    FUZZ_ASSERT(lapor_seal(key, (const unsigned char *) aad, sizeof(aad) - 1,
                           buf, size, sealed)
                == 0);
    FUZZ_ASSERT(lapor_open(key, (const unsigned char *) aad, sizeof(aad) - 1,
                           sealed, size + SEAL_OVERHEAD, back)
                == 0);
    FUZZ_ASSERT(memcmp(back, buf, size) == 0);
    FUZZ_ASSERT(lapor_open(key, (const unsigned char *) aad, sizeof(aad) - 2,
                           sealed, size + SEAL_OVERHEAD, back)
                != 0);

    fuzz_free_all();

    return 0;
}
