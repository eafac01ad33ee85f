/*
 * delivery — trails deliver the event journal to their buckets as CloudTrail log files, exactly
 * once.
 *
 * One thread walks every trail that is logging (or stopped with events still pending) each tick.
 * For a trail, it scans the journal after the trail's cursor, keeps the rows the trail takes
 * (its account; its home region, or every region for a multi-region trail; its selectors), and
 * when the trail's interval has passed (or a flush is asked for) writes one gzip JSON file per
 * region, {"Records":[...]}, at
 *   [prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
 *       <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 alphanumerics>.json.gz
 * Exactly once: the log object, the trail's advanced cursor and the delivery's own CloudTrail
 * record (PutObject by the AWSService identity, invokedBy cloudtrail.amazonaws.com) commit in one
 * transaction. A crash before the commit leaves the cursor where it was (the next pass writes the
 * same events again, once); after it, the events are behind the cursor for good.
 *
 * Feedback: a trail that selects data events on its own bucket would see each delivery's record
 * and deliver again, forever. Rows that are only the server's own deliveries never trigger a
 * delivery by themselves; they travel with the next real events.
 *
 * Data rows leave the journal an hour after every trail has passed them (data events never reach
 * event history); management rows stay for event history's retention.
 *
 * Failures (bucket gone, policy removed) are kept in the trail's delivery state
 * (LatestDeliveryError = the S3 error code); delivery retries with backoff and clears it on
 * success.
 */
#ifndef S3TRAIL_DELIVERY_H
#define S3TRAIL_DELIVERY_H

#include <stddef.h>

struct store;
struct delivery;

/* interval_s: how long events wait before they are delivered (AWS: about 5 minutes; 1 s and
 * more here). */
int delivery_start(struct store *st, unsigned interval_s, struct delivery **out)
    __attribute__((warn_unused_result));
/* Asks for every pending event to be delivered on the next tick, whatever the interval. */
void delivery_flush(struct delivery *d);
/* delivery_flush on the running instance, if any: for the trail API (StopLogging, DeleteTrail),
 * which has no handle on it. */
void delivery_kick(void);
/* Delivers everything pending, then stops the thread and frees d. */
void delivery_stop(struct delivery *d);

/* A log file's gzip (RFC 1952) of n bytes at p, as delivered; *out is owned by the caller.
 * Returns 0, -ENOMEM or -EIO. Public for the audit pipeline benchmark (bench/pipeline.c). */
int delivery_gzip(const char *p, size_t n, unsigned char **out, size_t *outlen)
    __attribute__((warn_unused_result));

#endif
