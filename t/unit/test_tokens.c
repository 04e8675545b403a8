
/*
 * Unit tests for the officer token file (lapor_tokens.c): the lines it
 * takes, the lookups by hash, and every error with its "line N: ..." text.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lapor_crypto.h"
#include "lapor_tokens.h"
#include "lapor_workflow.h"
#include "unit.h"


/* SHA-256 of "abc" and of "", from FIPS 180-2 */
#define HA    "ba7816bf8f01cfea414140de5dae2223"                              \
              "b00361a396177a9cb410ff61f20015ad"
#define HA_UC "BA7816BF8F01CFEA414140DE5DAE2223"                              \
              "B00361A396177A9CB410FF61F20015AD"
#define HA_MC "Ba7816bF8f01CfEa414140De5dAe2223"                              \
              "b00361a396177A9Cb410fF61f20015aD"
#define HB    "e3b0c44298fc1c149afbf4c8996fb924"                              \
              "27ae41e4649b934ca495991b7852b855"
#define HC    "0123456789abcdef0123456789abcdef"                              \
              "0123456789abcdef0123456789abcdef"

/* the edges of the hash space */
#define H00   "00000000000000000000000000000000"                              \
              "00000000000000000000000000000000"
#define H01   "00000000000000000000000000000000"                              \
              "00000000000000000000000000000001"
#define H7F   "7fffffffffffffffffffffffffffffff"                              \
              "ffffffffffffffffffffffffffffffff"
#define H80   "80000000000000000000000000000000"                              \
              "00000000000000000000000000000000"
#define H81   "80000000000000000000000000000000"                              \
              "00000000000000000000000000000001"
#define HFE   "ffffffffffffffffffffffffffffffff"                              \
              "fffffffffffffffffffffffffffffffe"
#define HFF   "ffffffffffffffffffffffffffffffff"                              \
              "ffffffffffffffffffffffffffffffff"

#define E_HASH    "the first field must be the token's SHA-256 in 64 hex "    \
                  "digits"
#define E_ROLE    "the role must be \"admin\" or \"agency\""
#define E_NOAG    "the agency code is missing (\"-\" for an admin)"
#define E_AGDASH  "an agency token needs its agency code"
#define E_ADMAG   "an admin token takes \"-\" as its agency"
#define E_AGLONG  "the agency code is longer than 32 characters"
#define E_AGCHAR  "the agency code may contain only a-z, 0-9 and \"-\""
#define E_NOLAB   "the label is missing"
#define E_LABLONG "the label is longer than 64 characters"
#define E_LABCHAR "the label may contain only letters, digits and \"-_.@\""
#define E_FIELDS  "more than four fields"

#define ERRLEN    LAPOR_TOKENS_ERR_LEN


typedef struct {
    unsigned    fail;       /* return NULL */
    size_t      calls;
    size_t      bytes;
} alloc_ctx_t;


static lapor_tokens_t    toks;
static char              err[ERRLEN];


/* every block the parser and the tests allocate is freed at exit */

static void *
test_alloc(void *ctx, size_t size)
{
    alloc_ctx_t  *ac;

    ac = ctx;

    if (ac != NULL) {
        ac->calls++;
        ac->bytes += size;

        if (ac->fail) {
            return NULL;
        }
    }

    return unit_alloc(size);
}


static void *
must_alloc(size_t size)
{
    void  *p;

    p = test_alloc(NULL, size);

    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }

    return p;
}


/* a formatted string in the test pool */

static char *
text(const char *fmt, ...)
{
    int       n;
    char     *p;
    va_list   args;

    va_start(args, fmt);
    n = vsnprintf(NULL, 0, fmt, args);
    va_end(args);

    p = must_alloc((size_t) n + 1);

    va_start(args, fmt);
    (void) vsnprintf(p, (size_t) n + 1, fmt, args);
    va_end(args);

    return p;
}


/* c repeated n times */

static char *
rep(char c, size_t n)
{
    char  *p;

    p = must_alloc(n + 1);
    memset(p, c, n);
    p[n] = '\0';

    return p;
}


/* the test's own hex, independent of the parser's */

static void
unhex(const char *hex, unsigned char out[LAPOR_SHA256_LEN])
{
    size_t  i;

    for (i = 0; i < LAPOR_SHA256_LEN; i++) {
        if (sscanf(hex + 2 * i, "%2hhx", &out[i]) != 1) {
            fprintf(stderr, "bad test hash %s\n", hex);
            exit(2);
        }
    }
}


static void
tohex(const unsigned char h[LAPOR_SHA256_LEN], char *out)
{
    size_t  i;

    for (i = 0; i < LAPOR_SHA256_LEN; i++) {
        sprintf(out + 2 * i, "%02x", h[i]);
    }
}


/* distinct, scattered hashes: byte 0..3 the index mixed, the rest a tail */

static void
gen_hash(unsigned long k, unsigned char h[LAPOR_SHA256_LEN])
{
    size_t         i;
    unsigned long  x;

    /* a bijection on 32 bits: odd multiplier, then an xor shift */
    x = (k * 2654435761UL) & 0xffffffffUL;
    x ^= x >> 16;

    h[0] = (unsigned char) (x >> 24);
    h[1] = (unsigned char) (x >> 16);
    h[2] = (unsigned char) (x >> 8);
    h[3] = (unsigned char) x;

    for (i = 4; i < LAPOR_SHA256_LEN; i++) {
        h[i] = (unsigned char) (k * 7 + i);
    }
}


static int
parse_ctx(const char *s, size_t len, alloc_ctx_t *ctx)
{
    memset(err, 0, sizeof(err));

    return lapor_tokens_parse((const unsigned char *) s, len, test_alloc, ctx,
                              &toks, err, sizeof(err));
}


static int
parse(const char *s)
{
    return parse_ctx(s, strlen(s), NULL);
}


/* parsed with exactly n tokens */

static int
parses(const char *s, size_t n)
{
    int  rc;

    rc = parse(s);

    if (rc != 0 || toks.n != n) {
        fprintf(stderr, "  rc %d, %lu tokens, err \"%s\"; want %lu tokens\n",
                rc, (unsigned long) toks.n, err, (unsigned long) n);
        return 0;
    }

    return 1;
}


static int
fails(const char *s, size_t len, const char *want)
{
    int  rc;

    rc = parse_ctx(s, len, NULL);

    if (rc != -1 || strcmp(err, want) != 0) {
        fprintf(stderr, "  rc %d, err \"%s\"; want \"%s\"\n", rc, err, want);
        return 0;
    }

    return 1;
}


#define PARSES(s, n)        UNIT_TRUE(parses((s), (n)))
#define FAILS(s, want)      UNIT_TRUE(fails((s), strlen(s), (want)))
#define FAILS_AT(s, n, r)                                                     \
    UNIT_TRUE(fails((s), strlen(s), text("line %d: %s", (n), (r))))


static const lapor_token_t *
find_hex(const char *hex)
{
    unsigned char  h[LAPOR_SHA256_LEN];

    unhex(hex, h);

    return lapor_tokens_find(&toks, h);
}


static int
is_token(const lapor_token_t *t, unsigned role, const char *agency,
    const char *label, size_t line)
{
    if (t == NULL) {
        fprintf(stderr, "  token not found\n");
        return 0;
    }

    if (t->role != role || strcmp(t->agency, agency) != 0
        || strcmp(t->label, label) != 0 || t->line != line)
    {
        fprintf(stderr, "  token role %u agency \"%s\" label \"%s\" line %lu;"
                " want %u \"%s\" \"%s\" %lu\n", t->role, t->agency, t->label,
                (unsigned long) t->line, role, agency, label,
                (unsigned long) line);
        return 0;
    }

    return 1;
}


#define IS_ADMIN(t, label, line)                                              \
    UNIT_TRUE(is_token((t), LAPOR_ROLE_ADMIN, "", (label), (line)))
#define IS_AGENCY(t, agency, label, line)                                     \
    UNIT_TRUE(is_token((t), LAPOR_ROLE_AGENCY, (agency), (label), (line)))


static void
test_valid_file(void)
{
    const char           *s;
    alloc_ctx_t           ctx;
    unsigned char         h[LAPOR_SHA256_LEN];
    const lapor_token_t  *t;

    s = "# officer tokens of the province\n"
        "\n"
        HA " admin - ops-admin\n"
        "   \n"
        HB " agency dinas-pu budi.santoso@pu\n"
        "#" HC " admin - commented-out\n"
        "   # indented comment\n";

    memset(&ctx, 0, sizeof(ctx));
    UNIT_EQ(parse_ctx(s, strlen(s), &ctx), 0);
    UNIT_EQ(toks.n, 2);

    /* one allocation, through the caller's ctx, big enough for the lines */
    UNIT_EQ(ctx.calls, 1);
    UNIT_TRUE(ctx.bytes >= 2 * sizeof(lapor_token_t));

    /* the file holds hashes: look up by the hash of the token itself */
    UNIT_EQ(lapor_sha256("abc", 3, h), 0);
    t = lapor_tokens_find(&toks, h);
    IS_ADMIN(t, "ops-admin", 3);

    UNIT_EQ(lapor_sha256("", 0, h), 0);
    t = lapor_tokens_find(&toks, h);
    IS_AGENCY(t, "dinas-pu", "budi.santoso@pu", 5);

    UNIT_TRUE(find_hex(HC) == NULL);

    UNIT_EQ(lapor_sha256("abd", 3, h), 0);
    UNIT_TRUE(lapor_tokens_find(&toks, h) == NULL);
}


static void
test_crlf(void)
{
    PARSES("# tokens\r\n"
           "\r\n"
           HA " admin - ops\r\n"
           "  \t\r\n"
           HB " agency dinas-pu pu-1\r\n", 2);

    IS_ADMIN(find_hex(HA), "ops", 3);
    IS_AGENCY(find_hex(HB), "dinas-pu", "pu-1", 5);

    /* a CR before the end of the text, no LF */
    PARSES(HA " agency dinas-pu pu-1\r", 1);
    IS_AGENCY(find_hex(HA), "dinas-pu", "pu-1", 1);

    /* mixed endings count lines alike */
    PARSES("#\n#\r\n" HB " admin - x\r\n" HA " admin - y\n", 2);
    IS_ADMIN(find_hex(HB), "x", 3);
    IS_ADMIN(find_hex(HA), "y", 4);
}


static void
test_whitespace(void)
{
    PARSES("\t" HA "\tadmin\t-\tops  \t\n"
           "   " HB "   agency  \t dinas-pu    pu_1 \t\r\n", 2);

    IS_ADMIN(find_hex(HA), "ops", 1);
    IS_AGENCY(find_hex(HB), "dinas-pu", "pu_1", 2);
}


static void
test_hex_case(void)
{
    PARSES(HA_UC " admin - upper\n", 1);
    IS_ADMIN(find_hex(HA), "upper", 1);

    PARSES(HA_MC " admin - mixed\n", 1);
    IS_ADMIN(find_hex(HA), "mixed", 1);

    /* the same hash in two spellings is the same token */
    FAILS_AT(HA "  admin - lower\n" HA_UC " admin - upper\n", 2,
             "the same token as line 1");
}


static void
test_no_trailing_newline(void)
{
    PARSES(HA " admin - last", 1);
    IS_ADMIN(find_hex(HA), "last", 1);

    PARSES("# c\n\n" HA " admin - a\n" HB " agency kominfo last", 2);
    IS_AGENCY(find_hex(HB), "kominfo", "last", 4);

    PARSES(HA " admin - a\n# no newline after the comment", 1);
    PARSES(HA " admin - a\n   ", 1);
}


static void
test_empty(void)
{
    PARSES("", 0);
    UNIT_TRUE(find_hex(HA) == NULL);

    PARSES("\n", 0);
    PARSES("\n\n\n", 0);
    PARSES("\r\n", 0);
    PARSES(" \t \t", 0);
    PARSES("#", 0);
    PARSES("# nothing yet\n#\n", 0);
    UNIT_TRUE(find_hex(HB) == NULL);
}


/* the longest and every character allowed */

static void
test_allowed(void)
{
    char                 *agency, *label;
    const lapor_token_t  *t;

    agency = rep('a', LAPOR_TOKENS_AGENCY_MAX);
    label = rep('L', LAPOR_TOKENS_LABEL_MAX);

    PARSES(text("%s agency %s %s\n", HA, agency, label), 1);
    t = find_hex(HA);
    IS_AGENCY(t, agency, label, 1);
    UNIT_TRUE(t != NULL && strlen(t->agency) == 32 && strlen(t->label) == 64);

    agency = "abcdefghijklmnopqrstuvwxyz-";
    label = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    PARSES(text("%s agency %s %s\n%s agency 0123456789-- %s\n", HA, agency,
                label, HB, "_"), 2);
    IS_AGENCY(find_hex(HA), agency, label, 1);
    IS_AGENCY(find_hex(HB), "0123456789--", "_", 2);

    PARSES(HA " agency x -_.@\n" HB " admin - -\n", 2);
    IS_AGENCY(find_hex(HA), "x", "-_.@", 1);
    IS_ADMIN(find_hex(HB), "-", 2);
}


/* lookups at the edges of the binary search */

static void
test_find_edges(void)
{
    char  *s;

    /* one token: found, below, above */
    PARSES(H80 " admin - one\n", 1);
    IS_ADMIN(find_hex(H80), "one", 1);
    UNIT_TRUE(find_hex(H00) == NULL);
    UNIT_TRUE(find_hex(H7F) == NULL);
    UNIT_TRUE(find_hex(H81) == NULL);
    UNIT_TRUE(find_hex(HFF) == NULL);

    /* three, listed out of order */
    s = HFE " admin - last\n"
        H01 " admin - first\n"
        H80 " agency a mid\n";

    PARSES(s, 3);
    IS_ADMIN(&toks.tokens[0], "first", 2);
    IS_AGENCY(&toks.tokens[1], "a", "mid", 3);
    IS_ADMIN(&toks.tokens[2], "last", 1);

    IS_ADMIN(find_hex(H01), "first", 2);
    IS_AGENCY(find_hex(H80), "a", "mid", 3);
    IS_ADMIN(find_hex(HFE), "last", 1);
    UNIT_TRUE(find_hex(H00) == NULL);
    UNIT_TRUE(find_hex(H7F) == NULL);
    UNIT_TRUE(find_hex(H81) == NULL);
    UNIT_TRUE(find_hex(HFF) == NULL);

    /* the extremes themselves */
    PARSES(HFF " admin - ff\n" H00 " admin - zero\n", 2);
    IS_ADMIN(find_hex(H00), "zero", 2);
    IS_ADMIN(find_hex(HFF), "ff", 1);
    UNIT_TRUE(find_hex(H01) == NULL);
    UNIT_TRUE(find_hex(HFE) == NULL);

    /* none */
    PARSES("# none\n", 0);
    UNIT_TRUE(find_hex(H00) == NULL);
    UNIT_TRUE(find_hex(HFF) == NULL);
}


/* a file of n generated tokens, one a line, after a comment */

static char *
many(size_t n, int trailing_newline)
{
    char           *s, *p;
    size_t          i;
    unsigned char   h[LAPOR_SHA256_LEN];

    s = must_alloc(n * 128 + 64);
    p = s + sprintf(s, "# %lu tokens\n", (unsigned long) n);

    for (i = 0; i < n; i++) {
        gen_hash(i, h);
        tohex(h, p);
        p += 2 * LAPOR_SHA256_LEN;

        if (i % 3 == 0) {
            p += sprintf(p, " admin - admin-%lu", (unsigned long) i);

        } else {
            p += sprintf(p, " agency dinas-%lu officer.%lu@lapor",
                         (unsigned long) (i % 40), (unsigned long) i);
        }

        if (i + 1 < n || trailing_newline) {
            *p++ = '\n';
        }
    }

    *p = '\0';

    return s;
}


static void
test_many(void)
{
    int                   ok;
    size_t                i, n;
    unsigned char         h[LAPOR_SHA256_LEN];
    const lapor_token_t  *t;

    n = 1000;

    PARSES(many(n, 1), n);

    /* sorted, strictly */
    ok = 1;

    for (i = 1; i < toks.n; i++) {
        if (memcmp(toks.tokens[i - 1].hash, toks.tokens[i].hash,
                   LAPOR_SHA256_LEN) >= 0)
        {
            ok = 0;
        }
    }

    UNIT_TRUE(ok);

    /* each one found, as itself */
    ok = 1;

    for (i = 0; i < n; i++) {
        gen_hash(i, h);
        t = lapor_tokens_find(&toks, h);

        if (t == NULL || t->line != i + 2
            || memcmp(t->hash, h, LAPOR_SHA256_LEN) != 0
            || t->role != (i % 3 == 0 ? LAPOR_ROLE_ADMIN : LAPOR_ROLE_AGENCY))
        {
            ok = 0;
        }

        /* one bit off, anywhere: not found */
        h[i % LAPOR_SHA256_LEN] ^= 0x01;

        if (lapor_tokens_find(&toks, h) != NULL) {
            ok = 0;
        }
    }

    UNIT_TRUE(ok);

    /* the first and the last in order */
    t = lapor_tokens_find(&toks, toks.tokens[0].hash);
    UNIT_TRUE(t == &toks.tokens[0]);
    t = lapor_tokens_find(&toks, toks.tokens[n - 1].hash);
    UNIT_TRUE(t == &toks.tokens[n - 1]);

    gen_hash(n, h);
    UNIT_TRUE(lapor_tokens_find(&toks, h) == NULL);

    memset(h, 0, sizeof(h));
    UNIT_TRUE(lapor_tokens_find(&toks, h) == NULL);
    memset(h, 0xff, sizeof(h));
    UNIT_TRUE(lapor_tokens_find(&toks, h) == NULL);
}


static void
test_limits(void)
{
    char    *s, *p;
    size_t   i;

    /* LAPOR_TOKENS_MAX tokens (and a comment line) */
    PARSES(many(LAPOR_TOKENS_MAX, 1), LAPOR_TOKENS_MAX);
    PARSES(many(LAPOR_TOKENS_MAX, 0), LAPOR_TOKENS_MAX);

    /* one more, on line 10002 after the comment */
    FAILS(many(LAPOR_TOKENS_MAX + 1, 1),
          "line 10002: more than 10000 tokens");

    /*
     * At most 11000 lines: 11000 comment lines pass, with or without the
     * last newline; 11001 do not.
     */

    s = must_alloc(2 * (LAPOR_TOKENS_MAX + 1001) + 1);

    for (p = s, i = 0; i < LAPOR_TOKENS_MAX + 1000; i++) {
        *p++ = '#';
        *p++ = '\n';
    }

    *p = '\0';

    UNIT_EQ(parse_ctx(s, 2 * (LAPOR_TOKENS_MAX + 1000) - 1, NULL), 0);
    UNIT_EQ(parse_ctx(s, 2 * (LAPOR_TOKENS_MAX + 1000), NULL), 0);

    *p++ = '#';
    *p = '\0';

    UNIT_TRUE(fails(s, strlen(s), "more than 11000 lines"));
}


static void
test_hash_errors(void)
{
    FAILS_AT(text("%s admin - x", rep('a', 63)), 1, E_HASH);
    FAILS_AT(text("%s admin - x", rep('a', 65)), 1, E_HASH);
    FAILS_AT(text("%s admin - x", rep('0', 128)), 1, E_HASH);
    FAILS_AT("abc admin - x", 1, E_HASH);
    FAILS_AT("a", 1, E_HASH);
    FAILS_AT("- admin - x", 1, E_HASH);

    /* 64 characters, not all hex */
    FAILS_AT(text("g%s admin - x", rep('a', 63)), 1, E_HASH);
    FAILS_AT(text("%sg admin - x", rep('a', 63)), 1, E_HASH);
    FAILS_AT(text("%sG%s admin - x", rep('a', 31), rep('a', 32)), 1, E_HASH);
    FAILS_AT(text("0x%s admin - x", rep('a', 62)), 1, E_HASH);
    FAILS_AT(text("%s-%s admin - x", rep('a', 31), rep('a', 32)), 1, E_HASH);
    FAILS_AT(text("%s:%s admin - x", rep('a', 31), rep('a', 32)), 1, E_HASH);
    FAILS_AT(text("%s\xff%s admin - x", rep('a', 31), rep('a', 32)), 1,
             E_HASH);

    /* characters next to the hex ranges */
    FAILS_AT(text("%s/ admin - x", rep('a', 63)), 1, E_HASH);
    FAILS_AT(text("%s@ admin - x", rep('a', 63)), 1, E_HASH);
    FAILS_AT(text("%s` admin - x", rep('a', 63)), 1, E_HASH);
    FAILS_AT(text("%s: admin - x", rep('a', 63)), 1, E_HASH);

    /* a NUL inside the hash */
    UNIT_TRUE(fails("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
                    "\0" "20015ad admin - x", 74, text("line 1: %s", E_HASH)));

    /* a space splits it: the first field is short */
    FAILS_AT("ba7816bf8f01cfea414140de5dae2223 "
             "b00361a396177a9cb410ff61f20015ad admin - x", 1, E_HASH);

    /* a UTF-8 byte order mark is not skipped */
    FAILS_AT("\xef\xbb\xbf" HA " admin - x", 1, E_HASH);
}


static void
test_role_errors(void)
{
    FAILS_AT(HA, 1, E_ROLE);
    FAILS_AT(HA "   ", 1, E_ROLE);
    FAILS_AT(HA " \r\n", 1, E_ROLE);
    FAILS_AT(HA " Admin - x", 1, E_ROLE);
    FAILS_AT(HA " ADMIN - x", 1, E_ROLE);
    FAILS_AT(HA " admins - x", 1, E_ROLE);
    FAILS_AT(HA " admi - x", 1, E_ROLE);
    FAILS_AT(HA " Agency pu x", 1, E_ROLE);
    FAILS_AT(HA " agenc pu x", 1, E_ROLE);
    FAILS_AT(HA " agencyx pu x", 1, E_ROLE);
    FAILS_AT(HA " reporter - x", 1, E_ROLE);
    FAILS_AT(HA " system - x", 1, E_ROLE);
    FAILS_AT(HA " - admin x", 1, E_ROLE);
    FAILS_AT(HA ",admin - x", 1, E_HASH);
}


static void
test_agency_errors(void)
{
    /* missing */
    FAILS_AT(HA " admin", 1, E_NOAG);
    FAILS_AT(HA " agency", 1, E_NOAG);
    FAILS_AT(HA " admin  \t ", 1, E_NOAG);
    FAILS_AT(HA " agency\r\n", 1, E_NOAG);

    /* an agency token without its agency, an admin with one */
    FAILS_AT(HA " agency - x", 1, E_AGDASH);
    FAILS_AT(HA " agency - x\r\n", 1, E_AGDASH);
    FAILS_AT(HA " admin dinas-pu x", 1, E_ADMAG);
    FAILS_AT(HA " admin -- x", 1, E_ADMAG);
    FAILS_AT(HA " admin -x x", 1, E_ADMAG);
    FAILS_AT(HA " admin Dinas x", 1, E_ADMAG);

    /* its alphabet: a-z, 0-9 and "-" */
    FAILS_AT(HA " agency Dinas-pu x", 1, E_AGCHAR);
    FAILS_AT(HA " agency dinas-PU x", 1, E_AGCHAR);
    FAILS_AT(HA " agency dinas_pu x", 1, E_AGCHAR);
    FAILS_AT(HA " agency dinas.pu x", 1, E_AGCHAR);
    FAILS_AT(HA " agency dinas/pu x", 1, E_AGCHAR);
    FAILS_AT(HA " agency dinas@pu x", 1, E_AGCHAR);
    FAILS_AT(HA " agency dinas:pu x", 1, E_AGCHAR);
    FAILS_AT(HA " agency dinas\"pu x", 1, E_AGCHAR);
    FAILS_AT(HA " agency dinas{pu} x", 1, E_AGCHAR);
    FAILS_AT(HA " agency dinas\xc3\xa9 x", 1, E_AGCHAR);
    FAILS_AT(HA " agency dinas\r x", 1, E_AGCHAR);

    /* 33 characters */
    FAILS_AT(text("%s agency %s x", HA,
                  rep('a', LAPOR_TOKENS_AGENCY_MAX + 1)), 1, E_AGLONG);
    FAILS_AT(text("%s agency %s x", HA, rep('a', 200)), 1, E_AGLONG);
}


static void
test_label_errors(void)
{
    /* missing */
    FAILS_AT(HA " admin -", 1, E_NOLAB);
    FAILS_AT(HA " admin -\n", 1, E_NOLAB);
    FAILS_AT(HA " admin -  \t", 1, E_NOLAB);
    FAILS_AT(HA " admin -\r\n", 1, E_NOLAB);
    FAILS_AT(HA " agency dinas-pu", 1, E_NOLAB);
    FAILS_AT(HA " agency dinas-pu \r", 1, E_NOLAB);

    /* 65 characters */
    FAILS_AT(text("%s admin - %s", HA, rep('x', LAPOR_TOKENS_LABEL_MAX + 1)),
             1, E_LABLONG);
    FAILS_AT(text("%s agency pu %s\r\n", HA, rep('x', 500)), 1, E_LABLONG);

    /* its alphabet: letters, digits and "-_.@", for the logs' sake */
    FAILS_AT(HA " admin - ops!", 1, E_LABCHAR);
    FAILS_AT(HA " admin - a/b", 1, E_LABCHAR);
    FAILS_AT(HA " admin - a:b", 1, E_LABCHAR);
    FAILS_AT(HA " admin - a,b", 1, E_LABCHAR);
    FAILS_AT(HA " admin - a\"b", 1, E_LABCHAR);
    FAILS_AT(HA " admin - a'b", 1, E_LABCHAR);
    FAILS_AT(HA " admin - a#b", 1, E_LABCHAR);
    FAILS_AT(HA " admin - a+b", 1, E_LABCHAR);
    FAILS_AT(HA " admin - <script>", 1, E_LABCHAR);
    FAILS_AT(HA " admin - a\x1b[31m", 1, E_LABCHAR);
    FAILS_AT(HA " admin - a\rb", 1, E_LABCHAR);
    FAILS_AT(HA " admin - a\vb", 1, E_LABCHAR);
    FAILS_AT(HA " admin - a\fb", 1, E_LABCHAR);
    FAILS_AT(HA " admin - caf\xc3\xa9", 1, E_LABCHAR);
    FAILS_AT(HA " admin - x\r \n", 1, E_LABCHAR);
    UNIT_TRUE(fails(HA " admin - a\0b", 64 + 12, text("line 1: %s",
                                                      E_LABCHAR)));

    /* a space ends it: what follows is a fifth field */
    FAILS_AT(HA " admin - Budi Santoso", 1, E_FIELDS);
    FAILS_AT(HA " agency pu Budi\tSantoso\r\n", 1, E_FIELDS);
    FAILS_AT(HA " admin - ops # a comment", 1, E_FIELDS);
    FAILS_AT(HA " admin - ops -", 1, E_FIELDS);
    FAILS_AT(HA " admin - a b c d e", 1, E_FIELDS);
}


/* the line number counts every line: comments, blanks, CRLF ones */

static void
test_error_lines(void)
{
    FAILS_AT("# tokens\n"
             "\n"
             HA " admin - a\n"
             HB " agency - b\n"
             HC " admin - c\n", 4, E_AGDASH);

    FAILS_AT("# tokens\r\n"
             "\r\n"
             HA " admin - a\r\n"
             HB " agency - b\r\n", 4, E_AGDASH);

    FAILS_AT("\n\n\n\n\n\n\n\n\n\n\n\n" HA " admin -", 13, E_NOLAB);

    FAILS_AT(HA " admin - a\n"
             HB " agency pu b\n"
             HC " admin - c d", 3, E_FIELDS);

    /* the first bad line is the one named */
    FAILS_AT(HA " admin - a\n"
             HB " admin pu b\n"
             HC " agency - c\n", 2, E_ADMAG);

    FAILS_AT(text("%s admin - a\n%s\n%s agency pu b\n", HA,
                  rep('f', 63), HB), 2, E_HASH);

    /* 1000 good lines, then a bad one */
    FAILS_AT(text("%s\nxyz\n", many(1000, 0)), 1002, E_HASH);
}


static void
test_duplicates(void)
{
    char           hex[2 * LAPOR_SHA256_LEN + 1];
    unsigned char  h[LAPOR_SHA256_LEN];

    FAILS_AT(HA " admin - a\n"
             HB " agency pu b\n"
             HA " agency kominfo c\n", 3, "the same token as line 1");

    FAILS_AT(HA " admin - a\n" HA " admin - a", 2, "the same token as line 1");

    FAILS_AT("# one\n"
             HB " agency pu b\r\n"
             "\n"
             HC " admin - c\n"
             "# two\n"
             HB " admin - b\r\n", 6, "the same token as line 2");

    /* a line repeated in a long file */
    gen_hash(500, h);
    tohex(h, hex);

    FAILS_AT(text("%s%s admin - again\n", many(1000, 1), hex), 1002,
             "the same token as line 502");

    /* three copies: a pair of them is named */
    UNIT_EQ(parse(HA " admin - a\n" HA " admin - b\n" HA " admin - c\n"), -1);
    UNIT_TRUE(strcmp(err, "line 2: the same token as line 1") == 0
              || strcmp(err, "line 3: the same token as line 1") == 0
              || strcmp(err, "line 3: the same token as line 2") == 0);

    /* a syntax error anywhere comes before a duplicate */
    FAILS_AT(HA " admin - a\n" HA " admin - a\n" HB " admin - a b\n", 3,
             E_FIELDS);
}


/* the allocator says no */

static void
test_out_of_memory(void)
{
    alloc_ctx_t  ctx;
    const char  *s;

    s = HA " admin - a\n" HB " agency pu b\n";

    memset(&ctx, 0, sizeof(ctx));
    ctx.fail = 1;

    UNIT_EQ(parse_ctx(s, strlen(s), &ctx), -1);
    UNIT_TRUE(strcmp(err, "out of memory") == 0);
    UNIT_EQ(ctx.calls, 1);
    UNIT_TRUE(toks.tokens == NULL);
    UNIT_EQ(toks.n, 0);

    memset(&ctx, 0, sizeof(ctx));
    ctx.fail = 1;

    UNIT_EQ(parse_ctx("", 0, &ctx), -1);
    UNIT_TRUE(strcmp(err, "out of memory") == 0);

    /* and the lookup on what it left */
    UNIT_TRUE(find_hex(HA) == NULL);
}


/* a short error buffer gets a truncated, terminated message */

static void
test_short_err(void)
{
    int          rc;
    char         small[12];
    const char  *s;

    s = "#\n#\n" HA " admin";

    memset(small, 'Z', sizeof(small));

    rc = lapor_tokens_parse((const unsigned char *) s, strlen(s), test_alloc,
                            NULL, &toks, small, 8);

    UNIT_EQ(rc, -1);
    UNIT_TRUE(strcmp(small, "line 3:") == 0);
    UNIT_EQ(small[8], 'Z');
}


int
main(void)
{
    int  rc;

    test_valid_file();
    test_crlf();
    test_whitespace();
    test_hex_case();
    test_no_trailing_newline();
    test_empty();
    test_allowed();
    test_find_edges();
    test_many();
    test_limits();
    test_hash_errors();
    test_role_errors();
    test_agency_errors();
    test_label_errors();
    test_error_lines();
    test_duplicates();
    test_out_of_memory();
    test_short_err();

    rc = unit_report("tokens");

    unit_free_all();

    return rc;
}
