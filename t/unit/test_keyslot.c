
/*
 * Unit tests for Redis Cluster key slots (lapor_keyslot.c); the expected
 * values are what CLUSTER KEYSLOT of Redis 7.0 answers.
 */


#include <stdio.h>
#include <string.h>

#include "lapor_keyslot.h"
#include "unit.h"


#define SLOT(s)  lapor_keyslot((const unsigned char *) (s), strlen(s))


static void
test_crc16_check_value(void)
{
    /* the XMODEM check value, and the specification's example */
    UNIT_EQ(lapor_crc16((const unsigned char *) "123456789", 9), 0x31c3);
    UNIT_EQ(lapor_crc16((const unsigned char *) "", 0), 0);
}


static void
test_plain_keys(void)
{
    UNIT_EQ(SLOT("foo"), 12182);
    UNIT_EQ(SLOT("bar"), 5061);
    UNIT_EQ(SLOT("hello"), 866);
}


static void
test_namespaces(void)
{
    /* the provinces of examples/nginx-multi.conf and the tests */
    UNIT_EQ(SLOT("bali"), 11049);
    UNIT_EQ(SLOT("ntb"), 2067);
    UNIT_EQ(SLOT("default"), 5718);
}


static void
test_hash_tags(void)
{
    /* every key of a namespace is in the namespace's slot */
    UNIT_EQ(SLOT("lapor:{bali}:report:1"), 11049);
    UNIT_EQ(SLOT("lapor:{ntb}:seq:report"), 2067);
    UNIT_EQ(SLOT("{user1000}.following"), 3443);

    /* the first "{...}" with text inside counts, "{}" is no tag */
    UNIT_EQ(SLOT("{}x"), 10595);
    UNIT_EQ(SLOT("a{}b{c}"), 7353);

    /* no closing brace: the whole key */
    UNIT_EQ(SLOT("x{y"), 2740);
}


int
main(void)
{
    test_crc16_check_value();
    test_plain_keys();
    test_namespaces();
    test_hash_tags();

    return unit_report("keyslot");
}
