
/*
 * Masking of NIK, phone numbers and e-mail addresses in report text; the
 * rules are in lapor_mask.h.
 *
 * One pass, left to right.  At every byte the scanner first tries an
 * address (only where a run of local-part characters starts), then a digit
 * run, else copies the byte.  A token start is tried as an address at most
 * three times and a domain is scanned only from the '@' right before it,
 * so the work stays linear.
 *
 * To allow in == out, nothing behind the current position is read back
 * from in: the byte before it is kept in "prev", read before a run is
 * copied.
 */


#include <stdint.h>
#include <string.h>

#include "lapor_mask.h"


#define LAPOR_MASK_ONES   0x0101010101010101ULL
#define LAPOR_MASK_HIGHS  0x8080808080808080ULL


static int lapor_mask_is_digit(unsigned char c);
static int lapor_mask_is_alpha(unsigned char c);
static int lapor_mask_is_local(unsigned char c);
static int lapor_mask_is_label(unsigned char c);
static size_t lapor_mask_email(const unsigned char *in, size_t len, size_t i,
    size_t *start);
static size_t lapor_mask_area(const unsigned char *in, size_t len, size_t i,
    int zero, size_t *digits);
static size_t lapor_mask_run(const unsigned char *in, size_t len, size_t i,
    size_t *digits);
static size_t lapor_mask_digits8(uint64_t w);
static size_t lapor_mask_has_at8(uint64_t w);


/* explicit ASCII ranges: <ctype.h> would depend on the locale */

static int
lapor_mask_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}


static int
lapor_mask_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}


static int
lapor_mask_is_local(unsigned char c)
{
    return lapor_mask_is_alpha(c) || lapor_mask_is_digit(c)
           || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}


static int
lapor_mask_is_label(unsigned char c)
{
    return lapor_mask_is_alpha(c) || lapor_mask_is_digit(c) || c == '-';
}


/*
 * Tries an address whose local part starts at in[i], a token start.
 * Returns the offset just past the address, or 0 when there is none;
 * *start receives the offset of the address (leading dots skipped).
 */

static size_t
lapor_mask_email(const unsigned char *in, size_t len, size_t i,
    size_t *start)
{
    size_t  p, label, labels;
    int     letters;

    while (i < len && in[i] == '.') {
        i++;
    }

    p = i;

    while (p < len && lapor_mask_is_local(in[p])) {
        p++;
    }

    if (p == i || p == len || in[p] != '@') {
        return 0;
    }

    p++;
    labels = 0;

    for ( ;; ) {
        label = p;
        letters = 1;

        while (p < len && lapor_mask_is_label(in[p])) {
            if (!lapor_mask_is_alpha(in[p])) {
                letters = 0;
            }

            p++;
        }

        if (p == label) {
            /* only the first label can be empty: "user@", "a@.b" */
            return 0;
        }

        labels++;

        /* a dot belongs to the domain only when a label follows it */
        if (len - p < 2 || in[p] != '.' || !lapor_mask_is_label(in[p + 1])) {
            break;
        }

        p++;
    }

    /*
     * Judged on the longest domain only: cutting "a@b.com2" back to an
     * address that ends earlier would mask less than the reporter typed
     * and make the result depend on what follows.
     */

    if (labels < 2 || !letters || p - label < 2) {
        return 0;
    }

    /*
     * A '*' right after the domain may stand for digits masked before:
     * "a@b.co123456789" and "a@b.co.123456789" are no addresses, so their
     * masked forms "a@b.co*********" and "a@b.co.*********" must not be
     * either, or masking twice would differ from masking once.
     */

    if (p < len
        && (in[p] == LAPOR_MASK_CHAR
            || (in[p] == '.' && len - p > 1
                && in[p + 1] == LAPOR_MASK_CHAR)))
    {
        return 0;
    }

    *start = i;

    return p;
}


/*
 * Tries a parenthesized area code at in[i] == '(': 1 to 5 digits (with
 * "zero": 2 to 5 digits, the first one 0), ")", at most one space, then a
 * digit that does not start an address.  Returns the offset of that digit
 * and adds the digits of the code to *digits, or returns 0.
 */

static size_t
lapor_mask_area(const unsigned char *in, size_t len, size_t i, int zero,
    size_t *digits)
{
    size_t  p, d, start;

    p = i + 1;

    if (zero && (p == len || in[p] != '0')) {
        return 0;
    }

    d = 0;

    while (p < len && lapor_mask_is_digit(in[p])) {
        p++;
        d++;
    }

    if (d < (zero ? 2 : 1) || d > 5 || p == len || in[p] != ')') {
        return 0;
    }

    p++;

    if (p < len && in[p] == ' ') {
        p++;
    }

    if (p == len || !lapor_mask_is_digit(in[p])) {
        return 0;
    }

    /* after ')' or ' ' the digit is a token start */
    if (lapor_mask_email(in, len, p, &start)) {
        return 0;
    }

    *digits += d;

    return p;
}


/*
 * Tries a digit run at in[i].  Returns the offset just past the run, or 0
 * when none starts here; *digits receives the number of digits.
 */

static size_t
lapor_mask_run(const unsigned char *in, size_t len, size_t i,
    size_t *digits)
{
    size_t  p, q, d, start;

    p = i;
    d = 0;

    if (in[p] == '+') {
        if (len - p < 2 || !lapor_mask_is_digit(in[p + 1])) {
            return 0;
        }

        for (p++; p < len && lapor_mask_is_digit(in[p]); p++) {
            d++;
        }

        /* an area code after the country code: "+62 (21) 5551234" */

        q = p;

        if (q < len && in[q] == ' ') {
            q++;
        }

        if (q < len && in[q] == '(') {
            q = lapor_mask_area(in, len, q, 0, &d);

            if (q) {
                p = q;
            }
        }

    } else if (in[p] == '(') {
        p = lapor_mask_area(in, len, i, 1, &d);

        if (p == 0) {
            return 0;
        }

    } else if (!lapor_mask_is_digit(in[p])) {
        return 0;
    }

    for ( ;; ) {
        while (p < len && lapor_mask_is_digit(in[p])) {
            p++;
            d++;
        }

        if (len - p < 2
            || (in[p] != ' ' && in[p] != '-')
            || !lapor_mask_is_digit(in[p + 1]))
        {
            break;
        }

        /*
         * After a space the next digit starts a token that may be the
         * local part of an address: the address wins.  After '-' it may
         * not, the address would have started before the run.
         */

        if (in[p] == ' ' && lapor_mask_email(in, len, p + 1, &start)) {
            break;
        }

        p++;
    }

    *digits = d;

    return p;
}


/*
 * How many of the eight bytes of w are ASCII digits.  With the high bits
 * cleared no addition carries into the next byte: t + (0x80 - 0x30) has
 * the high bit iff t >= 0x30, t + (0x80 - 0x3a) iff t >= 0x3a; bytes that
 * had the high bit are no digits.  The flags (0 or 1 per byte) are summed
 * by the multiplication into the top byte.
 */

static size_t
lapor_mask_digits8(uint64_t w)
{
    uint64_t  t, d;

    t = w & ~LAPOR_MASK_HIGHS;

    d = (t + (0x80 - 0x30) * LAPOR_MASK_ONES)
        & ~(t + (0x80 - 0x3a) * LAPOR_MASK_ONES)
        & ~w & LAPOR_MASK_HIGHS;

    return (size_t) (((d >> 7) * LAPOR_MASK_ONES) >> 56);
}


/* whether one of the eight bytes of w is '@' (a zero byte of w ^ "@@..") */

static size_t
lapor_mask_has_at8(uint64_t w)
{
    uint64_t  v;

    v = w ^ ('@' * LAPOR_MASK_ONES);

    return ((v - LAPOR_MASK_ONES) & ~v & LAPOR_MASK_HIGHS) != 0;
}


size_t
lapor_mask(const unsigned char *in, size_t len, unsigned char *out)
{
    size_t         i, k, end, start, digits, n, at;
    uint64_t       w;
    unsigned char  c, prev;

    /*
     * Most texts hold no e-mail address and fewer than nine digits: then
     * nothing can match, and one pass decides it, eight bytes at a time.
     */

    digits = 0;
    n = 0;

    for (i = 0; len - i >= 8; i += 8) {
        memcpy(&w, in + i, 8);
        digits += lapor_mask_digits8(w);
        n |= lapor_mask_has_at8(w);
    }

    for ( /* void */ ; i < len; i++) {
        c = in[i];
        digits += (c >= '0' && c <= '9');
        n |= (c == '@');
    }

    if (n == 0 && digits < LAPOR_MASK_MIN_DIGITS) {
        if (out != in && len) {
            memcpy(out, in, len);
        }

        return 0;
    }

    /* without an '@' no address can start anywhere: digit runs only */
    at = n;

    n = 0;
    i = 0;
    prev = '\0';

    while (i < len) {
        c = in[i];

        if (at && lapor_mask_is_local(c) && !lapor_mask_is_local(prev)) {
            end = lapor_mask_email(in, len, i, &start);

            if (end) {
                for (k = i; k < end; k++) {
                    out[k] = (k < start || in[k] == '@') ? in[k]
                                                         : LAPOR_MASK_CHAR;
                }

                /*
                 * What follows is judged as if the item were already
                 * masked: a token may start right after it, as it would
                 * when the output is masked again ("a@b.co_c@d.id").
                 */
                prev = LAPOR_MASK_CHAR;

                n++;
                i = end;
                continue;
            }
        }

        /* a run starts only at a digit, '+' or '(' */

        end = (lapor_mask_is_digit(c) || c == '+' || c == '(')
              ? lapor_mask_run(in, len, i, &digits) : 0;

        if (end) {
            prev = in[end - 1];

            for (k = i; k < end; k++) {
                out[k] = (digits >= LAPOR_MASK_MIN_DIGITS
                          && (lapor_mask_is_digit(in[k]) || in[k] == '+'))
                         ? LAPOR_MASK_CHAR : in[k];
            }

            if (digits >= LAPOR_MASK_MIN_DIGITS) {
                /* as after an address */
                prev = LAPOR_MASK_CHAR;
                n++;
            }

            i = end;
            continue;
        }

        out[i] = c;
        prev = c;
        i++;
    }

    return n;
}
