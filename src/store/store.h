/*
 * store — everything s3trail keeps: accounts and keys, buckets and their configurations, objects,
 * multipart uploads and parts, and the CloudTrail event journal. Metadata lives in
 * SQLite (WAL) and object bodies in files under <data>/blobs, behind this one narrow interface;
 * a second back end (PostgreSQL metadata, RADOS bodies) will implement the same calls.
 *
 * Reads: store_* read functions may be called from any thread; each thread gets its own read
 * connection (one WAL snapshot per call), so a read never waits for the writer.
 *
 * Writes: all mutations run on ONE writer thread that batches the work items submitted by many
 * requests into one transaction and one fsync (group commit). A request submits a work item with
 * store_submit(); its `apply` runs on the writer thread inside the batch transaction, under its
 * own savepoint, and may call the store_txn_* functions (including reads through the same
 * transaction, so check-then-write sequences such as conditional PUT are atomic). A nonzero return
 * from `apply` rolls back that item only. `done` is called on the writer thread once the batch is
 * durable (or failed to commit), with apply's result or the commit error; after `done` returns,
 * every reader sees the change (strong read-after-write consistency).
 *
 * Bodies: a request streams a body into a blob with store_blob_begin/write/finish (temp file in
 * <data>/tmp created O_EXCL, fsync, rename into <data>/blobs/xx/yy/<id>, fsync of the directory)
 * BEFORE the metadata naming it commits. A crash therefore leaves either the old state or the
 * new one plus an orphan blob; orphans and temp files are swept by store_open(). Blobs that a
 * committed change stops referencing (overwrite, delete, completed or aborted uploads) are
 * unlinked by the writer after the commit.
 *
 * Errors: functions return 0 or a negative errno: -ENOENT (no such thing; also a write naming a
 * parent that does not exist: an unknown owner account, bucket or upload), -EEXIST (already
 * exists), -ENOTEMPTY (bucket not empty), -EBUSY (database busy), -ENOSPC, -EIO, -ENOMEM,
 * -EINVAL (a malformed argument: NULL where a value is required, a fixed-size field without its
 * NUL, a blob id that is not 32 lower-case hex digits), -E2BIG (a value too large to store).
 * Structs filled by the store own their heap fields; release them with the matching *_free().
 *
 * Blobs may be shared: a blob is unlinked after a commit only when no committed row (object
 * segment or upload part) names it any more, so several rows may name one blob (a server-side
 * copy). To name an existing blob in a new row, read the row that names it inside the same
 * transaction (store_txn_*_get / store_txn_part_list): a blob read outside may be gone by then.
 *
 * Ids of buckets and objects are never reused, so an id read earlier can never name a bucket or
 * object created after the one it was read from.
 *
 * Encryption at rest (SSE-S3): an object whose `sse` is set has its body (inline or blob) stored
 * in the segmented AES-256-GCM format of store/sse.h, under a data key wrapped by the master key
 * <dir>/master.key. The store keeps sizes, ETags and checksums of the plaintext; readers decrypt
 * through store/sse.h (s3_object_read() and GET do).
 */
#ifndef S3TRAIL_STORE_H
#define S3TRAIL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WUR __attribute__((warn_unused_result))

struct store;
struct store_txn;

/* ---- lifecycle ---------------------------------------------------------------------------- */

/* Opens (creating if needed) the data directory: <dir>/meta.db, <dir>/blobs, <dir>/tmp; loads
 * <dir>/master.key (created, mode 0600, when absent; -EINVAL when it is not a 32-byte key); runs
 * schema migrations; sweeps temp files and orphan blobs when no other process has the directory
 * open (a shared flock on <dir>/lock, held for the life of the store, tells); starts the writer
 * thread. Several processes may open one directory (the server and `s3trail admin`); SQLite
 * serialises their writes. -ENOTSUP if a newer s3trail wrote the schema. */
int store_open(const char *dir, struct store **out) WUR;
/* Drains pending work items (their `done` runs), stops the writer, closes everything, including
 * the read connections of threads still alive. No other thread may be inside a store call, nor
 * call the store afterwards (stop the HTTP daemon first). */
void store_close(struct store *st);
const char *store_dir(const struct store *st);

/* ---- accounts and keys --------------------------------------------------------------------- */

struct account {
    char id[13];            /* 12 digits */
    char canonical_id[65];  /* 64 hex (or any string up to 64 chars given by the admin) */
    char display_name[129];
    char email[257];
    int64_t created_ms;
};

struct access_key {
    char access_key[129];
    char secret[129];
    char account_id[13];
    char user_name[129]; /* "" for the account's root credentials */
    bool active;
    int64_t created_ms;
};

int store_account_get(struct store *st, const char *account_id, struct account *out) WUR;
int store_account_by_canonical(struct store *st, const char *canonical_id, struct account *out) WUR;
int store_account_by_email(struct store *st, const char *email, struct account *out) WUR;
int store_key_get(struct store *st, const char *access_key, struct access_key *out) WUR;
/* Counts accounts (used at first start to decide whether to create the default account). */
int store_account_count(struct store *st, int64_t *out) WUR;
/* First account created (the default one), -ENOENT if none. */
int store_account_default(struct store *st, struct account *out) WUR;

int store_txn_account_create(struct store_txn *t, const struct account *a) WUR; /* -EEXIST */
int store_txn_key_create(struct store_txn *t, const struct access_key *k) WUR;  /* -EEXIST */
/* The access keys of one IAM user (user_name "" = the account's root keys), oldest first. *out
 * is an owned array (free(); NULL when n is 0). */
int store_key_list_user(struct store *st, const char *account_id, const char *user_name,
                        struct access_key **out, size_t *n) WUR;
int store_txn_key_list_user(struct store_txn *t, const char *account_id, const char *user_name,
                            struct access_key **out, size_t *n) WUR;
/* -ENOENT when the key does not exist. */
int store_txn_key_set_active(struct store_txn *t, const char *access_key, bool active) WUR;
int store_txn_key_delete(struct store_txn *t, const char *access_key) WUR;

/* ---- buckets ------------------------------------------------------------------------------- */

struct bucket {
    int64_t id;
    char name[64];
    char owner_account[13];
    char region[32];
    int64_t created_ms;
    char *acl; /* owned; opaque to the store (JSON written by the ACL code), may be NULL */
    /* The bucket configuration "policy", read with the bucket by store_bucket_get() and
     * store_txn_bucket_get() (policy_loaded set; policy owned, NULL when none): authorization
     * needs it on every request, and one statement is cheaper than two. Listings leave it
     * unloaded. */
    char *policy;
    bool policy_loaded;
};
void store_bucket_free(struct bucket *b);

int store_bucket_get(struct store *st, const char *name, struct bucket *out) WUR; /* -ENOENT */
/* Buckets of one owner (required) in name order, names > start_after (may be NULL) and starting
 * with prefix (may be NULL), at most max (0 = no limit). *out is an owned array of n buckets
 * (NULL when n is 0); free each with store_bucket_free() and the array with free(). */
int store_bucket_list(struct store *st, const char *owner_account, const char *prefix,
                      const char *start_after, size_t max, struct bucket **out, size_t *n) WUR;

/* b->id is set on success (and b->created_ms to now when it was 0). -EEXIST if the name is taken
 * (by anyone); -ENOENT if the owner account does not exist. */
int store_txn_bucket_create(struct store_txn *t, struct bucket *b) WUR;
/* -ENOENT, -ENOTEMPTY when objects remain. Unfinished multipart uploads are deleted with the
 * bucket (as in S3); their part blobs are unlinked after commit. */
int store_txn_bucket_delete(struct store_txn *t, int64_t bucket_id) WUR;
int store_txn_bucket_get(struct store_txn *t, const char *name, struct bucket *out) WUR;
int store_txn_bucket_set_acl(struct store_txn *t, int64_t bucket_id, const char *acl) WUR;

/* Bucket configuration documents (policy, cors, lifecycle, ...) by name; value NULL deletes
 * (deleting an unset one is not an error). get: *value is owned by the caller; -ENOENT when
 * unset. set: -ENOENT when the bucket does not exist. */
int store_bucket_config_get(struct store *st, int64_t bucket_id, const char *name,
                            char **value) WUR;
int store_txn_bucket_config_set(struct store_txn *t, int64_t bucket_id, const char *name,
                                const char *value) WUR;

/* ---- objects ------------------------------------------------------------------------------- */

/* One piece of an object's body: a whole single-PUT body, or one part of a completed multipart
 * upload. */
struct segment {
    char blob_id[33];    /* 32 hex */
    uint64_t size;
    int part_number;     /* 0 for a single PUT */
    char etag[40];       /* the part's MD5 hex (no quotes) */
    char checksum[128];  /* the part's base64 checksum in the object's algorithm, or "" */
};

struct object_meta {
    int64_t id;
    int64_t bucket_id;
    char *key;               /* owned */
    char version_id[64];     /* "" until versioning exists */
    uint64_t size;
    char etag[48];           /* without quotes: 32 hex, or 32 hex + "-N" for multipart */
    int64_t mtime_ms;
    char owner_account[13];
    char storage_class[32];  /* "STANDARD", ... */
    char checksum_algo[16];  /* "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256" or "" */
    char checksum_type[16];  /* "FULL_OBJECT" or "COMPOSITE" or "" */
    char checksum[128];      /* base64 (composite: "b64-N") or "" */
    char *headers;           /* owned JSON object of stored response headers, lower-case names:
                                content-type, cache-control, ..., x-amz-meta-* */
    char *acl;               /* owned, opaque to the store, may be NULL */
    /* Body: either inline bytes (small objects, nsegs == 0; inline_data is NULL when inline_len
     * is 0, the empty object) or segments in order. A put with both is -EINVAL. */
    unsigned char *inline_data; /* owned, may be NULL */
    size_t inline_len;
    struct segment *segs;       /* owned array */
    size_t nsegs;
    /* Encryption at rest: NULL for a plaintext body, else the owned sse document (store/sse.h)
     * of a body stored encrypted — then inline_len / the blob's file size is the stored length
     * (store_sse_stored_len(size)), not `size`. Only inline and single-blob objects (nsegs <= 1)
     * are encrypted in this version. */
    char *sse;
};
void store_object_free(struct object_meta *m);

int store_object_get(struct store *st, int64_t bucket_id, const char *key,
                     struct object_meta *out) WUR; /* -ENOENT */
int store_txn_object_get(struct store_txn *t, int64_t bucket_id, const char *key,
                         struct object_meta *out) WUR;
/* Inserts or replaces the object (bucket_id, key). m->mtime_ms must be set by the caller. The
 * blobs named by m->segs must exist (store_blob_finish()); blobs of a replaced object are
 * unlinked after commit. m->id is set on success (a replace gets a new id). An empty
 * storage_class is stored as "STANDARD", NULL headers as "{}". -ENOENT: no such bucket. */
int store_txn_object_put(struct store_txn *t, struct object_meta *m) WUR;
/* -ENOENT when absent. */
int store_txn_object_delete(struct store_txn *t, int64_t bucket_id, const char *key) WUR;
int store_txn_object_set_acl(struct store_txn *t, int64_t object_id, const char *acl) WUR;

struct list_params {
    const char *prefix;      /* NULL or "" = all */
    const char *delimiter;   /* NULL or "" = none */
    const char *start_after; /* exclusive lower bound on keys (marker / start-after / decoded
                                continuation token); NULL = from the start */
    size_t max_keys;         /* entries + common prefixes together, as S3 counts them */
};

struct list_entry {
    char *key;          /* owned: the key, or the common prefix when is_prefix */
    bool is_prefix;
    uint64_t size;
    char etag[48];
    int64_t mtime_ms;
    char storage_class[32];
    char owner_account[13];
    char checksum_algo[16];
    char checksum_type[16];
};

struct list_result {
    struct list_entry *v; /* owned array */
    size_t n;
    bool truncated;
    char *next_marker;    /* owned: the last key or common prefix returned when truncated */
};
void store_list_free(struct list_result *r);

/* Byte-order (memcmp) listing with S3's delimiter semantics: a key that contains the delimiter
 * after the prefix is rolled into the common prefix prefix + ... + delimiter, which counts once
 * towards max_keys; a common prefix <= start_after is not returned (so a start_after inside a
 * prefix's range, "a/1" with keys a/1 a/2, does not repeat "a/"). max_keys 0 returns nothing,
 * not truncated. The listing reads one snapshot and seeks past each common prefix, so its cost
 * does not depend on how many keys a prefix hides. */
int store_object_list(struct store *st, int64_t bucket_id, const struct list_params *p,
                      struct list_result *out) WUR;
/* 1 if the bucket is EMPTY (no object and no multipart upload), 0 if it holds any, or a negative
 * errno. */
int store_bucket_is_empty(struct store *st, int64_t bucket_id) WUR;

/* ---- multipart uploads -------------------------------------------------------------------- */

struct upload {
    char upload_id[65];
    int64_t bucket_id;
    char *key;            /* owned */
    int64_t initiated_ms;
    char owner_account[13];
    char storage_class[32];
    char checksum_algo[16];
    char checksum_type[16];
    char *headers;        /* owned JSON, as object_meta.headers */
    char *acl;            /* owned, may be NULL */
};
void store_upload_free(struct upload *u);

struct part {
    int number;
    uint64_t size;
    char etag[40];        /* MD5 hex, no quotes */
    int64_t mtime_ms;
    char blob_id[33];
    char checksum[128];   /* base64 in the upload's algorithm, or "" */
};

int store_upload_get(struct store *st, const char *upload_id, struct upload *out) WUR;
int store_txn_upload_get(struct store_txn *t, const char *upload_id, struct upload *out) WUR;
int store_txn_upload_create(struct store_txn *t, const struct upload *u) WUR;
/* Replaces an existing part with the same number (its blob is unlinked after commit). -ENOENT if
 * the upload is gone (aborted or completed meanwhile). */
int store_txn_part_put(struct store_txn *t, const char *upload_id, const struct part *p) WUR;
/* Parts with number > after, ascending, at most max (0 = all). *out owned array (free()).
 * -ENOENT when the upload does not exist (both forms). */
int store_part_list(struct store *st, const char *upload_id, int after, size_t max,
                    struct part **out, size_t *n) WUR;
int store_txn_part_list(struct store_txn *t, const char *upload_id, struct part **out,
                        size_t *n) WUR;
/* Removes the upload and its parts. Blobs of parts named in keep_blobs (those moved into the
 * completed object) survive; all others are unlinked after commit. */
int store_txn_upload_delete(struct store_txn *t, const char *upload_id,
                            const char *const *keep_blobs, size_t nkeep) WUR;

struct upload_list_params {
    const char *prefix;
    const char *delimiter;
    const char *key_marker;       /* NULL = start */
    const char *upload_id_marker; /* with key_marker: uploads of that key after this id */
    size_t max_uploads;
};
struct upload_entry {
    bool is_prefix;
    char *key;            /* owned: key or common prefix */
    char upload_id[65];
    int64_t initiated_ms;
    char owner_account[13];
    char storage_class[32];
    char checksum_algo[16];
    char checksum_type[16];
};
struct upload_list {
    struct upload_entry *v;
    size_t n;
    bool truncated;
    char *next_key_marker;       /* owned, when truncated */
    char next_upload_id_marker[65];
};
void store_upload_list_free(struct upload_list *l);
/* Ordered by key (byte order), then initiation time, then upload id, with the same delimiter,
 * max and marker rules as store_object_list() (key_marker plays start_after). With
 * upload_id_marker, the uploads of key_marker after that upload come first (when that upload is
 * gone: those whose id sorts after it). When truncated, next_upload_id_marker is "" if the last
 * entry is a common prefix. */
int store_upload_list(struct store *st, int64_t bucket_id, const struct upload_list_params *p,
                      struct upload_list *out) WUR;

/* ---- bodies ------------------------------------------------------------------------------- */

struct blob_writer {
    int fd;
    char id[33];
    char tmp_path[512];
    uint64_t size;
};

/* Creates a new temp file with a fresh random id. */
int store_blob_begin(struct store *st, struct blob_writer *w) WUR;
/* Writes all n bytes (retrying short writes and EINTR); -ENOSPC/-EIO on failure (then call
 * store_blob_abort()). */
int store_blob_write(struct blob_writer *w, const void *p, size_t n) WUR;
/* fsync, rename to its final place, fsync the directory. After this the blob exists until a
 * committed change drops it or the orphan sweep finds nothing naming it. On failure the temp
 * file is already removed (store_blob_abort() is then a harmless no-op). */
int store_blob_finish(struct store *st, struct blob_writer *w) WUR;
/* Closes and unlinks an unfinished temp file (safe on a zeroed or finished writer: no-op). */
void store_blob_abort(struct store *st, struct blob_writer *w);
/* Opens a finished blob read-only: returns an fd (caller closes) or -errno. An open fd stays
 * readable after the blob is unlinked; but between store_object_get() and this call a concurrent
 * overwrite or delete may commit and unlink the blob: on -ENOENT read the object again. */
int store_blob_open(struct store *st, const char *blob_id) WUR;
/* Unlinks a finished blob that was never committed (a failed request's body). */
void store_blob_discard(struct store *st, const char *blob_id);

/* ---- server-side encryption (SSE-S3) --------------------------------------------------------
 *
 * One-shot encryption of a body held in memory, for writers that have it whole (CloudTrail log
 * files). The format, and a streaming encryptor/decryptor, are in store/sse.h. Each call draws a
 * fresh data key and salt; *sse_json (owned by the caller, free()) goes into object_meta.sse of
 * the object that names the result, and is NULL on failure.
 *
 * store_sse_encrypt_blob: writes the encrypted form of p[0..n) into w, a writer begun with
 *   store_blob_begin() and not yet written; the caller then calls store_blob_finish() (or
 *   store_blob_abort() on failure). The blob holds store_sse_stored_len(n, SSE_SEG_SIZE) bytes;
 *   the segment names it with size = n (the plaintext size).
 * store_sse_encrypt_inline: *out (owned, malloc) receives the encrypted form, *out_len bytes, for
 *   object_meta.inline_data / inline_len (n bytes of plaintext, at most the inline limit).
 *
 * A log file stored encrypted, start to end:
 *   struct blob_writer w; char *sse = NULL;
 *   store_blob_begin(st, &w);
 *   store_sse_encrypt_blob(st, gz, gzlen, &w, &sse);    // on failure: store_blob_abort()
 *   store_blob_finish(st, &w);
 *   struct segment g = {.size = gzlen};  copy w.id into g.blob_id, the MD5 hex into g.etag;
 *   m.size = gzlen; m.etag = MD5 hex of gz (plaintext); m.segs = &g; m.nsegs = 1; m.sse = sse;
 *   store_submit(...) with an apply calling store_txn_object_put(t, &m);
 *   if that fails: store_blob_discard(st, w.id).
 * GET and HEAD of the object then answer x-amz-server-side-encryption: AES256.
 * Errors: -EINVAL (NULL arguments), -ENOMEM, -EIO, a blob write's -ENOSPC/-EIO. */
int store_sse_encrypt_blob(struct store *st, const void *p, size_t n, struct blob_writer *w,
                           char **sse_json) WUR;
int store_sse_encrypt_inline(struct store *st, const void *p, size_t n, unsigned char **out,
                             size_t *out_len, char **sse_json) WUR;

/* ---- account documents ----------------------------------------------------------------------
 *
 * Small JSON documents an account owns, by kind and name: a trail's configuration ("trail"),
 * its delivery state. get: *value owned by the caller, -ENOENT when absent. set with value NULL
 * deletes (0 also when absent). list: every document of a kind, of one account or (account NULL)
 * of all, ordered by account then name. */

struct store_doc {
    char account_id[13];
    char *name;  /* owned */
    char *value; /* owned */
};
void store_docs_free(struct store_doc *v, size_t n); /* frees the array too */

int store_doc_get(struct store *st, const char *kind, const char *account, const char *name,
                  char **value) WUR;
int store_txn_doc_get(struct store_txn *t, const char *kind, const char *account,
                      const char *name, char **value) WUR;
int store_txn_doc_set(struct store_txn *t, const char *kind, const char *account,
                      const char *name, const char *value) WUR;
int store_doc_list(struct store *st, const char *kind, const char *account,
                   struct store_doc **out, size_t *n) WUR;
/* Deletes at most max documents of (kind, account) whose top-level number "ExpiresMs" is below
 * before_ms (documents without it are kept): bounded, so it can ride along a writer item.
 * Returns how many were deleted (>= 0) or -errno. */
int store_txn_doc_prune_expired(struct store_txn *t, const char *kind, const char *account,
                                int64_t before_ms, size_t max) WUR;

/* ---- the event journal (CloudTrail records) --------------------------------------------------
 *
 * Every audited request appends one row in the same transaction as the change it describes (so
 * a record exists exactly when its change does). Rows are numbered by `seq`, strictly increasing
 * in commit order: trail delivery reads the journal in seq order from a cursor; LookupEvents
 * reads management rows newest first. */

struct event_row {
    int64_t seq;              /* set by store_txn_event_append */
    char event_id[37];        /* UUID, lower-case */
    int64_t event_time_ms;
    char account_id[13];      /* recipientAccountId: whose history and trails get it */
    char region[32];          /* awsRegion */
    char event_name[64];
    char event_source[64];    /* "s3.amazonaws.com", "cloudtrail.amazonaws.com", ... */
    bool read_only;
    bool management;          /* management event (event history) or data event */
    char username[130];       /* LookupEvents Username: IAM user name, "root", session name */
    char access_key[129];     /* "" when anonymous */
    char *resources;          /* owned JSON array for LookupEvents:
                                 [{"ResourceType":"AWS::S3::Bucket","ResourceName":"b"}, ...] */
    char *record;             /* owned: the CloudTrail record, one JSON object */
};
void store_event_rows_free(struct event_row *v, size_t n); /* frees the array too */

/* Appends e (seq is set on success). Required: event_id, region, event_name, event_source
 * (non-empty) and record; resources NULL is stored as "[]". account_id may be "" (an anonymous
 * call on no bucket: no account's history or trails get it). A management row's
 * resources must be a JSON array of objects whose ResourceType / ResourceName are strings (or
 * absent, or null), else -EINVAL; they feed the ResourceType/ResourceName lookups. A data row's
 * resources are stored as given, unparsed: data rows are never looked up, so appending one costs
 * a single table insert. */
int store_txn_event_append(struct store_txn *t, struct event_row *e) WUR;

/* LookupEvents: management rows of one account and region, newest first. */
struct event_query {
    const char *account_id;
    const char *region;
    /* At most one lookup attribute (CloudTrail's rule); attr_key NULL for none. Keys: EventId,
     * EventName, ReadOnly ("true"/"false"), Username, ResourceType, ResourceName, EventSource,
     * AccessKeyId (exact matches). */
    const char *attr_key;
    const char *attr_value;
    int64_t start_ms;         /* inclusive; 0 = no lower bound */
    int64_t end_ms;           /* inclusive; 0 = no upper bound */
    int64_t before_seq;       /* paging cursor: only rows with seq < before_seq; 0 = none */
    size_t max;               /* 0 = no limit */
};
/* *out owned (store_event_rows_free; NULL when n is 0). -EINVAL for an unknown attribute key or
 * a key without a value. A ReadOnly value other than "true"/"false" matches nothing. One SQL
 * statement, so one snapshot: a page never mixes two states of the journal. */
int store_event_lookup(struct store *st, const struct event_query *q, struct event_row **out,
                       size_t *n) WUR;
/* The highest seq ever appended (0 when none): a trail that starts logging now begins after
 * it. Pruned or delivered rows do not lower it. */
int store_event_last_seq(struct store *st, int64_t *seq) WUR;
int store_txn_event_last_seq(struct store_txn *t, int64_t *seq) WUR;
/* Journal order: rows (management and data) with seq > after_seq, ascending, at most max (0 =
 * no limit). */
int store_event_scan(struct store *st, int64_t after_seq, size_t max, struct event_row **out,
                     size_t *n) WUR;
/* Drops management rows older than before_ms (event-history retention), oldest first, at most
 * STORE_EVENT_PRUNE_MAX per call: the prune runs inside a writer batch, and deleting a backlog of
 * millions in one go would hold every request's commit behind it. Call again (a new work item)
 * while it returns STORE_EVENT_PRUNE_MAX. Returns the count removed (>= 0) or -errno. Data rows
 * are dropped by delivery (next issue). */
#define STORE_EVENT_PRUNE_MAX 10000
int store_txn_event_prune(struct store_txn *t, int64_t before_ms) WUR;
/* Drops data rows with seq <= upto_seq — those every trail has passed (data events never reach
 * event history, and a trail that starts later begins at the journal's end) — and older than
 * before_ms, at most STORE_EVENT_PRUNE_MAX per call. Returns the count removed or -errno. */
int store_txn_event_prune_data(struct store_txn *t, int64_t upto_seq, int64_t before_ms) WUR;

/* ---- the writer ---------------------------------------------------------------------------- */

/* apply runs on the writer thread inside the batch transaction: read through store_txn_* (the
 * plain store_* reads on the writer thread see only what is committed, not this batch), do not
 * block, and return 0 to keep the item's changes or nonzero to roll back only them. done may be
 * NULL; it runs on the writer thread after the commit, so it must be quick (resume the request). If
 * the engine aborts the whole transaction (disk full, I/O error), every item applied so far in it
 * gets that error even though its apply returned 0. */
typedef int (*store_apply_fn)(struct store_txn *t, void *arg);
typedef void (*store_done_fn)(void *arg, int rc);

/* Inside an apply: runs fn under a nested savepoint; a nonzero return rolls back fn's changes
 * only, and the enclosing item goes on (a failed change still commits its audit record). Returns
 * fn's result, or the savepoint's error. */
int store_txn_nest(struct store_txn *t, store_apply_fn fn, void *arg) WUR;

/* Queues a work item; returns 0 (done will be called exactly once) or -ENOMEM/-ESHUTDOWN (done is
 * not called). */
int store_submit(struct store *st, store_apply_fn apply, store_done_fn done, void *arg) WUR;
/* Submits and waits: for the CLI and tests, never from an MHD thread. Returns apply's result or
 * the commit error; -EDEADLK when called on the writer thread (from an apply or a done). */
int store_submit_wait(struct store *st, store_apply_fn apply, void *arg) WUR;

/* Milliseconds since the epoch (wall clock), the store's notion of now. */
int64_t store_now_ms(void);

/* Writer counters since store_open(), for tests and metrics. A batch that commits costs one
 * fsync of the database, so items / commits is the group-commit factor. */
struct store_stats {
    uint64_t items;          /* work items run (whatever their result) */
    uint64_t batches;        /* transactions begun */
    uint64_t commits;        /* transactions committed (one database fsync each) */
    uint64_t commit_errors;  /* transactions that failed to begin or commit, or were aborted */
    uint64_t blobs_unlinked; /* blobs unlinked after a commit stopped naming them */
};
void store_stats_get(struct store *st, struct store_stats *out);

#endif
