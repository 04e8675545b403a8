
/*
 * Cryptography for tokens and reporter identity, over OpenSSL's libcrypto
 * (which nginx links already).  Plain C, unit tested directly.
 */


#ifndef _LAPOR_CRYPTO_H_INCLUDED_
#define _LAPOR_CRYPTO_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define LAPOR_SHA256_LEN        32
#define LAPOR_KEY_LEN           32
#define LAPOR_SEAL_NONCE_LEN    12
#define LAPOR_SEAL_TAG_LEN      16
#define LAPOR_SEAL_OVERHEAD     (LAPOR_SEAL_NONCE_LEN + LAPOR_SEAL_TAG_LEN)

/* characters of base64url without padding for n bytes */
#define lapor_base64url_len(n)  (((n) * 4 + 2) / 3)


/* per process: fetch the algorithms once, and free them */
void lapor_crypto_start(void);
void lapor_crypto_stop(void);

int lapor_sha256(const void *data, size_t len,
    unsigned char out[LAPOR_SHA256_LEN]);

/* HMAC-SHA-256: a keyed hash, for values that must not be guessable */
int lapor_hmac_sha256(const unsigned char *key, size_t keylen,
    const void *data, size_t len, unsigned char out[LAPOR_SHA256_LEN]);

/* lowercase hex; out has room for 2 * len characters (no NUL added) */
void lapor_hex(const unsigned char *in, size_t len, char *out);

/* the value of a hex digit (either case), or -1 */
int lapor_hex_digit(int c);

/* bytes from the operating system's CSPRNG; 0 on success, -1 on failure */
int lapor_random(unsigned char *buf, size_t len);

/* base64url without padding; returns the length written */
size_t lapor_base64url_encode(const unsigned char *in, size_t len, char *out);

/*
 * Strict decoding of unpadded base64url: returns the decoded length, or -1
 * on a character outside the alphabet, an impossible length or non-zero
 * trailing bits.  out needs (len * 3) / 4 bytes.
 */
long lapor_base64url_decode(const char *in, size_t len, unsigned char *out);

/* timing-independent comparison: 1 when equal */
int lapor_equal(const void *a, const void *b, size_t len);

/*
 * AES-256-GCM with a random 96-bit nonce.  Sealed layout:
 * nonce (12) | ciphertext (ptlen) | tag (16).  The associated data binds the
 * ciphertext to its place (namespace and report id): moved elsewhere it no
 * longer opens.  Both return 0 on success, -1 on failure (for open: also a
 * wrong key, a tampered text or different associated data).
 */
int lapor_seal(const unsigned char key[LAPOR_KEY_LEN],
    const unsigned char *aad, size_t aadlen,
    const unsigned char *pt, size_t ptlen, unsigned char *out);
int lapor_open(const unsigned char key[LAPOR_KEY_LEN],
    const unsigned char *aad, size_t aadlen,
    const unsigned char *in, size_t inlen, unsigned char *pt);

/*
 * A key file's text: 64 hex digits or 43/44 characters of base64 (standard
 * or url alphabet), surrounded by optional white space.  0 on success, -1
 * with a reason in *err.
 */
int lapor_key_parse(const unsigned char *text, size_t len,
    unsigned char key[LAPOR_KEY_LEN], const char **err);


#endif /* _LAPOR_CRYPTO_H_INCLUDED_ */
