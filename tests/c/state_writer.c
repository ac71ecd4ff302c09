/* Keeps a struct state (state.h) in a named POSIX shared-memory segment up to date,
 * the way a C program sharing its state would.
 *
 *   state_writer NAME MODE [GAP_NS [HZ [START [SLOW_NS]]]]
 *
 * NAME   the segment (made beforehand, at least sizeof(struct state) bytes)
 * MODE   seqlock  updates inside a seqlock: seq odd while the fields are written
 *        plain    updates without touching seq (a reader cannot tell a torn read)
 *        stuck    makes seq odd, writes half the fields, and stays so until killed:
 *                 a writer that crashed mid-update
 *        once     writes one update (counter START) inside the seqlock and exits
 * GAP_NS the pause between two fields' stores (default 3000 ns): a slow update,
 *        so that a reader that does not follow the seqlock often sees one half-done
 * HZ     updates a second (default 10000)
 * START  the first counter value (default 1)
 * SLOW_NS an update that takes longer than this from its first store to its last is
 *        counted slow (default 1000)
 *
 * Prints "ready" once the first update is in, and on SIGTERM or SIGINT
 * "updates N slow M" before it exits: how many updates it made, and how many of them
 * took longer than SLOW_NS (the scheduler or an interrupt stopped the writer midway).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "state.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A busy wait: a sleep would last at least the timer slack (50 us), not a few us, and
 * asking the clock costs more than the shortest pauses wanted. */
static double spins_per_ns = 1;

static void spin(int64_t n) {
    for (volatile int64_t i = 0; i < n; i++)
        ;
}

static void calibrate(void) {
    int64_t n = 1000000, began = now_ns();
    spin(n);
    int64_t took = now_ns() - began;
    spins_per_ns = took > 0 ? (double)n / (double)took : 1;
}

static void pause_ns(int64_t ns) {
    if (ns > 0)
        spin((int64_t)((double)ns * spins_per_ns));
}

/* One field at a time, each store visible before the next (x86 keeps store order;
 * the release stores keep it on weaker machines too). Returns how long it took from
 * the first store to the last. */
static int64_t write_fields(struct state *st, uint64_t c, int64_t gap, int fields) {
    char text[sizeof st->text] = {0};
    snprintf(text, sizeof text, "count %" PRIu64, c);
    double half = (double)c / 2;
    uint64_t half_bits;
    memcpy(&half_bits, &half, sizeof half_bits);

    int64_t began = now_ns();
    __atomic_store_n(&st->counter, c, __ATOMIC_RELEASE);
    if (--fields == 0) return now_ns() - began;
    pause_ns(gap);
    __atomic_store_n((uint64_t *)&st->counter_f, half_bits, __ATOMIC_RELEASE);
    if (--fields == 0) return now_ns() - began;
    pause_ns(gap);
    __atomic_store_n(&st->counter_neg, -(int32_t)(c & 0x7fffffff), __ATOMIC_RELEASE);
    if (--fields == 0) return now_ns() - began;
    pause_ns(gap);
    for (size_t i = 0; i < sizeof text; i++)
        __atomic_store_n(&st->text[i], text[i], __ATOMIC_RELEASE);
    if (--fields == 0) return now_ns() - began;
    pause_ns(gap);
    __atomic_store_n(&st->counter_lo, (uint16_t)(c & 0xffff), __ATOMIC_RELEASE);
    return now_ns() - began;
}

/* The seqlock writer: seq odd, fence, the fields, seq even (one more) on release. */
static int64_t update_seqlocked(struct state *st, uint64_t c, int64_t gap) {
    uint32_t seq = __atomic_load_n(&st->seq, __ATOMIC_RELAXED);
    __atomic_store_n(&st->seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    int64_t took = write_fields(st, c, gap, 5);
    __atomic_store_n(&st->seq, seq + 2, __ATOMIC_RELEASE);
    return took;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s NAME seqlock|plain|stuck|once [GAP_NS [HZ [START [SLOW_NS]]]]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[2];
    int64_t gap = argc > 3 ? atoll(argv[3]) : 3000;
    int64_t hz = argc > 4 ? atoll(argv[4]) : 10000;
    uint64_t c = argc > 5 ? strtoull(argv[5], NULL, 10) : 1;
    int64_t slow_ns = argc > 6 ? atoll(argv[6]) : 1000;
    if (hz <= 0)
        hz = 1;

    char name[300];
    snprintf(name, sizeof name, "/%s", argv[1]);
    int fd = shm_open(name, O_RDWR, 0);
    if (fd < 0) {
        perror("shm_open");
        return 1;
    }
    struct state *st = mmap(NULL, sizeof *st, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (st == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    prctl(PR_SET_TIMERSLACK, 1UL);  /* wake on time: the default slack is 50 us */
    calibrate();
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    if (strcmp(mode, "once") == 0) {
        update_seqlocked(st, c, 0);
        puts("ready");
        return 0;
    }
    if (strcmp(mode, "stuck") == 0) {
        uint32_t seq = __atomic_load_n(&st->seq, __ATOMIC_RELAXED);
        __atomic_store_n(&st->seq, seq | 1, __ATOMIC_RELEASE);
        write_fields(st, c, 0, 2);
        puts("ready");
        fflush(stdout);
        while (!stop)
            pause();
        puts("updates 0 slow 0");
        return 0;
    }
    int seqlock = strcmp(mode, "seqlock") == 0;
    if (!seqlock && strcmp(mode, "plain") != 0) {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }

    int64_t period = 1000000000 / hz;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    uint64_t updates = 0, slow = 0;
    while (!stop) {
        int64_t took = seqlock ? update_seqlocked(st, c, gap) : write_fields(st, c, gap, 5);
        slow += took > slow_ns;
        c++;
        if (++updates == 1) {
            puts("ready");
            fflush(stdout);
        }
        next.tv_nsec += period;
        while (next.tv_nsec >= 1000000000) {
            next.tv_nsec -= 1000000000;
            next.tv_sec++;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec > next.tv_sec + 1)
            next = now;  /* far behind (stopped in a debugger): do not race to catch up */
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    printf("updates %" PRIu64 " slow %" PRIu64 "\n", updates, slow);
    return 0;
}
