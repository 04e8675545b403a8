
/*
 * Redis Cluster key slots: CRC16 (XMODEM) of the key, or of its hash tag,
 * modulo 16384, as the cluster specification defines them.
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 */


#ifndef _LAPOR_KEYSLOT_H_INCLUDED_
#define _LAPOR_KEYSLOT_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define LAPOR_KEYSLOT_SLOTS  16384


/* CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0 */
uint16_t lapor_crc16(const unsigned char *p, size_t len);

/*
 * The slot of a key: only the text between the first "{" and the next "}"
 * counts when there is such text (all of the module's keys are
 * "lapor:{NS}:...", so a namespace is one slot).
 */
unsigned lapor_keyslot(const unsigned char *key, size_t len);


#endif /* _LAPOR_KEYSLOT_H_INCLUDED_ */
