
/*
 * Cryptography for tokens and reporter identity, over libcrypto.
 */


#include <pthread.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#include <openssl/core_names.h>
#include <openssl/params.h>
#endif

#include "lapor_crypto.h"


static const char  lapor_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


static int lapor_b64_value(unsigned char c, int url_only);
static const EVP_MD *lapor_sha256_md(void);
static const EVP_CIPHER *lapor_gcm(void);


/*
 * With OpenSSL 3 EVP_sha256() and EVP_aes_256_gcm() make every init look
 * the implementation up again in the provider.  A worker fetches them once
 * (lapor_crypto_start) and frees them at exit (lapor_crypto_stop): a
 * module unloaded by a reload must not leave them behind.  Until then the
 * plain getters serve, as they do with OpenSSL 1.1.
 */

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
static EVP_MD      *lapor_md;
static EVP_CIPHER  *lapor_cipher;
#endif


/*
 * Random bytes are drawn from RAND_bytes() 4 KiB at a time: one call costs
 * as much as a submission's JSON parse, and a submission needs 36 bytes
 * (token and nonce).  The pool belongs to one process: a fork handler
 * empties it in the child, so no two processes ever hand out the same
 * bytes (asking getpid() on every call instead was a system call per
 * token).  Without the handler every call goes to RAND_bytes().  Bytes
 * handed out are wiped from the pool.
 */

#define LAPOR_RANDOM_POOL  4096

static unsigned char  lapor_pool[LAPOR_RANDOM_POOL];
static size_t         lapor_pool_left;
static int            lapor_pool_ready;     /* 1: handler set, -1: failed */

static void lapor_random_forget(void);


/*
 * One encryption and one decryption context per process, with the key
 * schedule of the last key used: setting a key up (and allocating the
 * context) was half the cost of sealing or opening a short identity.  The
 * key is compared on every call; freed by lapor_crypto_stop().
 */

typedef struct {
    EVP_CIPHER_CTX  *ctx;
    unsigned char    key[LAPOR_KEY_LEN];
} lapor_aead_t;

static lapor_aead_t  lapor_sealer;
static lapor_aead_t  lapor_opener;

static EVP_CIPHER_CTX *lapor_aead_ctx(lapor_aead_t *a,
    const unsigned char key[LAPOR_KEY_LEN], int enc);
static void lapor_aead_free(lapor_aead_t *a);


/*
 * The same for HMAC-SHA-256 (the rate limits' client keys, on every
 * limited request): HMAC() looks HMAC and SHA-256 up and sets a context
 * up each time, which cost as much as a third of a STATUS request.  One
 * context per process keeps the last key's inner and outer state; a call
 * with the same key only re-initialises it.  Keys of up to one SHA-256
 * block; longer ones (never the module's) go through HMAC().
 */

#if OPENSSL_VERSION_NUMBER >= 0x30000000L

#define LAPOR_MAC_KEY_MAX  64

typedef struct {
    EVP_MAC_CTX     *ctx;
    size_t           keylen;        /* 0: no key set */
    unsigned char    key[LAPOR_MAC_KEY_MAX];
} lapor_mac_t;

static lapor_mac_t  lapor_mac;

static EVP_MAC_CTX *lapor_mac_ctx(const unsigned char *key, size_t keylen);

#endif


void
lapor_crypto_start(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    if (lapor_md == NULL) {
        lapor_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    }

    if (lapor_cipher == NULL) {
        lapor_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    }
#endif
}


void
lapor_crypto_stop(void)
{
    lapor_aead_free(&lapor_sealer);
    lapor_aead_free(&lapor_opener);

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    EVP_MAC_CTX_free(lapor_mac.ctx);
    lapor_mac.ctx = NULL;
    lapor_mac.keylen = 0;
    OPENSSL_cleanse(lapor_mac.key, sizeof(lapor_mac.key));
#endif

    OPENSSL_cleanse(lapor_pool, sizeof(lapor_pool));
    lapor_pool_left = 0;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    EVP_MD_free(lapor_md);
    EVP_CIPHER_free(lapor_cipher);

    lapor_md = NULL;
    lapor_cipher = NULL;
#endif
}


static const EVP_MD *
lapor_sha256_md(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    if (lapor_md) {
        return lapor_md;
    }
#endif

    return EVP_sha256();
}


static const EVP_CIPHER *
lapor_gcm(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    if (lapor_cipher) {
        return lapor_cipher;
    }
#endif

    return EVP_aes_256_gcm();
}


int
lapor_sha256(const void *data, size_t len, unsigned char out[LAPOR_SHA256_LEN])
{
    unsigned int  n;

    if (EVP_Digest(data, len, out, &n, lapor_sha256_md(), NULL) != 1
        || n != LAPOR_SHA256_LEN)
    {
        return -1;
    }

    return 0;
}


int
lapor_hmac_sha256(const unsigned char *key, size_t keylen, const void *data,
    size_t len, unsigned char out[LAPOR_SHA256_LEN])
{
    unsigned int  n;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    size_t        outl;
    EVP_MAC_CTX  *ctx;

    ctx = lapor_mac_ctx(key, keylen);

    if (ctx != NULL) {
        /* no key: the one set before, its state ready */
        if (!EVP_MAC_init(ctx, NULL, 0, NULL)
            || !EVP_MAC_update(ctx, data, len)
            || !EVP_MAC_final(ctx, out, &outl, LAPOR_SHA256_LEN)
            || outl != LAPOR_SHA256_LEN)
        {
            lapor_mac.keylen = 0;
            return -1;
        }

        return 0;
    }
#endif

    if (keylen > 0x7fffffff
        || HMAC(lapor_sha256_md(), key, (int) keylen, data, len, out, &n)
           == NULL
        || n != LAPOR_SHA256_LEN)
    {
        return -1;
    }

    return 0;
}


void
lapor_hex(const unsigned char *in, size_t len, char *out)
{
    static const char  hex[] = "0123456789abcdef";

    while (len--) {
        *out++ = hex[*in >> 4];
        *out++ = hex[*in++ & 0xf];
    }
}


int
lapor_hex_digit(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


/* in the child of a fork(): the parent's bytes are not the child's */

static void
lapor_random_forget(void)
{
    OPENSSL_cleanse(lapor_pool, sizeof(lapor_pool));
    lapor_pool_left = 0;
}


int
lapor_random(unsigned char *buf, size_t len)
{
    unsigned char  *p;

    if (lapor_pool_ready == 0) {
        lapor_pool_ready = (pthread_atfork(NULL, NULL, lapor_random_forget)
                            == 0) ? 1 : -1;
    }

    if (len > LAPOR_RANDOM_POOL / 4 || lapor_pool_ready < 0) {
        if (len > 0x7fffffff) {
            return -1;
        }

        return RAND_bytes(buf, (int) len) == 1 ? 0 : -1;
    }

    if (lapor_pool_left < len) {
        if (RAND_bytes(lapor_pool, sizeof(lapor_pool)) != 1) {
            OPENSSL_cleanse(lapor_pool, sizeof(lapor_pool));
            lapor_pool_left = 0;
            return -1;
        }

        lapor_pool_left = sizeof(lapor_pool);
    }

    p = lapor_pool + sizeof(lapor_pool) - lapor_pool_left;

    memcpy(buf, p, len);
    OPENSSL_cleanse(p, len);
    lapor_pool_left -= len;

    return 0;
}


/* the process's context for key, set up when the key changes */

static EVP_CIPHER_CTX *
lapor_aead_ctx(lapor_aead_t *a, const unsigned char key[LAPOR_KEY_LEN],
    int enc)
{
    if (a->ctx && CRYPTO_memcmp(a->key, key, LAPOR_KEY_LEN) == 0) {
        return a->ctx;
    }

    lapor_aead_free(a);

    a->ctx = EVP_CIPHER_CTX_new();
    if (a->ctx == NULL) {
        return NULL;
    }

    if (EVP_CipherInit_ex(a->ctx, lapor_gcm(), NULL, NULL, NULL, enc) != 1
        || EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_GCM_SET_IVLEN,
                               LAPOR_SEAL_NONCE_LEN, NULL) != 1
        || EVP_CipherInit_ex(a->ctx, NULL, NULL, key, NULL, enc) != 1)
    {
        lapor_aead_free(a);
        return NULL;
    }

    memcpy(a->key, key, LAPOR_KEY_LEN);

    return a->ctx;
}


static void
lapor_aead_free(lapor_aead_t *a)
{
    /* frees the key schedule too */
    EVP_CIPHER_CTX_free(a->ctx);

    a->ctx = NULL;
    OPENSSL_cleanse(a->key, LAPOR_KEY_LEN);
}


#if OPENSSL_VERSION_NUMBER >= 0x30000000L

/* the process's HMAC context with this key set, or NULL: use HMAC() */

static EVP_MAC_CTX *
lapor_mac_ctx(const unsigned char *key, size_t keylen)
{
    EVP_MAC     *mac;
    OSSL_PARAM   params[2];

    if (keylen == 0 || keylen > LAPOR_MAC_KEY_MAX) {
        return NULL;
    }

    if (lapor_mac.keylen == keylen
        && CRYPTO_memcmp(lapor_mac.key, key, keylen) == 0)
    {
        return lapor_mac.ctx;
    }

    if (lapor_mac.ctx == NULL) {
        mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
        if (mac == NULL) {
            return NULL;
        }

        /* the context holds its own reference to the algorithm */
        lapor_mac.ctx = EVP_MAC_CTX_new(mac);
        EVP_MAC_free(mac);

        if (lapor_mac.ctx == NULL) {
            return NULL;
        }
    }

    lapor_mac.keylen = 0;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (!EVP_MAC_init(lapor_mac.ctx, key, keylen, params)) {
        return NULL;
    }

    memcpy(lapor_mac.key, key, keylen);
    lapor_mac.keylen = keylen;

    return lapor_mac.ctx;
}

#endif


size_t
lapor_base64url_encode(const unsigned char *in, size_t len, char *out)
{
    char      *p;
    uint32_t   v;

    p = out;

    while (len >= 3) {
        v = ((uint32_t) in[0] << 16) | ((uint32_t) in[1] << 8) | in[2];
        *p++ = lapor_b64url[v >> 18];
        *p++ = lapor_b64url[(v >> 12) & 0x3f];
        *p++ = lapor_b64url[(v >> 6) & 0x3f];
        *p++ = lapor_b64url[v & 0x3f];
        in += 3;
        len -= 3;
    }

    if (len == 2) {
        v = ((uint32_t) in[0] << 16) | ((uint32_t) in[1] << 8);
        *p++ = lapor_b64url[v >> 18];
        *p++ = lapor_b64url[(v >> 12) & 0x3f];
        *p++ = lapor_b64url[(v >> 6) & 0x3f];

    } else if (len == 1) {
        v = (uint32_t) in[0] << 16;
        *p++ = lapor_b64url[v >> 18];
        *p++ = lapor_b64url[(v >> 12) & 0x3f];
    }

    return p - out;
}


/*
 * The value of a base64 character, -1 outside the alphabet; the url-safe
 * "-_" always, "+/" only when url_only is 0.  A table: this runs for every
 * sealed identity a view opens.
 */

static const signed char  lapor_b64_table[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -2, -1, 62, -1, -3,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
    -1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
};


static int
lapor_b64_value(unsigned char c, int url_only)
{
    int  v;

    v = lapor_b64_table[c];

    /* "+" is -2 and "/" is -3: standard alphabet only */
    if (v == -2) {
        return url_only ? -1 : 62;
    }

    if (v == -3) {
        return url_only ? -1 : 63;
    }

    return v;
}


static long
lapor_base64_decode(const char *in, size_t len, unsigned char *out,
    int url_only)
{
    int             a, b, c, d;
    size_t          i;
    unsigned char  *p;

    if (len % 4 == 1) {
        return -1;
    }

    p = out;

    for (i = 0; i + 4 <= len; i += 4) {
        a = lapor_b64_value(in[i], url_only);
        b = lapor_b64_value(in[i + 1], url_only);
        c = lapor_b64_value(in[i + 2], url_only);
        d = lapor_b64_value(in[i + 3], url_only);

        if ((a | b | c | d) < 0) {
            return -1;
        }

        *p++ = (unsigned char) ((a << 2) | (b >> 4));
        *p++ = (unsigned char) ((b << 4) | (c >> 2));
        *p++ = (unsigned char) ((c << 6) | d);
    }

    switch (len - i) {

    case 3:
        a = lapor_b64_value(in[i], url_only);
        b = lapor_b64_value(in[i + 1], url_only);
        c = lapor_b64_value(in[i + 2], url_only);

        /* the unused low bits must be zero: one text per byte string */
        if ((a | b | c) < 0 || (c & 0x3)) {
            return -1;
        }

        *p++ = (unsigned char) ((a << 2) | (b >> 4));
        *p++ = (unsigned char) ((b << 4) | (c >> 2));
        break;

    case 2:
        a = lapor_b64_value(in[i], url_only);
        b = lapor_b64_value(in[i + 1], url_only);

        if ((a | b) < 0 || (b & 0xf)) {
            return -1;
        }

        *p++ = (unsigned char) ((a << 2) | (b >> 4));
        break;

    default:
        break;
    }

    return (long) (p - out);
}


long
lapor_base64url_decode(const char *in, size_t len, unsigned char *out)
{
    return lapor_base64_decode(in, len, out, 1);
}


int
lapor_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}


int
lapor_seal(const unsigned char key[LAPOR_KEY_LEN], const unsigned char *aad,
    size_t aadlen, const unsigned char *pt, size_t ptlen, unsigned char *out)
{
    int              n;
    unsigned char   *ct;
    EVP_CIPHER_CTX  *ctx;

    if (ptlen > 0x7fffffff - LAPOR_SEAL_OVERHEAD || aadlen > 0x7fffffff) {
        return -1;
    }

    /* a random nonce per message; 2^32 messages per key stay far below
     * the GCM collision bound */

    if (lapor_random(out, LAPOR_SEAL_NONCE_LEN) != 0) {
        return -1;
    }

    ctx = lapor_aead_ctx(&lapor_sealer, key, 1);
    if (ctx == NULL) {
        return -1;
    }

    ct = out + LAPOR_SEAL_NONCE_LEN;

    /* the key stays set up: only the nonce is new */

    if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, out) != 1
        || (aadlen
            && EVP_EncryptUpdate(ctx, NULL, &n, aad, (int) aadlen) != 1)
        || EVP_EncryptUpdate(ctx, ct, &n, pt, (int) ptlen) != 1
        || (size_t) n != ptlen
        || EVP_EncryptFinal_ex(ctx, ct + n, &n) != 1
        || n != 0
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, LAPOR_SEAL_TAG_LEN,
                               ct + ptlen) != 1)
    {
        /* a context left half way is not used again */
        lapor_aead_free(&lapor_sealer);
        return -1;
    }

    return 0;
}


int
lapor_open(const unsigned char key[LAPOR_KEY_LEN], const unsigned char *aad,
    size_t aadlen, const unsigned char *in, size_t inlen, unsigned char *pt)
{
    int              n;
    size_t           ctlen;
    unsigned char    tag[LAPOR_SEAL_TAG_LEN];
    EVP_CIPHER_CTX  *ctx;

    if (inlen < LAPOR_SEAL_OVERHEAD || inlen > 0x7fffffff
        || aadlen > 0x7fffffff)
    {
        return -1;
    }

    ctlen = inlen - LAPOR_SEAL_OVERHEAD;
    memcpy(tag, in + LAPOR_SEAL_NONCE_LEN + ctlen, LAPOR_SEAL_TAG_LEN);

    ctx = lapor_aead_ctx(&lapor_opener, key, 0);
    if (ctx == NULL) {
        return -1;
    }

    if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, in) != 1
        || (aadlen
            && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int) aadlen) != 1)
        || EVP_DecryptUpdate(ctx, pt, &n, in + LAPOR_SEAL_NONCE_LEN,
                             (int) ctlen) != 1
        || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, LAPOR_SEAL_TAG_LEN,
                               tag) != 1
        || EVP_DecryptFinal_ex(ctx, pt + n, &n) != 1)
    {
        /* never hand out plaintext that failed authentication */
        memset(pt, 0, ctlen);

        /* nor use a context left half way again */
        lapor_aead_free(&lapor_opener);

        return -1;
    }

    return 0;
}


int
lapor_key_parse(const unsigned char *text, size_t len,
    unsigned char key[LAPOR_KEY_LEN], const char **err)
{
    int            hi, lo;
    long           n;
    size_t         i;
    unsigned char  buf[48];

    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'
                   || text[len - 1] == ' ' || text[len - 1] == '\t'))
    {
        len--;
    }

    while (len && (text[0] == ' ' || text[0] == '\t' || text[0] == '\n'
                   || text[0] == '\r'))
    {
        text++;
        len--;
    }

    if (len == 2 * LAPOR_KEY_LEN) {
        for (i = 0; i < LAPOR_KEY_LEN; i++) {
            hi = text[2 * i];
            lo = text[2 * i + 1];

            hi = lapor_hex_digit(hi);
            lo = lapor_hex_digit(lo);

            if (hi < 0 || lo < 0) {
                *err = "is not 64 hexadecimal digits";
                return -1;
            }

            key[i] = (unsigned char) ((hi << 4) | lo);
        }

        return 0;
    }

    if (len == 44 && text[43] == '=') {
        len = 43;
    }

    if (len == 43) {
        n = lapor_base64_decode((const char *) text, len, buf, 0);

        if (n != LAPOR_KEY_LEN) {
            *err = "is not valid base64 of 32 bytes";
            return -1;
        }

        memcpy(key, buf, LAPOR_KEY_LEN);
        memset(buf, 0, sizeof(buf));

        return 0;
    }

    *err = "must hold 32 bytes as 64 hex digits or 44 base64 characters";

    return -1;
}
