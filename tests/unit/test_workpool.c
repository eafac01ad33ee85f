/* util/workpool: every submitted job runs exactly once, including those queued at stop. */
#include <stdatomic.h>
#include <unistd.h>

#include "unit.h"
#include "util/workpool.h"

static atomic_int ran;

static void job(void *arg)
{
    (void)arg;
    usleep(100);
    ran++;
}

TEST(workpool_runs_every_job)
{
    struct workpool *p;
    CHECK_EQ_INT(workpool_start(3, &p), 0);
    ran = 0;
    for (int i = 0; i < 200; i++)
        CHECK_EQ_INT(workpool_submit(p, job, NULL), 0);
    workpool_stop(p); /* drains the queue first */
    CHECK_EQ_INT(ran, 200);
}
