/* The structure tests/c/state_writer.c keeps updating: every field is worked out
 * from one counter, so a read whose fields disagree was torn. */
#ifndef STATE_H
#define STATE_H

#include <stdint.h>

struct state {
    uint32_t seq;         /* seqlock: odd while the writer is mid-update */
    uint32_t pad;         /* never written */
    uint64_t counter;
    double counter_f;     /* counter / 2 */
    int32_t counter_neg;  /* -(counter & 0x7fffffff) */
    char text[24];        /* "count <counter>" */
    uint16_t counter_lo;  /* counter & 0xffff */
};

#endif
