/*
 * trails — the CloudTrail trail operations (cloudtrail.md §5.2): CreateTrail, UpdateTrail,
 * DeleteTrail, GetTrail, DescribeTrails, ListTrails, GetTrailStatus, StartLogging, StopLogging,
 * PutEventSelectors, GetEventSelectors, AddTags, RemoveTags, ListTags. Each is a handler of a
 * ct_ops[] row (ctapi.h): it reads its JSON input with ct_request_body(), answers with
 * ct_reply() or req_api_error(), and changes trails through req_commit() so that the change and
 * the call's own CloudTrail record commit together.
 *
 * Scope of a call: the caller's account (r->who.account_id) and the region the client signed
 * for (r->region). A trail belongs to its home region (where it was created); a multi-region
 * trail is also seen from every other region (a "shadow trail": DescribeTrails lists it, reads
 * accept its ARN). Names resolve among the trails of the called region only; other regions'
 * trails are named by ARN, arn:aws:cloudtrail:<home-region>:<12-digit account>:trail/<name>.
 * Mutations (UpdateTrail, DeleteTrail, StartLogging, StopLogging, PutEventSelectors) must be
 * called in the home region (InvalidHomeRegionException); tag operations take ARNs of the called
 * region only (CloudTrailARNInvalidException, as AWS answers).
 *
 * What is refused rather than accepted and ignored: KmsKeyId (no KMS here), SnsTopicName and
 * CloudWatchLogs* (no notifications or streaming yet), IsOrganizationTrail true (no
 * organizations), and EnableLogFileValidation true until digest files exist:
 * UnsupportedOperationException naming the member. LogFileValidationEnabled is always false.
 *
 * A successful StopLogging or DeleteTrail calls delivery_kick() once its change is durable (when
 * the request ends), so what the trail is still owed goes out without waiting for the interval.
 *
 * ---- the trail document (the contract with the delivery) -------------------------------------
 *
 * Each trail is one account document (store.h) of kind TRAIL_DOC_KIND, named
 * "<home-region>/<trail-name>", owned by the trail's account. Its value is a JSON object:
 *
 *   "Name"                        string
 *   "HomeRegion"                  string
 *   "TrailARN"                    string, arn:aws:cloudtrail:<home>:<account>:trail/<name>
 *   "S3BucketName"                string, the delivery bucket (may be another account's)
 *   "S3KeyPrefix"                 string, absent when there is none (never "")
 *   "IncludeGlobalServiceEvents"  bool
 *   "IsMultiRegionTrail"          bool: the trail takes every region's events, else only its
 *                                 home region's (rows whose region is HomeRegion)
 *   "LogFileValidationEnabled"    bool
 *   "IsOrganizationTrail"         false (always)
 *   "HasCustomEventSelectors"     bool, true once PutEventSelectors succeeded
 *   "EventSelectors"              array, basic selectors as selectors_normalize_basic() writes
 *                                 them; absent when never set or when advanced ones are set
 *   "AdvancedEventSelectors"      array, as selectors_normalize_advanced() writes them; absent
 *                                 unless set. Both absent = the default selector (all
 *                                 management events). Compile with selectors_compile_trail().
 *   "TagsList"                    array of {"Key":..., "Value":...} (Value may be absent)
 *   "CreatedTime"                 int, epoch milliseconds
 *   "IsLogging"                   bool; false after CreateTrail
 *   "StartLoggingTime"            int ms, the last StartLogging that started it; absent before
 *   "StopLoggingTime"             int ms, the last StopLogging that stopped it; absent before
 *   "StopLoggingSeq"              int, the journal's last seq when that StopLogging committed
 *                                 (store_txn_event_last_seq inside its transaction): rows with a
 *                                 seq up to it were committed while the trail was logging and
 *                                 are still owed; the StopLogging's own record comes after it.
 *                                 Absent before the first StopLogging.
 *   "delivery"                    object, the delivery's state (below)
 *
 * "delivery" members (written by the delivery; the handlers create it and only StartLogging
 * touches it afterwards):
 *   "cursor"                          int, a journal seq: every row with seq <= cursor is done
 *                                     for this trail (delivered, or not taken). CreateTrail sets
 *                                     it to the journal's last seq (store_txn_event_last_seq, in
 *                                     the creating transaction). StartLogging on a trail that is
 *                                     not logging sets it again to the journal's last seq, read
 *                                     in its own transaction: the trail starts with the rows
 *                                     committed after it, beginning with the StartLogging's own
 *                                     record, and never receives older events (also none from
 *                                     the time it was stopped) -- unless it still owes rows from
 *                                     before it was stopped: see "skip". StartLogging on a trail
 *                                     that is logging changes nothing. -1 is never written.
 *   "skip"                            array of [after, upto] seq pairs, oldest first: rows
 *                                     with after < seq <= upto are not the trail's. StartLogging
 *                                     on a stopped trail that still owes rows (StopLoggingSeq >
 *                                     cursor) keeps the cursor, so those rows are still
 *                                     delivered, and adds [StopLoggingSeq, its own last seq]:
 *                                     what was committed while the trail was stopped. A pair
 *                                     goes once the cursor reaches its upto. Absent when none.
 *   "LatestDeliveryTime"              int ms, the last successful log-file delivery
 *   "LatestDeliveryError"             string, the S3 error code of the last failed delivery
 *                                     ("AccessDenied", "NoSuchBucket"); absent or "" when the
 *                                     last attempt succeeded
 *   "LatestDeliveryAttemptTime"       int ms, the last attempt, successful or not
 *   "LatestDeliveryAttemptSucceeded"  int ms, the last attempt that succeeded
 *   "LatestDigestDeliveryTime"        int ms, optional, for the digest work
 *   "LatestDigestDeliveryError"       string, optional, likewise
 * GetTrailStatus reports them: times as epoch-second numbers (LatestDeliveryTime,
 * LatestDigestDeliveryTime), the two Attempt members as the deprecated ISO-8601 strings
 * ("2016-01-28T23:02:24Z", "" when absent), errors as given.
 *
 * Writing the document: read-modify-write the whole value inside ONE writer apply
 * (store_txn_doc_get, change your members, store_txn_doc_set). The handlers do the same, so
 * the writer thread serialises both and neither loses the other's members. Never write a
 * document that store_txn_doc_get did not return in the same apply (a DeleteTrail may have
 * removed it: -ENOENT then means the trail is gone; do not re-create it).
 */
#ifndef S3TRAIL_TRAILS_H
#define S3TRAIL_TRAILS_H

struct req;

#define TRAIL_DOC_KIND "trail"
/* A deleted trail that still owes deliveries: the same document, stopped, under this kind until
 * the delivery has flushed it and removes it. The API never sees this kind. */
#define TRAIL_RETIRED_KIND "trail-retired"
#define TRAILS_MAX_PER_REGION 5 /* per account and home region (cloudtrail.md §5.1) */
#define TRAILS_MAX_TAGS 50      /* per trail (TagsLimitExceededException) */

/* The handlers of the ct_ops[] rows of the same names. Each returns 0 with the response built,
 * REQ_ASYNC after req_commit(), or a negative value with the error recorded in r. */
int ct_create_trail(struct req *r);
int ct_update_trail(struct req *r);
int ct_delete_trail(struct req *r);
int ct_get_trail(struct req *r);
int ct_describe_trails(struct req *r);
int ct_list_trails(struct req *r);
int ct_get_trail_status(struct req *r);
int ct_start_logging(struct req *r);
int ct_stop_logging(struct req *r);
int ct_put_event_selectors(struct req *r);
int ct_get_event_selectors(struct req *r);
int ct_add_tags(struct req *r);
int ct_remove_tags(struct req *r);
int ct_list_tags(struct req *r);

#endif
