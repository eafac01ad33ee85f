/*
 * trailview — what delivery needs from a trail document (the document's shape is trails.h's
 * contract), and the delivery's changes to the document's "delivery" state. Every change
 * re-reads the document inside the writer's transaction and changes only "delivery", so it never
 * undoes an API change made meanwhile.
 */
#ifndef S3TRAIL_TRAILVIEW_H
#define S3TRAIL_TRAILVIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "trail/trails.h"

struct trail_selectors;

struct trail_view {
    char account_id[13];
    const char *kind;        /* TRAIL_DOC_KIND, or TRAIL_RETIRED_KIND for a deleted trail */
    char doc_name[200];      /* the document's name: "<home-region>/<trail-name>" */
    char name[129];
    char home_region[32];
    char arn[320];
    char bucket[64];
    char prefix[201];
    bool multi_region;
    bool logging;
    int64_t cursor;          /* delivered up to this journal seq */
    int64_t stop_seq;        /* when stopped: StopLoggingSeq, what is still owed (0: none) */
    int64_t limit_seq;       /* set by the caller: deliver up to here this pass */
    int64_t (*skip)[2];      /* owned: the "skip" windows (after, upto], oldest first */
    size_t nskip;
    struct trail_selectors *sel; /* compiled selectors, owned */
};

/* 0, or -EINVAL for a document that is not a trail. trail_view_free releases sel. */
int trail_view_parse(const char *json, struct trail_view *t) __attribute__((warn_unused_result));
void trail_view_free(struct trail_view *t);
/* How far this pass may deliver: the journal end while logging, the stop point after. */
int64_t trail_limit_seq(const struct trail_view *t, int64_t journal_end);
/* Whether the trail receives this journal row (account, region, skipped windows, selectors). */
bool trail_takes(const struct trail_view *t, const struct event_row *e);

/* Writer-side updates of the delivery state (inside apply functions). */
int trail_doc_delivered(struct store_txn *tx, const struct trail_view *t, int64_t cursor,
                        int64_t now_ms) __attribute__((warn_unused_result));
int trail_doc_delivery_failed(struct store_txn *tx, const struct trail_view *t,
                              const char *code, int64_t now_ms)
    __attribute__((warn_unused_result));
/* Moves the cursor past rows the trail does not take (its own transaction). */
int trail_doc_advance(struct store *st, const struct trail_view *t, int64_t cursor)
    __attribute__((warn_unused_result));
/* Removes a deleted trail's document once nothing is owed. */
int trail_doc_retire(struct store *st, const struct trail_view *t)
    __attribute__((warn_unused_result));
/* The ACL of a delivered object: bucket-owner-full-control, the bucket owner's. Owned. */
char *trail_bucket_owner_acl(struct store *st, const char *owner_account);

#endif
