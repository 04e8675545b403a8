
/*
 * Strict UTF-8 validation of text that came from clients.
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 */


#ifndef _LAPOR_UTF8_H_INCLUDED_
#define _LAPOR_UTF8_H_INCLUDED_


#include <stddef.h>


/* \n, \r and \t allowed (multi-line text) */
#define LAPOR_UTF8_ALLOW_NEWLINES  0x01

/* well-formedness only: every control allowed (C0, DEL, C1), for output */
#define LAPOR_UTF8_ALLOW_CONTROLS  0x02


/*
 * Strict UTF-8 check: rejects overlong forms (C0/C1, E0 80..9F, F0 80..8F),
 * UTF-16 surrogates (ED A0..BF), code points above U+10FFFF (F4 90+,
 * F5..FF), truncated sequences and stray continuation bytes, NUL, the other
 * C0 controls (0x01-0x1F) except those allowed by flags, DEL (0x7F) and the
 * C1 controls (U+0080..U+009F), unless flags allow them.
 *
 * On success returns 0 and stores the number of characters (code points)
 * in *nchars (which may be NULL).  On failure returns -1 and stores in
 * *nchars the byte offset of the first byte of the offending sequence (for
 * a bad continuation byte or a truncated sequence, its lead byte).
 */
int lapor_utf8_check(const unsigned char *s, size_t len, unsigned flags,
    size_t *nchars);


#endif /* _LAPOR_UTF8_H_INCLUDED_ */
