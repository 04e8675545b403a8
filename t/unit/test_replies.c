
/*
 * Unit tests for the module's hiredis reply objects
 * (ngx_http_lapor_replies.c) in hiredis's own reader: every kind of reply
 * as the callbacks read it, arrays nested and cut off, the bound on the
 * elements an array reply may announce, and the cache of freed objects.
 * Built against the stand-ins for nginx's two headers in t/fuzz/ngx/.
 */


#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/read.h>

#include "ngx_http_lapor_replies.h"
#include "unit.h"


static redisReader *
reader(void)
{
    redisReader  *r;

    r = redisReaderCreateWithFunctions(&ngx_http_lapor_reply_functions);
    if (r == NULL) {
        fprintf(stderr, "no reader\n");
        exit(1);
    }

    return r;
}


/* feeds s and reads one reply: REDIS_OK or REDIS_ERR, *reply or NULL */

static int
one(redisReader *r, const char *s, redisReply **reply)
{
    void  *p;
    int    rc;

    *reply = NULL;

    if (redisReaderFeed(r, s, strlen(s)) != REDIS_OK) {
        return REDIS_ERR;
    }

    p = NULL;
    rc = redisReaderGetReply(r, &p);
    *reply = p;

    return rc;
}


static void
test_kinds(void)
{
    redisReader  *r;
    redisReply   *rep;

    r = reader();

    UNIT_EQ(one(r, "$5\r\nhello\r\n", &rep), REDIS_OK);
    UNIT_TRUE(rep && rep->type == REDIS_REPLY_STRING && rep->len == 5
              && strcmp(rep->str, "hello") == 0);
    r->fn->freeObject(rep);

    UNIT_EQ(one(r, "+OK\r\n", &rep), REDIS_OK);
    UNIT_TRUE(rep && rep->type == REDIS_REPLY_STATUS
              && strcmp(rep->str, "OK") == 0);
    r->fn->freeObject(rep);

    UNIT_EQ(one(r, "-OOM command not allowed\r\n", &rep), REDIS_OK);
    UNIT_TRUE(rep && rep->type == REDIS_REPLY_ERROR
              && strncmp(rep->str, "OOM ", 4) == 0);
    r->fn->freeObject(rep);

    UNIT_EQ(one(r, ":-42\r\n", &rep), REDIS_OK);
    UNIT_TRUE(rep && rep->type == REDIS_REPLY_INTEGER && rep->integer == -42);
    r->fn->freeObject(rep);

    UNIT_EQ(one(r, "$-1\r\n", &rep), REDIS_OK);
    UNIT_TRUE(rep && rep->type == REDIS_REPLY_NIL);
    r->fn->freeObject(rep);

    UNIT_EQ(one(r, "*0\r\n", &rep), REDIS_OK);
    UNIT_TRUE(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 0
              && rep->element == NULL);
    r->fn->freeObject(rep);

    UNIT_EQ(one(r, "*2\r\n*2\r\n$1\r\na\r\n:7\r\n$-1\r\n", &rep), REDIS_OK);
    UNIT_TRUE(rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2);
    UNIT_TRUE(rep && rep->element[0]->type == REDIS_REPLY_ARRAY
              && rep->element[0]->elements == 2
              && strcmp(rep->element[0]->element[0]->str, "a") == 0
              && rep->element[0]->element[1]->integer == 7
              && rep->element[1]->type == REDIS_REPLY_NIL);
    r->fn->freeObject(rep);

    redisReaderFree(r);

    /* an array cut off by a protocol error: freed with its NULL slots */
    r = reader();
    UNIT_EQ(one(r, "*3\r\n:1\r\n!bad\r\n", &rep), REDIS_ERR);
    UNIT_TRUE(rep == NULL);
    redisReaderFree(r);

    /* an array still arriving when the reader is freed */
    r = reader();
    UNIT_EQ(one(r, "*3\r\n:1\r\n$3\r\nab", &rep), REDIS_OK);
    UNIT_TRUE(rep == NULL);
    redisReaderFree(r);
}


/*
 * "*1399991998": the element array was allocated and zeroed at once, 11 GB
 * for one reply line (found by fuzz_resp).  Now refused: the reader fails.
 */
static void
test_array_bound(void)
{
    redisReader  *r;
    redisReply   *rep;

    r = reader();
    UNIT_EQ(one(r, "*1399991998\r\n", &rep), REDIS_ERR);
    UNIT_TRUE(rep == NULL);
    UNIT_TRUE(r->err != 0);
    redisReaderFree(r);

    r = reader();
    UNIT_EQ(one(r, "*1048577\r\n", &rep), REDIS_ERR);
    redisReaderFree(r);

    /* at the bound: accepted, waiting for its elements */
    r = reader();
    UNIT_EQ(one(r, "*1048576\r\n", &rep), REDIS_OK);
    UNIT_TRUE(rep == NULL);
    UNIT_TRUE(r->err == 0);
    redisReaderFree(r);
}


/*
 * Freed objects are kept per size class and handed out again (last freed,
 * first given), a larger one is not; a sanitizer build keeps none.
 */
static void
test_cache(void)
{
    int           i;
    void         *a, *b, *big;
    char          line[1100];
    redisReader  *r;
    redisReply   *rep, *many[300];

    r = reader();

    UNIT_EQ(one(r, "$3\r\nabc\r\n", &rep), REDIS_OK);
    a = rep;
    ngx_http_lapor_reply_release(rep);

    /* a string of another length in the same class */
    UNIT_EQ(one(r, "$5\r\nabcde\r\n", &rep), REDIS_OK);
    b = rep;
    UNIT_EQ(rep->len, 5);
    UNIT_TRUE(memcmp(rep->str, "abcde", 5) == 0);
#if !defined(__SANITIZE_ADDRESS__)
    UNIT_TRUE(a == b);
#endif
    ngx_http_lapor_reply_release(rep);

    /* larger than the largest class: allocated and freed as it is */
    memset(line, 'x', sizeof(line));
    memcpy(line, "$1000\r\n", 7);
    memcpy(line + 7 + 1000, "\r\n", 3);
    UNIT_EQ(one(r, line, &rep), REDIS_OK);
    UNIT_EQ(rep->len, 1000);
    big = rep;
    UNIT_TRUE(big != a);
    ngx_http_lapor_reply_release(rep);

    /* more than the cache keeps: the rest goes back, nothing breaks */
    for (i = 0; i < 300; i++) {
        UNIT_EQ(one(r, ":42\r\n", &many[i]), REDIS_OK);
        UNIT_TRUE(many[i] != NULL && many[i]->integer == 42);
    }

    for (i = 0; i < 300; i++) {
        ngx_http_lapor_reply_release(many[i]);
    }

    UNIT_EQ(one(r, "*2\r\n:1\r\n$2\r\nok\r\n", &rep), REDIS_OK);
    UNIT_TRUE(rep->elements == 2 && rep->element[0]->integer == 1
              && rep->element[1]->len == 2);
    ngx_http_lapor_reply_release(rep);

    redisReaderFree(r);

    /* given back: the next object is a new block again */
    ngx_http_lapor_reply_cache_free();
}


int
main(void)
{
    test_kinds();
    test_array_bound();
    test_cache();

    return unit_report("replies");
}
