
/*
 * RESP replies as the module reads them: hiredis's reader with the
 * module's reply object functions (ngx_http_lapor_replies.c, built here
 * against stand-ins for the two nginx headers it includes), the bytes fed
 * in pieces whose sizes come from the input.  Every reply is walked (as
 * the callbacks read them) and freed through the reader's table; a
 * protocol error must leave nothing allocated behind.
 */


#include <stdio.h>

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include "fuzz.h"
#include "ngx_http_lapor_replies.h"


static size_t
walk(const redisReply *r, unsigned depth)
{
    size_t  i, n;

    FUZZ_ASSERT(r != NULL);
    FUZZ_ASSERT(depth < 1000);

    n = 1;

    switch (r->type) {

    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        FUZZ_ASSERT(r->str != NULL && r->str[r->len] == '\0');
        break;

    case REDIS_REPLY_ARRAY:
        FUZZ_ASSERT((r->elements == 0) == (r->element == NULL));

        for (i = 0; i < r->elements; i++) {
            n += walk(r->element[i], depth + 1);
        }
        break;

    case REDIS_REPLY_INTEGER:
    case REDIS_REPLY_NIL:
        break;

    default:
        FUZZ_ASSERT(0);
    }

    return n;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int            rc;
    void          *reply;
    size_t         off, piece;
    redisReader   *reader;

    reader = redisReaderCreateWithFunctions(&ngx_http_lapor_reply_functions);
    FUZZ_ASSERT(reader != NULL);

    /* the first byte chooses the piece size: 1..16 bytes, or all at once */
    piece = size ? (data[0] & 0x0f) + 1 : 0;

    if (size && (data[0] & 0x10)) {
        piece = size;
    }

    for (off = 0; off < size; off += piece) {
        if (piece > size - off) {
            piece = size - off;
        }

        if (redisReaderFeed(reader, (const char *) data + off, piece)
            != REDIS_OK)
        {
            break;
        }

        for ( ;; ) {
            reply = NULL;
            rc = redisReaderGetReply(reader, &reply);

            if (rc != REDIS_OK) {
                FUZZ_ASSERT(reply == NULL);
                FUZZ_ASSERT(reader->err != 0);
                goto done;
            }

            if (reply == NULL) {
                break;
            }

            (void) walk(reply, 0);
            reader->fn->freeObject(reply);
        }
    }

done:

    redisReaderFree(reader);

    return 0;
}
