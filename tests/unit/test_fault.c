#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/fault.h"

TEST(fault_rules_parse_and_count)
{
    CHECK_EQ_INT(fault_arm("blob_write enospc after=2 times=2"), 0);
    CHECK_EQ_INT(fault_hit(FAULT_BLOB_WRITE), FAULT_NONE);
    CHECK_EQ_INT(fault_hit(FAULT_BLOB_FSYNC), FAULT_NONE); /* another point: not counted */
    CHECK_EQ_INT(fault_hit(FAULT_BLOB_WRITE), FAULT_NONE);
    CHECK_EQ_INT(fault_hit(FAULT_BLOB_WRITE), FAULT_ENOSPC);
    CHECK_EQ_INT(fault_hit(FAULT_BLOB_WRITE), FAULT_ENOSPC);
    CHECK_EQ_INT(fault_hit(FAULT_BLOB_WRITE), FAULT_NONE); /* spent */

    /* Several rules, ';' or newlines between them, first that fires decides; times=0 is endless. */
    CHECK_EQ_INT(fault_arm("sql_commit full\n\n  sql_read busy times=0 ; alloc nomem after=1"), 0);
    CHECK_EQ_INT(fault_hit(FAULT_SQL_COMMIT), FAULT_FULL);
    CHECK_EQ_INT(fault_hit(FAULT_SQL_COMMIT), FAULT_NONE);
    for (int i = 0; i < 100; i++)
        CHECK_EQ_INT(fault_hit(FAULT_SQL_READ), FAULT_BUSY);
    CHECK_EQ_INT(fault_hit(FAULT_ALLOC), FAULT_NONE);
    CHECK_EQ_INT(fault_hit(FAULT_ALLOC), FAULT_NOMEM);

    /* rate: some, not all */
    CHECK_EQ_INT(fault_arm("blob_fsync eio times=0 rate=0.5"), 0);
    int fired = 0;
    for (int i = 0; i < 1000; i++)
        fired += fault_hit(FAULT_BLOB_FSYNC) == FAULT_EIO;
    CHECK(fired > 300 && fired < 700);

    CHECK_EQ_INT(fault_arm(""), 0);
    CHECK(!atomic_load(&fault__armed));
    CHECK_EQ_INT(fault_hit(FAULT_BLOB_FSYNC), FAULT_NONE);
}

TEST(fault_bad_rules_arm_nothing)
{
    static const char *const bad[] = {
        "nowhere enospc", "blob_write",          "blob_write busy", /* a write is never busy */
        "sql_write short", "alloc enospc",       "blob_write eio after=-1",
        "blob_write eio x=1", "blob_write eio rate=2", "blob_write eio rate=0",
        "blob_write eio times=1x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(fault_arm("blob_fsync eio"), 0);
        CHECK_EQ_INT(fault_arm(bad[i]), -EINVAL);
        /* The rules armed before stay as they were: a typo never disarms silently. */
        CHECK(atomic_load(&fault__armed));
    }
    CHECK_EQ_INT(fault_arm(NULL), 0);
    CHECK(!atomic_load(&fault__armed));
}

TEST(fault_alloc_fails_buf_cleanly)
{
    struct buf b = BUF_INIT;
    CHECK_EQ_INT(fault_arm("alloc nomem"), 0);
    CHECK_EQ_INT(buf_puts(&b, "x"), -ENOMEM);
    CHECK(!buf_ok(&b));
    CHECK_EQ_INT(fault_arm(NULL), 0);
    buf_free(&b);
}

/* A body written through short writes is complete; ENOSPC and a failed fsync surface as errors
 * and leave no file behind. */
TEST(fault_blob_writes)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "fault", &st))
        return;
    char data[10000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 7);

    struct blob_writer w;
    CHECK_EQ_INT(fault_arm("blob_write short times=0"), 0);
    CHECK_EQ_INT(store_blob_begin(st, &w), 0);
    CHECK_EQ_INT(store_blob_write(&w, data, sizeof data), 0);
    CHECK_EQ_INT(store_blob_finish(st, &w), 0);
    CHECK_EQ_INT(fault_arm(NULL), 0);
    int fd = store_blob_open(st, w.id);
    CHECK(fd >= 0);
    char back[sizeof data + 1];
    CHECK_EQ_INT((int)pread(fd, back, sizeof back, 0), (int)sizeof data);
    CHECK(memcmp(back, data, sizeof data) == 0);
    close(fd);

    CHECK_EQ_INT(fault_arm("blob_write enospc after=1"), 0);
    CHECK_EQ_INT(store_blob_begin(st, &w), 0);
    CHECK_EQ_INT(store_blob_write(&w, data, 100), 0);
    CHECK_EQ_INT(store_blob_write(&w, data, 100), -ENOSPC);
    store_blob_abort(st, &w);
    CHECK(access(w.tmp_path, F_OK) != 0);

    CHECK_EQ_INT(fault_arm("blob_fsync eio"), 0);
    CHECK_EQ_INT(store_blob_begin(st, &w), 0);
    CHECK_EQ_INT(store_blob_write(&w, data, 100), 0);
    CHECK_EQ_INT(store_blob_finish(st, &w), -EIO);
    CHECK(access(w.tmp_path, F_OK) != 0);
    CHECK(store_blob_open(st, w.id) < 0);
    store_blob_abort(st, &w); /* harmless after a failed finish */
    CHECK_EQ_INT(fault_arm(NULL), 0);
    unit_store_close(dir, st);
}

static int apply_account(struct store_txn *t, void *arg)
{
    return store_txn_account_create(t, arg);
}

static struct account account_named(const char *id)
{
    struct account a = {.created_ms = 1};
    snprintf(a.id, sizeof a.id, "%s", id);
    snprintf(a.canonical_id, sizeof a.canonical_id, "canon-%s", id);
    snprintf(a.display_name, sizeof a.display_name, "n%s", id);
    return a;
}

/* A failed statement or COMMIT fails the item with the cause, and nothing of it is stored; the
 * store goes on working once the fault is gone. */
TEST(fault_sql_failures_leave_nothing)
{
    char dir[64];
    struct store *st;
    if (!unit_store_open(dir, "fault", &st))
        return;
    static const struct {
        const char *rule;
        int rc;
    } cases[] = {
        {"sql_write busy", -EBUSY},
        {"sql_write full", -ENOSPC},
        {"sql_commit full", -ENOSPC},
        {"sql_commit ioerr", -EIO},
        {"sql_commit busy", -EBUSY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[13];
        snprintf(id, sizeof id, "10000000000%u", (unsigned)i % 10);
        struct account a = account_named(id), got;
        CHECK_EQ_INT(fault_arm(cases[i].rule), 0);
        CHECK_EQ_INT(store_submit_wait(st, apply_account, &a), cases[i].rc);
        CHECK_EQ_INT(fault_arm(NULL), 0);
        CHECK_EQ_INT(store_account_get(st, id, &got), -ENOENT);
        CHECK_EQ_INT(store_submit_wait(st, apply_account, &a), 0);
        CHECK_EQ_INT(store_account_get(st, id, &got), 0);
    }
    CHECK_EQ_INT(fault_arm("sql_read busy"), 0);
    struct account got;
    CHECK_EQ_INT(store_account_get(st, "100000000000", &got), -EBUSY);
    CHECK_EQ_INT(store_account_get(st, "100000000000", &got), 0);
    CHECK_EQ_INT(fault_arm(NULL), 0);
    unit_store_close(dir, st);
}
