
/*
 * Masking of personal data (NIK, phone numbers, e-mail addresses) in the
 * free text of reports (title, body, place) before it is shown publicly.
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 */


#ifndef _LAPOR_MASK_H_INCLUDED_
#define _LAPOR_MASK_H_INCLUDED_


#include <stddef.h>


#define LAPOR_MASK_CHAR        '*'

/* a digit run with this many digits or more is masked */
#define LAPOR_MASK_MIN_DIGITS  9


/*
 * Masks personal data in UTF-8 text, writing to out (room for len bytes:
 * the masked text has the same length as the input, every masked byte
 * becomes '*', every other byte is copied unchanged).  Returns the number
 * of masked items.  out may be the same buffer as in (masking in place);
 * no other overlap is allowed.  With len 0 neither pointer is used.  No
 * allocation, no locale: only ASCII bytes are ever classified.
 *
 * 1. Digit runs (NIK, phone numbers).  A run is a maximal sequence of
 *    ASCII digits in which a single ' ' or '-' may sit between two digits,
 *    optionally preceded by a directly attached '+'.  A run of 9 or more
 *    digits is one item: its digits and its '+' are masked, the separators
 *    stay: "5171012345678901", "5171 0123 4567 8901", "0812-3456-7890",
 *    "+62 812 3456 7890" -> "*** *** **** ****".  Runs of 8 or fewer
 *    digits stay: dates (20250101, 01-01-2025), years, house numbers.
 *
 *    Dots, commas, ':', newlines, tabs, two separators in a row and
 *    non-ASCII spaces (U+00A0) are not separators, so amounts written the
 *    Indonesian way ("Rp 1.500.000.000", "2.500.000") stay visible, as do
 *    clock times.  The price of single-space separators: numbers that merely
 *    stand next to each other become one run, "2025-01-01 10.30" masks
 *    "2025-01-01 10" (10 digits), "Rp 1 500 000 000" is masked.
 *
 *    Area codes in parentheses, because landlines are written that way:
 *    "(0" plus 1 to 4 more digits plus ")", then at most one space, then a
 *    digit, starts a run and its digits count with the rest: "(0361) 222333"
 *    and "(021)5551234" become "(****) ******" and "(***)*******"; the
 *    parentheses stay.  Only codes beginning with 0 (all Indonesian area
 *    codes do), so "(2019) 1234567" is two short runs and stays visible.
 *    After the country code of a '+' run, at most one space away, any 1 to
 *    5 digits in parentheses are accepted the same way: "+62 (21) 5551234"
 *    -> "*** (**) *******".  Nowhere else: "0812 (3456) 7890" is three
 *    short runs.
 *
 * 2. E-mail addresses: local@domain where local is one or more of
 *    [A-Za-z0-9._%+-] (leading dots excluded, so "...budi@x.id" keeps its
 *    "...") and domain is labels of [A-Za-z0-9-]+ joined by single dots, at
 *    least two labels, the last one 2 or more ASCII letters.  The whole
 *    address except the '@' is masked.  The domain is the longest such
 *    sequence; punctuation after it stays: "kirim ke a@b.co.id." keeps the
 *    final dot, "(a@b.co)" keeps ")".  Not addresses: "a@b", "@user",
 *    "user@", "x@y.z" (one-letter TLD), "a@b.com2" (last label not letters
 *    only: rejected as a whole, the domain is not cut back to "b").
 *
 *    An address is one item even when its local part holds 9 or more
 *    digits, and a digit run never extends into an address: in
 *    "0812 3456 7890budi@x.id" the address is "7890budi@x.id" and
 *    "0812 3456" (8 digits) stays.
 *
 *    A domain directly followed by '*' or ".*" is no address: the '*' may
 *    stand for digits masked by rule 1, and "a@b.co123456789" (digits
 *    masked, no address) must not turn into the address "a@b.co" when the
 *    output "a@b.co*********" is masked again.  Masking twice gives the
 *    same text as masking once.
 *
 * 3. Non-ASCII bytes are never masked and are never part of an item: a
 *    digit run or an address ends at them ("é5171012345678901é" masks the
 *    16 digits only), and the output stays valid UTF-8.
 *
 * 4. No word boundary is required: digits glued to letters are still a run
 *    ("KTP5171012345678901" -> "KTP****************"), since reporters type
 *    that.  An address starts where its run of local-part characters
 *    starts, so "emailbudi@x.id" is masked whole but "email:budi@x.id"
 *    keeps "email:".  The end of a masked item also starts such a run, as
 *    it would in the masked output: "a@b.co_c@d.id" is two addresses.
 */
size_t lapor_mask(const unsigned char *in, size_t len, unsigned char *out);


#endif /* _LAPOR_MASK_H_INCLUDED_ */
