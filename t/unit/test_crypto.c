
/*
 * Unit tests for lapor_crypto.c: hashes, encodings, AES-256-GCM sealing and
 * key files.
 */


#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lapor_crypto.h"
#include "unit.h"


static int
contains(const unsigned char *hay, size_t len, const char *needle)
{
    size_t  i, n;

    n = strlen(needle);

    for (i = 0; i + n <= len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return 1;
        }
    }

    return 0;
}


static void
test_sha256_vectors(void)
{
    unsigned char  d[LAPOR_SHA256_LEN];
    char           hex[2 * LAPOR_SHA256_LEN + 1];

    /* FIPS 180-2 examples */

    UNIT_EQ(lapor_sha256("abc", 3, d), 0);
    lapor_hex(d, sizeof(d), hex);
    hex[64] = '\0';
    UNIT_TRUE(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223"
                          "b00361a396177a9cb410ff61f20015ad") == 0);

    UNIT_EQ(lapor_sha256("", 0, d), 0);
    lapor_hex(d, sizeof(d), hex);
    UNIT_TRUE(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                          "27ae41e4649b934ca495991b7852b855") == 0);
}


static void
test_hmac_vector(void)
{
    unsigned char  d[LAPOR_SHA256_LEN];
    char           hex[2 * LAPOR_SHA256_LEN + 1];

    /* RFC 4231, test case 2 */

    UNIT_EQ(lapor_hmac_sha256((const unsigned char *) "Jefe", 4,
                              "what do ya want for nothing?", 28, d), 0);
    lapor_hex(d, sizeof(d), hex);
    hex[64] = '\0';
    UNIT_TRUE(strcmp(hex, "5bdcc146bf60754e6a042426089575c7"
                          "5a003f089d2739839dec58b964ec3843") == 0);
}


/* the context of the last key serves again, and a new key replaces it */

static void
test_hmac_keys_alternate(void)
{
    int            i;
    unsigned char  d[LAPOR_SHA256_LEN], k1[20], k3[131];
    char           hex[2 * LAPOR_SHA256_LEN + 1];

    static const char  *want[] = {
        /* RFC 4231, test case 1: key 0x0b x 20, "Hi There" */
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        /* test case 2 */
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        /* test case 6: key 0xaa x 131 (longer than a block) */
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    };

    memset(k1, 0x0b, sizeof(k1));
    memset(k3, 0xaa, sizeof(k3));

    for (i = 0; i < 7; i++) {
        switch (i % 3) {

        case 0:
            UNIT_EQ(lapor_hmac_sha256(k1, sizeof(k1), "Hi There", 8, d), 0);
            lapor_hex(d, sizeof(d), hex);
            hex[64] = '\0';
            UNIT_TRUE(strcmp(hex, want[0]) == 0);
            break;

        case 1:
            UNIT_EQ(lapor_hmac_sha256((const unsigned char *) "Jefe", 4,
                                      "what do ya want for nothing?", 28, d),
                    0);
            lapor_hex(d, sizeof(d), hex);
            hex[64] = '\0';
            UNIT_TRUE(strcmp(hex, want[1]) == 0);
            break;

        default:
            UNIT_EQ(lapor_hmac_sha256(k3, sizeof(k3),
                                      "Test Using Larger Than Block-Size Key "
                                      "- Hash Key First", 54, d), 0);
            lapor_hex(d, sizeof(d), hex);
            hex[64] = '\0';
            UNIT_TRUE(strcmp(hex, want[2]) == 0);
            break;
        }
    }

    /* the same key twice in a row, and after the others */

    for (i = 0; i < 2; i++) {
        UNIT_EQ(lapor_hmac_sha256(k1, sizeof(k1), "Hi There", 8, d), 0);
        lapor_hex(d, sizeof(d), hex);
        hex[64] = '\0';
        UNIT_TRUE(strcmp(hex, want[0]) == 0);
    }
}


static void
test_base64url_round_trip(void)
{
    unsigned char  in[64], out[64];
    char           text[128];
    size_t         len, n;
    long           m;

    for (len = 0; len < sizeof(in); len++) {
        for (n = 0; n < len; n++) {
            in[n] = (unsigned char) (n * 37 + len);
        }

        n = lapor_base64url_encode(in, len, text);
        UNIT_EQ(n, lapor_base64url_len(len));

        m = lapor_base64url_decode(text, n, out);
        UNIT_EQ(m, len);
        UNIT_TRUE(memcmp(in, out, len) == 0);
    }

    /* RFC 4648 test vectors, url alphabet, no padding */
    n = lapor_base64url_encode((const unsigned char *) "foobar", 6, text);
    UNIT_TRUE(n == 8 && memcmp(text, "Zm9vYmFy", 8) == 0);
    n = lapor_base64url_encode((const unsigned char *) "fo", 2, text);
    UNIT_TRUE(n == 3 && memcmp(text, "Zm8", 3) == 0);
    n = lapor_base64url_encode((const unsigned char *) "\xfb\xff", 2, text);
    UNIT_TRUE(n == 3 && memcmp(text, "-_8", 3) == 0);
}


static void
test_base64url_rejects(void)
{
    unsigned char  out[16];

    UNIT_EQ(lapor_base64url_decode("Zm9v=", 5, out), -1);    /* padding */
    UNIT_EQ(lapor_base64url_decode("Zm+v", 4, out), -1);     /* "+" */
    UNIT_EQ(lapor_base64url_decode("Zm/v", 4, out), -1);     /* "/" */
    UNIT_EQ(lapor_base64url_decode("Z", 1, out), -1);        /* length */
    UNIT_EQ(lapor_base64url_decode("Zm9", 3, out), -1);      /* low bits */
    UNIT_EQ(lapor_base64url_decode("Zh", 2, out), -1);       /* low bits */
    UNIT_EQ(lapor_base64url_decode("Zm8", 3, out), 2);
    UNIT_EQ(lapor_base64url_decode("", 0, out), 0);
    UNIT_EQ(lapor_base64url_decode("Zm 9", 4, out), -1);
}


static void
test_random_differs(void)
{
    unsigned char  a[16], b[16];

    UNIT_EQ(lapor_random(a, sizeof(a)), 0);
    UNIT_EQ(lapor_random(b, sizeof(b)), 0);
    UNIT_TRUE(memcmp(a, b, sizeof(a)) != 0);
}


/*
 * Random bytes come from a pool per process: a forked child must not hand
 * out what its parent hands out next.  Many draws through several refills
 * are all different.
 */

static void
test_random_pool(void)
{
    int            fd[2];
    pid_t          pid;
    size_t         i;
    unsigned char  a[32], child[32], parent[32], prev[24], cur[24];
    unsigned long  same;

    /* the pool is filled before the fork */
    UNIT_EQ(lapor_random(a, sizeof(a)), 0);

    UNIT_EQ(pipe(fd), 0);
    pid = fork();

    if (pid == 0) {
        close(fd[0]);

        if (lapor_random(child, sizeof(child)) != 0) {
            memset(child, 0, sizeof(child));
        }

        _exit(write(fd[1], child, sizeof(child)) == sizeof(child) ? 0 : 1);
    }

    close(fd[1]);
    UNIT_TRUE(pid > 0);
    UNIT_EQ(read(fd[0], child, sizeof(child)), (ssize_t) sizeof(child));
    close(fd[0]);
    waitpid(pid, NULL, 0);

    UNIT_EQ(lapor_random(parent, sizeof(parent)), 0);
    UNIT_TRUE(memcmp(child, parent, sizeof(child)) != 0);
    UNIT_TRUE(memcmp(child, a, sizeof(child)) != 0);

    /* 2000 tokens: the pool refills about a dozen times */
    same = 0;
    memset(prev, 0, sizeof(prev));

    for (i = 0; i < 2000; i++) {
        UNIT_TRUE(lapor_random(cur, sizeof(cur)) == 0 || i == 0);
        same += (memcmp(prev, cur, sizeof(cur)) == 0);
        memcpy(prev, cur, sizeof(cur));
    }

    UNIT_EQ(same, 0);

    /* larger requests go straight to RAND_bytes() */
    {
        unsigned char  big[2048], big2[2048];

        UNIT_EQ(lapor_random(big, sizeof(big)), 0);
        UNIT_EQ(lapor_random(big2, sizeof(big2)), 0);
        UNIT_TRUE(memcmp(big, big2, sizeof(big)) != 0);
    }
}


/*
 * Sealing and opening keep a context per process for the last key: keys
 * alternating, and a failed open in between, change nothing.
 */

static void
test_seal_open_keys(void)
{
    int             i, ok;
    unsigned char   k1[LAPOR_KEY_LEN], k2[LAPOR_KEY_LEN];
    unsigned char   s1[64], s2[64], pt[64];
    const char     *msg = "Made Wirawan";
    size_t          len;

    memset(k1, 0x11, sizeof(k1));
    memset(k2, 0x22, sizeof(k2));
    len = strlen(msg);
    ok = 1;

    for (i = 0; i < 50; i++) {
        ok &= lapor_seal(k1, (const unsigned char *) "a", 1,
                         (const unsigned char *) msg, len, s1) == 0;
        ok &= lapor_seal(k2, (const unsigned char *) "a", 1,
                         (const unsigned char *) msg, len, s2) == 0;

        ok &= lapor_open(k2, (const unsigned char *) "a", 1, s1,
                         len + LAPOR_SEAL_OVERHEAD, pt) != 0;
        ok &= lapor_open(k1, (const unsigned char *) "a", 1, s1,
                         len + LAPOR_SEAL_OVERHEAD, pt) == 0
              && memcmp(pt, msg, len) == 0;
        ok &= lapor_open(k2, (const unsigned char *) "a", 1, s2,
                         len + LAPOR_SEAL_OVERHEAD, pt) == 0
              && memcmp(pt, msg, len) == 0;
        ok &= lapor_open(k2, (const unsigned char *) "b", 1, s2,
                         len + LAPOR_SEAL_OVERHEAD, pt) != 0;
        ok &= lapor_open(k1, (const unsigned char *) "a", 1, s1,
                         len + LAPOR_SEAL_OVERHEAD, pt) == 0;
    }

    UNIT_TRUE(ok);
}


static void
test_equal(void)
{
    UNIT_TRUE(lapor_equal("abcd", "abcd", 4));
    UNIT_TRUE(!lapor_equal("abcd", "abce", 4));
    UNIT_TRUE(lapor_equal("", "", 0));
}


static void
test_seal_open(void)
{
    unsigned char  key[LAPOR_KEY_LEN], key2[LAPOR_KEY_LEN];
    unsigned char  sealed[256], sealed2[256], pt[256];
    const char    *msg = "{\"name\":\"Ni Luh Putu\",\"contact\":\"0812...\"}";
    const char    *aad = "lapor:{bali}:report:17";
    size_t         len;

    memset(key, 7, sizeof(key));
    memset(key2, 8, sizeof(key2));
    len = strlen(msg);

    UNIT_EQ(lapor_seal(key, (const unsigned char *) aad, strlen(aad),
                       (const unsigned char *) msg, len, sealed), 0);

    /* no plaintext in the sealed text */
    UNIT_TRUE(!contains(sealed, len + LAPOR_SEAL_OVERHEAD, "Ni Luh"));

    UNIT_EQ(lapor_open(key, (const unsigned char *) aad, strlen(aad),
                       sealed, len + LAPOR_SEAL_OVERHEAD, pt), 0);
    UNIT_TRUE(memcmp(pt, msg, len) == 0);

    /* a fresh nonce each time */
    UNIT_EQ(lapor_seal(key, (const unsigned char *) aad, strlen(aad),
                       (const unsigned char *) msg, len, sealed2), 0);
    UNIT_TRUE(memcmp(sealed, sealed2, len + LAPOR_SEAL_OVERHEAD) != 0);

    /* wrong key, other report, tampering, truncation */
    UNIT_EQ(lapor_open(key2, (const unsigned char *) aad, strlen(aad),
                       sealed, len + LAPOR_SEAL_OVERHEAD, pt), -1);
    UNIT_EQ(lapor_open(key, (const unsigned char *) "lapor:{bali}:report:18",
                       strlen(aad), sealed, len + LAPOR_SEAL_OVERHEAD, pt),
            -1);

    sealed[LAPOR_SEAL_NONCE_LEN + 3] ^= 1;
    UNIT_EQ(lapor_open(key, (const unsigned char *) aad, strlen(aad),
                       sealed, len + LAPOR_SEAL_OVERHEAD, pt), -1);
    sealed[LAPOR_SEAL_NONCE_LEN + 3] ^= 1;

    UNIT_EQ(lapor_open(key, (const unsigned char *) aad, strlen(aad),
                       sealed, len + LAPOR_SEAL_OVERHEAD - 1, pt), -1);
    UNIT_EQ(lapor_open(key, (const unsigned char *) aad, strlen(aad),
                       sealed, LAPOR_SEAL_OVERHEAD - 1, pt), -1);

    /* empty plaintext still authenticates */
    UNIT_EQ(lapor_seal(key, NULL, 0, (const unsigned char *) "", 0, sealed),
            0);
    UNIT_EQ(lapor_open(key, NULL, 0, sealed, LAPOR_SEAL_OVERHEAD, pt), 0);
}


static void
test_key_parse(void)
{
    unsigned char  key[LAPOR_KEY_LEN];
    const char    *err;
    const char    *hex = "000102030405060708090a0b0c0d0e0f"
                         "101112131415161718191A1B1C1D1E1F\n";
    const char    *b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n";
    const char    *b64u = "  AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    size_t         i;
    int            ok;

    UNIT_EQ(lapor_key_parse((const unsigned char *) hex, strlen(hex), key,
                            &err), 0);
    for (ok = 1, i = 0; i < LAPOR_KEY_LEN; i++) {
        ok &= key[i] == i;
    }
    UNIT_TRUE(ok);

    memset(key, 0, sizeof(key));
    UNIT_EQ(lapor_key_parse((const unsigned char *) b64, strlen(b64), key,
                            &err), 0);
    UNIT_TRUE(key[31] == 31 && key[1] == 1);

    UNIT_EQ(lapor_key_parse((const unsigned char *) b64u, strlen(b64u), key,
                            &err), 0);
    UNIT_TRUE(key[31] == 31);

    UNIT_EQ(lapor_key_parse((const unsigned char *) "", 0, key, &err), -1);
    UNIT_EQ(lapor_key_parse((const unsigned char *) "abcd", 4, key, &err),
            -1);
    /* 63 hex digits, a non-hex digit, 31 bytes of base64 */
    UNIT_EQ(lapor_key_parse((const unsigned char *) hex, 63, key, &err), -1);
    UNIT_EQ(lapor_key_parse((const unsigned char *)
                            "g00102030405060708090a0b0c0d0e0f"
                            "101112131415161718191a1b1c1d1e1f", 64, key,
                            &err), -1);
    UNIT_EQ(lapor_key_parse((const unsigned char *)
                            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",
                            44, key, &err), -1);
}


int
main(void)
{
    test_sha256_vectors();
    test_hmac_vector();
    test_hmac_keys_alternate();
    test_base64url_round_trip();
    test_base64url_rejects();
    test_random_differs();
    test_random_pool();
    test_equal();
    test_seal_open();
    test_key_parse();
    test_seal_open_keys();

    /* the contexts kept between calls */
    lapor_crypto_stop();

    return unit_report("crypto");
}
