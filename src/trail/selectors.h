/*
 * selectors — a trail's event selectors (cloudtrail.md §6): validating what PutEventSelectors
 * receives, and deciding, for each journal row, whether a trail takes it.
 *
 * A trail has either basic selectors (EventSelectors) or advanced ones (AdvancedEventSelectors),
 * never both; a trail that never had PutEventSelectors has the default basic selector (all
 * management events, read and write, no data events: selectors_default_basic()).
 *
 * Calling sequence:
 *   PutEventSelectors: selectors_validate(), then store selectors_normalize_basic() or
 *     selectors_normalize_advanced() of the input in the trail document (trails.h).
 *   Delivery: selectors_compile_trail() once per trail document it reads, then
 *     selectors_match() for every journal row after the account and region filters, then
 *     selectors_free().
 *
 * Matching, basic selectors (an event is taken when ANY selector takes it):
 *   - ReadWriteType ReadOnly / WriteOnly / All filters by the event's readOnly, for the
 *     management and the data part of that selector alike.
 *   - A management event is taken when IncludeManagementEvents is true and its eventSource is not
 *     in ExcludeManagementEventSources.
 *   - A data event is taken when a DataResources value of type AWS::S3::Object covers one of its
 *     AWS::S3::Object resources: "arn:aws:s3" and "arn:aws:s3:::" cover every object;
 *     "arn:aws:s3:::b/p" covers an object ARN that starts with it (p may be empty). Resources with
 *     an ARNPrefix (the bucket-level data events ListObjects, ListObjectVersions,
 *     ListMultipartUploads, HeadBucket, DeleteObjects) are covered by the value for their bucket
 *     with an empty prefix ("arn:aws:s3:::b/"); ListObjects and ListObjectVersions also by a
 *     value "arn:aws:s3:::b/p" when the listed prefix starts with p (the listing stays within
 *     the selected prefix). Any resource may cover the event, so a CopyObject is taken by a
 *     selector for its source as well as for its destination.
 * Matching, advanced selectors (OR across selectors; within one, AND across its field
 * selectors; within a field selector, AND across its operators; within a positive operator
 * (Equals, StartsWith, EndsWith) OR across its values; a negative one (NotEquals,
 * NotStartsWith, NotEndsWith) holds when NO value matches):
 *   - eventCategory is "Management" or "Data" (the row's management flag); readOnly is "true" or
 *     "false"; eventName and eventSource come from the row; eventType, userIdentity.arn and
 *     sessionCredentialFromConsole from the record.
 *   - resources.type and resources.ARN are evaluated on one resource at a time: the event
 *     matches when ONE of its resources satisfies every resources.* field selector of the
 *     selector. A resource's ARN is its ARN, or its ARNPrefix for the bucket-level events (so
 *     StartsWith "arn:aws:s3:::b/" takes ListObjects of bucket b too).
 *   - A field the record does not have satisfies no positive operator and every negative one.
 *
 * What the matcher does not decide: whose the event is (the row's account_id is the trail
 * owner's) and where (a single-region trail takes rows of its home region only, a multi-region
 * trail rows of every region). The delivery filters on those before calling selectors_match().
 */
#ifndef S3TRAIL_SELECTORS_H
#define S3TRAIL_SELECTORS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* Limits (cloudtrail.md §5.1, §6). */
#define SELECTORS_MAX_BASIC 5
#define SELECTORS_MAX_DATA_VALUES 250     /* DataResources values across all basic selectors */
#define SELECTORS_MAX_ADVANCED_VALUES 500 /* operator values across all advanced selectors */
#define SELECTORS_VALUE_MAX 2048          /* bytes of one advanced operator value */
#define SELECTORS_NAME_MAX 1000           /* an advanced selector's Name */

/* Checks a PutEventSelectors input: basic is the EventSelectors array or NULL, advanced the
 * AdvancedEventSelectors array or NULL; exactly one must be given (the handler answers the
 * other cases with InvalidParameterCombinationException before calling this). 0 when valid;
 * -EINVAL with a message for InvalidEventSelectorsException written to errmsg (always
 * NUL-terminated, cut to cap). Only AWS::S3::Object data resources exist on this server: other
 * resource types, and network activity events, are refused with a message saying so. */
int selectors_validate(json_t *basic, json_t *advanced, char *errmsg, size_t cap)
    __attribute__((warn_unused_result));

/* The stored and echoed form of valid input (what GetEventSelectors returns): basic selectors
 * with every member present (ReadWriteType "All", IncludeManagementEvents true, DataResources
 * [], ExcludeManagementEventSources [] when absent); advanced selectors with only the modelled
 * members (Name when given, FieldSelectors with Field and the operators given). New references;
 * NULL when out of memory. The input must have passed selectors_validate(). */
json_t *selectors_normalize_basic(json_t *basic);
json_t *selectors_normalize_advanced(json_t *advanced);
/* [{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[],
 *   "ExcludeManagementEventSources":[]}]: a new reference, NULL when out of memory. */
json_t *selectors_default_basic(void);

/* ---- matching -------------------------------------------------------------------------------- */

/* The compiled form of one trail's selectors; opaque. */
struct trail_selectors;

/* Compiles the selectors as stored (normalized) in a trail document: basic (EventSelectors) or
 * advanced (AdvancedEventSelectors) or both NULL for the default basic selector. *out is owned
 * by the caller (selectors_free). -EINVAL when the selectors do not validate (a trail document
 * never holds such), -ENOMEM. */
int selectors_compile(json_t *basic, json_t *advanced, struct trail_selectors **out)
    __attribute__((warn_unused_result));
/* The same from a whole trail document (trails.h): its EventSelectors / AdvancedEventSelectors
 * members. */
int selectors_compile_trail(json_t *trail_doc, struct trail_selectors **out)
    __attribute__((warn_unused_result));
void selectors_free(struct trail_selectors *s); /* NULL is fine */

/* Whether the trail takes the journal row ev. record is ev->record parsed (the delivery parses
 * each row once for all its trails); NULL makes the matcher parse ev->record itself when it
 * needs the record (resources, eventType, userIdentity). A record that does not parse has no
 * resources and none of the record fields. */
bool selectors_match(const struct trail_selectors *s, const struct event_row *ev, json_t *record);

/* Whether any selector can take data events at all (a trail that takes none lets the delivery
 * skip data rows without parsing them). */
bool selectors_want_data(const struct trail_selectors *s);

#endif
