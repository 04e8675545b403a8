
/*
 * Unit tests for the masking of personal data (lapor_mask.c).
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lapor_mask.h"
#include "unit.h"


/*
 * Every case also goes through invariants() and its failures are counted
 * here, checked once at the end: keeps the check count meaningful.
 */
static unsigned long  invariant_failures;


static void
show(const char *what, const unsigned char *s, size_t len)
{
    fprintf(stderr, "  %s \"%.*s\"\n", what, (int) len, (const char *) s);
}


/*
 * Exact-size copies, so that valgrind sees any read past len; one guard
 * byte after the output catches writes past it even without valgrind.
 */

static unsigned char *
dup_exact(const unsigned char *s, size_t len)
{
    unsigned char  *p;

    p = malloc(len ? len : 1);

    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }

    if (len) {
        memcpy(p, s, len);
    }

    return p;
}


/*
 * What must hold for any input: only ASCII bytes that can belong to an
 * item become '*', everything else is copied; masking the output again
 * finds nothing and changes nothing; masking in place gives the same.
 */

static void
invariants(const unsigned char *in, size_t len, const unsigned char *out,
    size_t n)
{
    size_t          k, n2, n3, masked;
    unsigned char  *again, *inplace;
    int             bad;

    bad = 0;
    masked = 0;

    for (k = 0; k < len; k++) {
        if (out[k] == in[k]) {
            continue;
        }

        masked++;

        if (out[k] != LAPOR_MASK_CHAR || in[k] >= 0x80 || in[k] == '@'
            || in[k] == ' ' || in[k] == '(' || in[k] == ')'
            || in[k] == '\n')
        {
            fprintf(stderr, "byte %zu: 0x%02x became 0x%02x\n",
                    k, in[k], out[k]);
            bad = 1;
        }
    }

    if ((n == 0) != (masked == 0) || n > masked) {
        fprintf(stderr, "%zu items but %zu bytes masked\n", n, masked);
        bad = 1;
    }

    again = malloc(len + 1);
    inplace = dup_exact(in, len);

    if (again == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }

    n2 = lapor_mask(out, len, again);

    if (n2 != 0 || memcmp(again, out, len) != 0) {
        fprintf(stderr, "masking twice differs (%zu more items)\n", n2);
        show("once: ", out, len);
        show("twice:", again, len);
        bad = 1;
    }

    n3 = lapor_mask(inplace, len, inplace);

    if (n3 != n || memcmp(inplace, out, len) != 0) {
        fprintf(stderr, "masking in place differs\n");
        show("in place:", inplace, len);
        bad = 1;
    }

    if (bad) {
        show("input:", in, len);
        invariant_failures++;
    }

    free(again);
    free(inplace);
}


/* masks and checks the invariants; the caller frees *res */

static size_t
mask(const unsigned char *s, size_t len, unsigned char **res)
{
    size_t          n;
    unsigned char  *in, *out;

    in = dup_exact(s, len);
    out = malloc(len + 1);

    if (out == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }

    out[len] = 0x5a;

    n = lapor_mask(in, len, out);

    if (out[len] != 0x5a) {
        fprintf(stderr, "written past the end\n");
        show("input:", s, len);
        invariant_failures++;
    }

    invariants(in, len, out, n);

    free(in);
    *res = out;

    return n;
}


/* two checks: the number of items and the masked text */

static void
expect(const char *in, const char *want, size_t want_n)
{
    size_t          len, n;
    int             same;
    unsigned char  *out;

    len = strlen(in);
    n = mask((const unsigned char *) in, len, &out);

    UNIT_EQ(n, want_n);

    same = strlen(want) == len && memcmp(out, want, len) == 0;

    if (!same) {
        show("input:", (const unsigned char *) in, len);
        show("got:  ", out, len);
        show("want: ", (const unsigned char *) want, strlen(want));
    }

    UNIT_TRUE(same);

    free(out);
}


/* unchanged: nothing is personal data */

static void
keep(const char *in)
{
    expect(in, in, 0);
}


static void
test_digit_runs(void)
{
    /* NIK, bare, in text, grouped by spaces or dashes */
    expect("5171012345678901", "****************", 1);
    expect("NIK saya 5171012345678901.", "NIK saya ****************.", 1);
    expect("5171 0123 4567 8901", "**** **** **** ****", 1);
    expect("5171-0123-4567-8901", "****-****-****-****", 1);

    /* phone numbers: the '+' is masked, separators stay */
    expect("0812-3456-7890", "****-****-****", 1);
    expect("081234567890", "************", 1);
    expect("+62 812 3456 7890", "*** *** **** ****", 1);
    expect("+6281234567890", "**************", 1);
    expect("WA: +62-812-3456-7890", "WA: ***-***-****-****", 1);
}


static void
test_digit_boundaries(void)
{
    /* 8 digits stay, 9 are masked, whatever the grouping */
    keep("12345678");
    expect("123456789", "*********", 1);
    keep("1234 5678");
    expect("1234 56789", "**** *****", 1);
    keep("+12345678");
    expect("+123456789", "**********", 1);

    /* dates stay */
    keep("tanggal 20250101");
    keep("kejadian 01-01-2025 dan 2025-01-02");
}


static void
test_digit_separators(void)
{
    /* amounts: dots and commas are not separators */
    keep("Rp 1.500.000.000");
    keep("pungutan liar 2.500.000 per bulan");
    keep("1,234,567,890");

    /* and neither are two separators, newline, tab, ':' or U+00A0 */
    keep("0812  3456 7890");
    keep("0812 - 3456 - 7890");
    keep("0812--3456-7890");
    keep("0812\n3456\n7890");
    keep("0812\t3456 7890");
    keep("0812:3456:7890");
    keep("0812\xc2\xa0" "3456\xc2\xa0" "7890");

    /* dotted phone numbers stay visible too: the price of visible amounts */
    keep("0812.3456.7890");

    /* a separator at either end is not part of the run */
    expect("123456789-", "*********-", 1);
    expect("-123456789 ", "-********* ", 1);

    /* '+' only when directly attached */
    expect("+ 123456789", "+ *********", 1);
    expect("++123456789", "+**********", 1);
    expect("1+123456789", "1**********", 1);

    /* documented over-masking: neighbours joined by one space */
    expect("2025-01-01 10.30", "****-**-** **.30", 1);
    expect("Rp 1 500 000 000", "Rp * *** *** ***", 1);
}


static void
test_area_codes(void)
{
    /* the decision: "(0...)" before digits is part of the run */
    expect("(0361) 222333", "(****) ******", 1);
    expect("(021)5551234", "(***)*******", 1);
    expect("(0812) 3456 7890", "(****) **** ****", 1);
    expect("Telp. (0361) 222333 / 0812-3456-7890",
           "Telp. (****) ****** / ****-****-****", 2);

    /* after a country code any short code in parentheses */
    expect("+62 (21) 5551234", "*** (**) *******", 1);
    expect("+62(361)222333", "***(***)******", 1);
    expect("+62 (0)812 3456 7890", "*** (*)*** **** ****", 1);

    /* not an area code: no leading 0, too short or long, not followed by
     * digits, two spaces, or in the middle of a run */
    keep("(2019) 1234567");
    keep("(0) 12345678");
    keep("(012345) 6789");
    keep("(0361) kantor");
    keep("(0361)  222333");
    keep("(0361)");
    keep("0812 (3456) 7890");

    /* digits inside parentheses are an ordinary run */
    expect("(081234567890)", "(************)", 1);
}


static void
test_glued(void)
{
    /* rule 4: no word boundary needed */
    expect("KTP5171012345678901", "KTP****************", 1);
    expect("NIK:5171012345678901;", "NIK:****************;", 1);
    expect("hp081234567890ok", "hp************ok", 1);
    keep("KTP51710123");
}


static void
test_emails(void)
{
    expect("budi.santoso@gmail.com", "************@*********", 1);

    /* no '@' anywhere: addresses are not looked for, numbers still are */
    expect("budi.santoso gmail.com 081234567890",
           "budi.santoso gmail.com ************", 1);
    expect("kirim ke a@b.co.id.", "kirim ke *@*******.", 1);
    expect("(a@b.co)", "(*@****)", 1);
    expect("a@b.co, c@d.org", "*@****, *@*****", 2);

    /* subdomains, plus addressing, every allowed character */
    expect("pengaduan@mail.dinas.go.id", "*********@****************", 1);
    expect("budi+lapor@gmail.com", "**********@*********", 1);
    expect("user_name%x-y@sub-domain.example.co.id",
           "*************@************************", 1);
    expect("A@B.CO.ID", "*@*******", 1);
    expect("x@mail2.host-1.id", "*@***************", 1);

    /* where the address starts */
    expect("email:budi@x.id", "email:****@****", 1);
    expect("emailbudi@x.id", "*********@****", 1);
    expect("...budi@x.id", "...****@****", 1);

    /* digits in an address are the address's, counted once */
    expect("081234567890@gmail.com", "************@*********", 1);
    expect("0812 3456 7890budi@x.id", "0812 3456 ********@****", 1);
    expect("0812 3456 7890 budi@x.id", "**** **** **** ****@****", 2);
    expect("(0361) 222333a@b.co", "(0361) *******@****", 1);
}


static void
test_not_emails(void)
{
    keep("a@b");
    keep("@user");
    keep("halo @budi_123");
    keep("user@");
    keep("x@y.z");
    keep("a@b.com2");
    keep("a@b..com");
    keep("a@.com");
    keep("a@b.c0m");
    keep("budi@gmail.");
    keep("rapat @ balai desa");

    /* right after a masked item a new token starts */
    expect("a@b.co_c@d.id", "*@******@****", 2);
    expect("a@b.co+@x.id", "*@*****@****", 2);
    expect("5171012345678901_c@d", "****************_c@d", 1);

    /* while digits glued to a local part are the address's */
    expect("5171012345678901_c@d.id", "******************@****", 1);

    /* "a@b" is no address but "b@c.com" is */
    expect("a@b@c.com", "a@*@*****", 1);

    /* a rejected domain is not cut back; its digits are a run */
    expect("a@b.co123456789", "a@b.co*********", 1);
    expect("a@b.co.123456789", "a@b.co.*********", 1);
    keep("a@b.co*");
    keep("a@b.co.*");
    expect("a@b.co+123456789", "*@**************", 2);
}


static void
test_non_ascii(void)
{
    /* "é" ends a run and is never masked */
    expect("\xc3\xa9" "5171012345678901" "\xc3\xa9",
           "\xc3\xa9" "****************" "\xc3\xa9", 1);
    expect("\xc3\xa9" "budi@x.id", "\xc3\xa9" "****@****", 1);
    expect("budi@x.id\xc3\xa9", "****@****\xc3\xa9", 1);
    keep("budi\xc3\xa9@x.id");
    keep("budi@x\xc3\xa9.id");

    expect("Nomor HP saya 0812 3456 7890, mohon dihubungi",
           "Nomor HP saya **** **** ****, mohon dihubungi", 1);
    expect("Jalan rusak \xe2\x80\x94 hubungi 081234567890 \xf0\x9f\x99\x8f",
           "Jalan rusak \xe2\x80\x94 hubungi ************ \xf0\x9f\x99\x8f",
           1);
}


static void
test_several_items(void)
{
    expect("NIK 5171012345678901, HP 0812-3456-7890, email budi@x.id",
           "NIK ****************, HP ****-****-****, email ****@****", 3);
    expect("Pungutan Rp 2.500.000 oleh petugas RT 05, hubungi 081234567890 "
           "atau 081298765432.",
           "Pungutan Rp 2.500.000 oleh petugas RT 05, hubungi ************ "
           "atau ************.", 2);
    expect("Pelapor:\nNIK 5171 0123 4567 8901\nTelp (0361) 222333\n"
           "Tahun 2024, No. 12",
           "Pelapor:\nNIK **** **** **** ****\nTelp (****) ******\n"
           "Tahun 2024, No. 12", 2);
}


static void
test_all_digits_and_empty(void)
{
    size_t          n;
    unsigned char  *out;

    expect("123456789012345678901234567890",
           "******************************", 1);
    expect("1234 5678 9012\n3456", "**** **** ****\n3456", 1);
    keep("1");

    /* empty: neither pointer is touched */
    UNIT_EQ(lapor_mask(NULL, 0, NULL), 0);

    n = mask((const unsigned char *) "", 0, &out);
    UNIT_EQ(n, 0);
    free(out);
}


static void
test_end_of_input(void)
{
    keep("hubungi 0812-3456-");
    expect("hubungi 0812-3456-789", "hubungi ****-****-***", 1);
    keep("hubungi +");
    keep("telp (0361");
    keep("telp (0361) ");
    keep("budi@gmail.c");
    keep("budi@");
    expect("budi@x.id", "****@****", 1);
    expect("budi@x.id.", "****@****.", 1);
}


static void
test_bytes_and_idempotence(void)
{
    static const char  text[] =
        "Lapor! Pungli Rp 150.000 di kantor kelurahan. NIK 5171012345678901, "
        "HP +62 812-3456-7890, surel warga.baik+lapor@mail.contoh.go.id.";
    static const char  want[] =
        "Lapor! Pungli Rp 150.000 di kantor kelurahan. NIK ****************, "
        "HP *** ***-****-****, surel ****************@*****************.";

    size_t          len, k, n, changed;
    unsigned char   buf[sizeof(text)], once[sizeof(text)];
    unsigned char   twice[sizeof(text)];

    len = sizeof(text) - 1;
    UNIT_EQ(strlen(want), len);

    n = lapor_mask((const unsigned char *) text, len, once);
    UNIT_EQ(n, 3);
    UNIT_TRUE(memcmp(once, want, len) == 0);

    /* only masked bytes differ, and each became '*' */
    changed = 0;

    for (k = 0; k < len; k++) {
        if (once[k] != (unsigned char) text[k]) {
            changed += (once[k] == '*');
        }
    }

    /* NIK 16, phone 14 ('+' and 13 digits), address 16 + 17 */
    UNIT_EQ(changed, 16 + 14 + 33);

    /* twice = once, with no further items */
    UNIT_EQ(lapor_mask(once, len, twice), 0);
    UNIT_TRUE(memcmp(once, twice, len) == 0);

    /* in place = into another buffer */
    memcpy(buf, text, len);
    UNIT_EQ(lapor_mask(buf, len, buf), 3);
    UNIT_TRUE(memcmp(buf, once, len) == 0);
}


/*
 * Random texts built from fragments that form and break items in many
 * ways; every one must keep the invariants (twice = once, in place = not,
 * only maskable bytes masked).
 */

static void
test_random(void)
{
    static const char  *frag[] = {
        "0", "1", "2", "5", "7", "9", "0812", "5171", "62", "361",
        " ", " ", "-", "+", "(", ")", "(0", "@", ".", ",", ":", "_", "%",
        "a", "b", "co", "id", "x1", "*", "\n", "\xc3\xa9", "\xc2\xa0",
        "a@b.co", "@x.id", ".com"
    };

    unsigned char   text[64], *out;
    unsigned long   seed, items;
    size_t          len, f, flen, round, parts, j;

    seed = 20250101;
    items = 0;

    for (round = 0; round < 20000; round++) {
        len = 0;
        seed = seed * 1103515245 + 12345;
        parts = (seed >> 16) % 24;

        for (j = 0; j < parts; j++) {
            seed = seed * 1103515245 + 12345;
            f = (seed >> 16) % (sizeof(frag) / sizeof(frag[0]));
            flen = strlen(frag[f]);

            if (len + flen > sizeof(text)) {
                break;
            }

            memcpy(text + len, frag[f], flen);
            len += flen;
        }

        items += mask(text, len, &out);
        free(out);
    }

    /* the texts did contain items */
    UNIT_TRUE(items > 1000);
}


/*
 * The first pass counts digits and looks for '@' eight bytes at a time:
 * nine digits in a run, or an address, at every offset of texts of every
 * length up to 40 (whole words, partial words, the tail) are masked; eight
 * digits spread out are not, and the text is left as it was.
 */

static void
test_word_boundaries(void)
{
    size_t          len, pos, k, n;
    unsigned long   wrong;
    unsigned char   in[48], out[48];

    wrong = 0;

    for (len = 9; len <= 40; len++) {
        for (pos = 0; pos + 9 <= len; pos++) {
            memset(in, 'x', len);

            for (k = 0; k < 9; k++) {
                in[pos + k] = (unsigned char) ('1' + k);
            }

            n = lapor_mask(in, len, out);

            for (k = 0; k < len; k++) {
                if (out[k] != ((k >= pos && k < pos + 9) ? '*' : 'x')) {
                    n = 99;
                }
            }

            wrong += (n != 1);
        }
    }

    for (len = 8; len <= 40; len++) {
        for (pos = 0; pos + 6 <= len; pos++) {
            memset(in, ' ', len);
            memcpy(in + pos, "a@b.co", 6);

            n = lapor_mask(in, len, out);

            wrong += (n != 1 || out[pos] != '*' || out[pos + 1] != '@');
        }
    }

    for (len = 16; len <= 40; len++) {
        for (pos = 0; pos + 16 <= len; pos++) {
            memset(in, 'y', len);

            /* eight digits, none next to another */
            for (k = 0; k < 8; k++) {
                in[pos + 2 * k] = '7';
            }

            n = lapor_mask(in, len, out);

            wrong += (n != 0 || memcmp(in, out, len) != 0);
        }
    }

    UNIT_EQ(wrong, 0);
}


int
main(void)
{
    test_digit_runs();
    test_digit_boundaries();
    test_digit_separators();
    test_area_codes();
    test_glued();
    test_emails();
    test_not_emails();
    test_non_ascii();
    test_several_items();
    test_all_digits_and_empty();
    test_end_of_input();
    test_bytes_and_idempotence();
    test_random();
    test_word_boundaries();

    /* every case above also went through invariants() */
    UNIT_EQ(invariant_failures, 0);

    return unit_report("mask");
}
