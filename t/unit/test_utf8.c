
/*
 * Unit tests for the strict UTF-8 check (lapor_utf8.c).
 */


#include <stdio.h>
#include <string.h>

#include "lapor_utf8.h"
#include "unit.h"


#define S(lit)  (const unsigned char *) (lit), sizeof(lit) - 1


/* returns the count (or the bad offset) and checks the verdict */
static size_t
check(const unsigned char *s, size_t len, unsigned flags, int want)
{
    size_t  n;
    int     rc;

    n = (size_t) -1;
    rc = lapor_utf8_check(s, len, flags, &n);

    UNIT_EQ(rc, want);

    return n;
}


static void
test_ascii(void)
{
    UNIT_EQ(check(S(""), 0, 0), 0);
    UNIT_EQ(check(S("a"), 0, 0), 1);
    UNIT_EQ(check(S("Jalan rusak di depan pasar"), 0, 0), 26);
    UNIT_EQ(check(S(" !\"#~"), 0, 0), 5);

    /* a NULL count pointer is allowed */
    UNIT_EQ(lapor_utf8_check(S("abc"), 0, NULL), 0);
    UNIT_EQ(lapor_utf8_check(S("a\x01"), 0, NULL), -1);
}


static void
test_multibyte(void)
{
    /* 2 bytes: U+00E9, lowest U+00A0 and highest U+07FF */
    UNIT_EQ(check(S("caf\xc3\xa9"), 0, 0), 4);
    UNIT_EQ(check(S("\xc2\xa0"), 0, 0), 1);
    UNIT_EQ(check(S("\xdf\xbf"), 0, 0), 1);

    /* 3 bytes: U+0800, U+20AC, U+D7FF (last before surrogates), U+E000,
     * U+FFFD, U+FFFF */
    UNIT_EQ(check(S("\xe0\xa0\x80"), 0, 0), 1);
    UNIT_EQ(check(S("\xe2\x82\xac"), 0, 0), 1);
    UNIT_EQ(check(S("\xed\x9f\xbf"), 0, 0), 1);
    UNIT_EQ(check(S("\xee\x80\x80"), 0, 0), 1);
    UNIT_EQ(check(S("\xef\xbf\xbd"), 0, 0), 1);
    UNIT_EQ(check(S("\xef\xbf\xbf"), 0, 0), 1);

    /* 4 bytes: U+10000, U+1F600 (grinning face), U+10FFFF */
    UNIT_EQ(check(S("\xf0\x90\x80\x80"), 0, 0), 1);
    UNIT_EQ(check(S("\xf0\x9f\x98\x80"), 0, 0), 1);
    UNIT_EQ(check(S("\xf4\x8f\xbf\xbf"), 0, 0), 1);

    /* mixed: "Lampu jalan mati 😀 — RT 05" */
    UNIT_EQ(check(S("Lampu jalan mati \xf0\x9f\x98\x80 \xe2\x80\x94 RT 05"),
                  0, 0), 26);
}


static void
test_indonesian(void)
{
    /* plain Indonesian is ASCII; place names and loan words may not be */
    UNIT_EQ(check(S("Selokan tersumbat di Jl. Merdeka No. 12, Kec. "
                    "Sukajadi"), 0, 0), 54);
    UNIT_EQ(check(S("Pohon tumbang \xe2\x80\x93 akses ke Caf\xc3\xa9 "
                    "Cik\xc3\xa9"), 0, 0), 34);

    /* multi-line text only with the flag */
    UNIT_EQ(check(S("Baris satu\nBaris dua\r\n\tindent"), 0, -1), 10);
    UNIT_EQ(check(S("Baris satu\nBaris dua\r\n\tindent"),
                  LAPOR_UTF8_ALLOW_NEWLINES, 0), 29);
}


static void
test_overlong(void)
{
    /* C0/C1 can only encode ASCII: always overlong */
    UNIT_EQ(check(S("\xc0\xaf"), 0, -1), 0);
    UNIT_EQ(check(S("\xc0\x80"), 0, -1), 0);
    UNIT_EQ(check(S("\xc1\xbf"), 0, -1), 0);

    /* E0 80..9F: overlong 3-byte forms ("/" as E0 80 AF) */
    UNIT_EQ(check(S("\xe0\x80\xaf"), 0, -1), 0);
    UNIT_EQ(check(S("\xe0\x9f\xbf"), 0, -1), 0);

    /* F0 80..8F: overlong 4-byte forms */
    UNIT_EQ(check(S("\xf0\x80\x80\xaf"), 0, -1), 0);
    UNIT_EQ(check(S("\xf0\x8f\xbf\xbf"), 0, -1), 0);

    /* the offset is that of the offending sequence */
    UNIT_EQ(check(S("abc\xc0\xaf"), 0, -1), 3);
}


static void
test_surrogates(void)
{
    /* ED A0..BF are UTF-16 surrogates U+D800..U+DFFF */
    UNIT_EQ(check(S("\xed\xa0\x80"), 0, -1), 0);
    UNIT_EQ(check(S("\xed\xaf\xbf"), 0, -1), 0);
    UNIT_EQ(check(S("\xed\xb0\x80"), 0, -1), 0);
    UNIT_EQ(check(S("\xed\xbf\xbf"), 0, -1), 0);

    /* a CESU-8 pair for U+1F600 */
    UNIT_EQ(check(S("x\xed\xa0\xbd\xed\xb8\x80"), 0, -1), 1);
}


static void
test_above_max(void)
{
    /* F4 90.. is above U+10FFFF */
    UNIT_EQ(check(S("\xf4\x90\x80\x80"), 0, -1), 0);
    UNIT_EQ(check(S("\xf4\xbf\xbf\xbf"), 0, -1), 0);

    /* F5..F7 would be 4-byte forms above the range, F8..FF are never
     * valid */
    UNIT_EQ(check(S("\xf5\x80\x80\x80"), 0, -1), 0);
    UNIT_EQ(check(S("\xf7\xbf\xbf\xbf"), 0, -1), 0);
    UNIT_EQ(check(S("\xf8\x88\x80\x80\x80"), 0, -1), 0);
    UNIT_EQ(check(S("\xfc\x84\x80\x80\x80\x80"), 0, -1), 0);
    UNIT_EQ(check(S("\xfe"), 0, -1), 0);
    UNIT_EQ(check(S("\xff"), 0, -1), 0);
}


static void
test_truncated_and_stray(void)
{
    /* truncated at the end of the input */
    UNIT_EQ(check(S("\xc3"), 0, -1), 0);
    UNIT_EQ(check(S("ab\xe2\x82"), 0, -1), 2);
    UNIT_EQ(check(S("\xf0\x9f\x98"), 0, -1), 0);
    UNIT_EQ(check(S("\xf0"), 0, -1), 0);

    /* a lead byte followed by a non-continuation byte */
    UNIT_EQ(check(S("\xc3(x"), 0, -1), 0);
    UNIT_EQ(check(S("\xe2\x82("), 0, -1), 0);
    UNIT_EQ(check(S("\xe2(\xac"), 0, -1), 0);
    UNIT_EQ(check(S("\xf0\x9f\x98("), 0, -1), 0);
    UNIT_EQ(check(S("\xf0\x9f(\x80"), 0, -1), 0);
    UNIT_EQ(check(S("\xc3\xc3\xa9"), 0, -1), 0);

    /* stray continuation bytes */
    UNIT_EQ(check(S("\x80"), 0, -1), 0);
    UNIT_EQ(check(S("\xbf"), 0, -1), 0);
    UNIT_EQ(check(S("caf\xc3\xa9\xa9"), 0, -1), 5);
    UNIT_EQ(check(S("\xf0\x9f\x98\x80\x80"), 0, -1), 4);

    /* the length bounds the scan: a valid prefix is judged alone */
    UNIT_EQ(lapor_utf8_check((const unsigned char *) "\xc3\xa9", 1, 0,
                             NULL), -1);
}


static void
test_controls(void)
{
    unsigned  c;
    size_t    n;
    unsigned char  buf[3];

    /* NUL is always rejected, even with the newline flag */
    UNIT_EQ(check((const unsigned char *) "a\0b", 3, 0, -1), 1);
    UNIT_EQ(check((const unsigned char *) "a\0b", 3,
                  LAPOR_UTF8_ALLOW_NEWLINES, -1), 1);

    /* every C0 control but \t \n \r, with or without the flag */
    for (c = 1; c < 0x20; c++) {
        buf[0] = 'x';
        buf[1] = (unsigned char) c;

        UNIT_EQ(lapor_utf8_check(buf, 2, 0, &n), -1);
        UNIT_EQ(n, 1);

        if (c == '\t' || c == '\n' || c == '\r') {
            UNIT_EQ(lapor_utf8_check(buf, 2, LAPOR_UTF8_ALLOW_NEWLINES, &n),
                    0);
            UNIT_EQ(n, 2);

        } else {
            UNIT_EQ(lapor_utf8_check(buf, 2, LAPOR_UTF8_ALLOW_NEWLINES, &n),
                    -1);
        }
    }

    /* DEL */
    UNIT_EQ(check(S("ab\x7f"), 0, -1), 2);
    UNIT_EQ(check(S("ab\x7f"), LAPOR_UTF8_ALLOW_NEWLINES, -1), 2);

    /* C1 controls U+0080..U+009F: C2 80..C2 9F */
    for (c = 0x80; c < 0xa0; c++) {
        buf[0] = 'x';
        buf[1] = 0xc2;
        buf[2] = (unsigned char) c;

        UNIT_EQ(lapor_utf8_check(buf, 3, LAPOR_UTF8_ALLOW_NEWLINES, &n), -1);
        UNIT_EQ(n, 1);
    }

    /* U+00A0 (no-break space) is the first non-control after them */
    UNIT_EQ(check(S("\xc2\xa0"), 0, 0), 1);
}


static void
test_every_two_byte_lead(void)
{
    unsigned       c, d;
    int            rc, want;
    unsigned long  wrong;
    unsigned char  buf[2];

    wrong = 0;

    /* an exhaustive sweep of two-byte inputs against the rules */
    for (c = 0; c < 0x100; c++) {
        for (d = 0; d < 0x100; d++) {
            buf[0] = (unsigned char) c;
            buf[1] = (unsigned char) d;

            rc = lapor_utf8_check(buf, 2, 0, NULL);

            if (c >= 0x20 && c < 0x7f && d >= 0x20 && d < 0x7f) {
                want = 0;

            } else if (c >= 0xc2 && c < 0xe0 && d >= 0x80 && d < 0xc0) {
                want = (c == 0xc2 && d < 0xa0) ? -1 : 0;

            } else {
                want = -1;
            }

            if (rc != want) {
                fprintf(stderr, "two bytes %02x %02x: %d\n", c, d, rc);
                wrong++;
            }
        }
    }

    UNIT_EQ(wrong, 0);
}


/*
 * The word-at-a-time path for printable ASCII against the byte path: each
 * byte value at each position of texts of 1 to 24 bytes (so in a full
 * word, a partial word and the tail), with and without newlines allowed,
 * and a two-byte character at each position.
 */

static void
test_words(void)
{
    int             rc, want, flags;
    size_t          len, pos, n;
    unsigned        b;
    unsigned long   wrong;
    unsigned char   buf[24];

    wrong = 0;

    for (flags = 0; flags <= (int) LAPOR_UTF8_ALLOW_NEWLINES; flags++) {
        for (len = 1; len <= sizeof(buf); len++) {
            for (pos = 0; pos < len; pos++) {
                for (b = 0; b < 256; b++) {
                    memset(buf, 'a' + (int) (len % 26), len);
                    buf[pos] = (unsigned char) b;

                    want = (b >= 0x20 && b < 0x7f)
                           || (flags && (b == '\n' || b == '\r'
                                         || b == '\t'));

                    n = (size_t) -1;
                    rc = lapor_utf8_check(buf, len, (unsigned) flags, &n);

                    if ((rc == 0) != want || (want && n != len)
                        || (!want && n != pos))
                    {
                        wrong++;
                    }
                }
            }
        }
    }

    for (len = 2; len <= sizeof(buf); len++) {
        for (pos = 0; pos + 1 < len; pos++) {
            memset(buf, 'x', len);
            buf[pos] = 0xc3;
            buf[pos + 1] = 0xa9;

            n = (size_t) -1;

            if (lapor_utf8_check(buf, len, 0, &n) != 0 || n != len - 1) {
                wrong++;
            }
        }
    }

    UNIT_EQ(wrong, 0);
}


int
main(void)
{
    test_ascii();
    test_multibyte();
    test_indonesian();
    test_overlong();
    test_surrogates();
    test_above_max();
    test_truncated_and_stray();
    test_controls();
    test_every_two_byte_lead();
    test_words();

    return unit_report("utf8");
}
