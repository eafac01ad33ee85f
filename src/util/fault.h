/*
 * fault — injected failures for the tests: short writes, ENOSPC, fsync failure, SQLITE_BUSY and
 * SQLITE_FULL, allocation failure.
 *
 * The code that talks to the disk or the allocator already goes through a few funnels (blob.c's
 * sys_write/sys_fsync, meta_sqlite.c's sq_step, buf_reserve, the jansson and libxml2 allocators).
 * Each funnel asks fault_hit() whether this call should fail, and fails the way the real call
 * would. Unarmed, fault_hit() is one relaxed atomic load.
 *
 * Arming: the environment variable S3TRAIL_FAULTS_FILE names a file of rules, read by
 * fault_init() at start and again by fault_reload() (`serve` calls it on SIGUSR2), so a test can
 * change the rules while the server runs. One rule per line (or separated by ';'):
 *
 *     <point> <kind> [after=N] [times=N] [rate=P]
 *
 *   point  blob_write   every write(2) of a body, part or log file
 *          blob_fsync   every fsync(2) of a body file or of a directory holding one
 *          sql_read     every SELECT step (on any connection)
 *          sql_write    every INSERT/UPDATE/DELETE step
 *          sql_commit   the COMMIT of a writer batch
 *          alloc        buf growth, jansson and libxml2 allocations
 *   kind   enospc | eio | short   (blob_write: short writes half of what was asked)
 *          eio                   (blob_fsync)
 *          busy | full | ioerr   (sql_*)
 *          nomem                 (alloc)
 *   after  let N hits of the point pass before the rule applies (default 0)
 *   times  fail this many hits, then the rule is spent (default 1; 0 means without end)
 *   rate   fail each eligible hit with probability P (default 1)
 *
 * Rules are checked in order; the first that fires decides. An empty or absent file disarms.
 * A rule that does not parse is logged and changes nothing. Every (re)load logs the rules it
 * armed, so a test can wait for that line.
 */
#ifndef S3TRAIL_FAULT_H
#define S3TRAIL_FAULT_H

#include <stdatomic.h>

enum fault_point {
    FAULT_BLOB_WRITE,
    FAULT_BLOB_FSYNC,
    FAULT_SQL_READ,
    FAULT_SQL_WRITE,
    FAULT_SQL_COMMIT,
    FAULT_ALLOC,
    FAULT_N_POINTS
};

enum fault_kind {
    FAULT_NONE = 0,
    FAULT_ENOSPC,
    FAULT_EIO,
    FAULT_SHORT,
    FAULT_BUSY,
    FAULT_FULL,
    FAULT_IOERR,
    FAULT_NOMEM
};

extern atomic_bool fault__armed;

enum fault_kind fault__hit(enum fault_point p);

/* What this call of point p should do: FAULT_NONE (proceed) or the failure to imitate. */
static inline enum fault_kind fault_hit(enum fault_point p)
{
    if (!atomic_load_explicit(&fault__armed, memory_order_relaxed))
        return FAULT_NONE;
    return fault__hit(p);
}

/* How many allocations of the calling thread failed (injected or real) through the jansson and
 * libxml2 allocators since it started. A parser that may return a partial result when memory
 * runs out (libxml2 drops the text or node it could not allocate, and its last error may be a
 * later one) is judged by comparing this before and after. */
unsigned long fault_alloc_failures(void);

/* Installs the jansson and libxml2 allocator hooks (they count failures always, and fail only
 * while an alloc rule is armed) and reads S3TRAIL_FAULTS_FILE if it is set. Call once, before any other thread
 * starts. Returns 0, or -EINVAL (logged) for a rule it cannot parse: nothing is armed then. */
int fault_init(void) __attribute__((warn_unused_result));

/* Reads the rules again (counters start over). Safe while other threads call fault_hit().
 * Returns 0 or -EINVAL; a failure is logged and keeps the rules armed before, so callers may
 * ignore it. */
int fault_reload(void);

/* Parses rules from text and arms them, replacing any armed rules; the parser behind the file
 * (exposed for the unit tests). NULL or "" disarms. */
int fault_arm(const char *rules) __attribute__((warn_unused_result));

#endif
