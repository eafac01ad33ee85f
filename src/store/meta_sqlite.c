/*
 * meta_sqlite — the SQLite metadata back end (struct meta_backend in store_int.h).
 *
 * Connections: one write connection, used by store_open() (migrations, orphan sweep) and then
 * only by the writer thread; and one read-only connection per reading thread, opened on first use
 * and kept in a pthread key whose destructor closes it when the thread exits. Every connection
 * caches its prepared statements (one slot per SQL text in the STMTS table below), so a thread
 * pool that reuses threads reuses connections and statements. store_close() closes the read
 * connections of threads still alive; the key is deleted, so their stale values are never seen
 * again (POSIX: a new key starts NULL in every thread).
 *
 * Snapshots: the database is in WAL mode, so a reader never waits for the writer and sees every
 * transaction committed before its read transaction began. A read that runs more than one
 * statement (an object and its segments, a listing that seeks) wraps them in BEGIN...COMMIT on its
 * read connection, so it sees one snapshot; a statement is always reset after use, because a
 * statement left mid-step would pin an old snapshot (and hold back WAL checkpoints) forever.
 *
 * Keys are TEXT compared with the BINARY collation, i.e. memcmp on the UTF-8 bytes, which is
 * S3's byte order. Bounds computed byte-wise (successor(), below) are bound as TEXT of explicit
 * length: SQLite compares them with memcmp and never validates or converts them.
 *
 * Every sqlite3 call that touches the disk goes through sq_step() / sq_prepare() / sq_open(), so
 * fault injection (SQLITE_BUSY, SQLITE_FULL, SQLITE_IOERR) has one place to hook.
 */
#include "store/store_int.h"
#include "util/fault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

/* ---- schema ------------------------------------------------------------------------------- */

/*
 * Migrations, applied in order; PRAGMA user_version holds how many have run. Append only: never
 * edit a shipped entry. Tables are STRICT so a bug cannot store a string where a size belongs.
 * Uniqueness that later versions will change (objects get versions) lives in named indexes rather
 * than table constraints, because SQLite can drop an index but not a table constraint.
 */
static const char *const migrations[] = {
    /* 1: accounts, keys, buckets, objects, uploads. */
    "CREATE TABLE accounts("
    "  id TEXT PRIMARY KEY,"
    "  canonical_id TEXT NOT NULL UNIQUE,"
    "  display_name TEXT NOT NULL,"
    "  email TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL"
    ") STRICT;"
    "CREATE UNIQUE INDEX accounts_email ON accounts(email) WHERE email <> '';"

    "CREATE TABLE access_keys("
    "  access_key TEXT PRIMARY KEY,"
    "  secret TEXT NOT NULL,"
    "  account_id TEXT NOT NULL REFERENCES accounts(id),"
    "  user_name TEXT NOT NULL DEFAULT '',"
    "  active INTEGER NOT NULL DEFAULT 1,"
    "  created_ms INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX access_keys_account ON access_keys(account_id, user_name);"

    /* AUTOINCREMENT on buckets and objects: an id is never reused, so an id a request read before
     * a delete can never name a bucket or object created after it (a recreated bucket of the
     * same name belongs to whoever recreated it). */
    "CREATE TABLE buckets("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL UNIQUE,"
    "  owner_account TEXT NOT NULL REFERENCES accounts(id),"
    "  region TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  acl TEXT"
    ") STRICT;"
    "CREATE INDEX buckets_owner ON buckets(owner_account, name);"

    "CREATE TABLE bucket_configs("
    "  bucket_id INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY(bucket_id, name)"
    ") STRICT, WITHOUT ROWID;"

    "CREATE TABLE objects("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  bucket_id INTEGER NOT NULL REFERENCES buckets(id),"
    "  key TEXT NOT NULL COLLATE BINARY,"
    "  version_id TEXT NOT NULL DEFAULT '',"
    "  size INTEGER NOT NULL,"
    "  etag TEXT NOT NULL,"
    "  mtime_ms INTEGER NOT NULL,"
    "  owner_account TEXT NOT NULL,"
    "  storage_class TEXT NOT NULL DEFAULT 'STANDARD',"
    "  checksum_algo TEXT NOT NULL DEFAULT '',"
    "  checksum_type TEXT NOT NULL DEFAULT '',"
    "  checksum TEXT NOT NULL DEFAULT '',"
    "  headers TEXT NOT NULL DEFAULT '{}',"
    "  acl TEXT,"
    "  inline_data BLOB"
    ") STRICT;"
    /* One current object per key until versioning replaces this with (bucket_id, key,
     * version_id). It is also the listing index: equality on bucket_id, range on key. */
    "CREATE UNIQUE INDEX objects_key ON objects(bucket_id, key);"

    "CREATE TABLE segments("
    "  object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  blob_id TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  part_number INTEGER NOT NULL DEFAULT 0,"
    "  etag TEXT NOT NULL DEFAULT '',"
    "  checksum TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY(object_id, idx)"
    ") STRICT, WITHOUT ROWID;"
    /* Who names a blob: the orphan sweep and the writer's unlink-after-commit check. */
    "CREATE INDEX segments_blob ON segments(blob_id);"

    "CREATE TABLE uploads("
    "  id TEXT PRIMARY KEY,"
    "  bucket_id INTEGER NOT NULL REFERENCES buckets(id),"
    "  key TEXT NOT NULL COLLATE BINARY,"
    "  initiated_ms INTEGER NOT NULL,"
    "  owner_account TEXT NOT NULL,"
    "  storage_class TEXT NOT NULL DEFAULT 'STANDARD',"
    "  checksum_algo TEXT NOT NULL DEFAULT '',"
    "  checksum_type TEXT NOT NULL DEFAULT '',"
    "  headers TEXT NOT NULL DEFAULT '{}',"
    "  acl TEXT"
    ") STRICT;"
    "CREATE INDEX uploads_list ON uploads(bucket_id, key, initiated_ms, id);"

    "CREATE TABLE parts("
    "  upload_id TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,"
    "  number INTEGER NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  etag TEXT NOT NULL,"
    "  mtime_ms INTEGER NOT NULL,"
    "  blob_id TEXT NOT NULL,"
    "  checksum TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY(upload_id, number)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX parts_blob ON parts(blob_id);",

    /* 2: the event journal. `seq` is AUTOINCREMENT so a number is never reused, even after the
     * newest rows are pruned: a delivery cursor "after seq N" can never skip a row numbered
     * later.
     *
     * Only management rows are ever looked up (event history); data rows are read in seq order
     * by delivery, through the primary key. So every lookup index is partial (WHERE management =
     * 1) and a data row, the bulk of S3 traffic, costs one table insert and nothing else. Each
     * lookup index is (account, region, attribute, seq DESC) so a page is an index range read in
     * LookupEvents' order, with event_time_ms after seq so a StartTime/EndTime filter is checked
     * in the index without visiting the table. events_retention serves the retention prune.
     *
     * event_resources holds the (type, name) pairs of a management row's resources JSON, for
     * the ResourceType and ResourceName lookups; '' stands for a missing member, which no lookup
     * value (1..2000 characters) can match. */
    "CREATE TABLE events("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  event_id TEXT NOT NULL,"
    "  event_time_ms INTEGER NOT NULL,"
    "  account_id TEXT NOT NULL,"
    "  region TEXT NOT NULL,"
    "  event_name TEXT NOT NULL,"
    "  event_source TEXT NOT NULL,"
    "  read_only INTEGER NOT NULL,"
    "  management INTEGER NOT NULL,"
    "  username TEXT NOT NULL,"
    "  access_key TEXT NOT NULL,"
    "  resources TEXT NOT NULL,"
    "  record TEXT NOT NULL"
    ") STRICT;"
    "CREATE INDEX events_history ON events(account_id, region, management, seq DESC, "
    "  event_time_ms) WHERE management = 1;"
    "CREATE INDEX events_event_id ON events(event_id) WHERE management = 1;"
    "CREATE INDEX events_event_name ON events(account_id, region, event_name, seq DESC, "
    "  event_time_ms) WHERE management = 1;"
    "CREATE INDEX events_read_only ON events(account_id, region, read_only, seq DESC, "
    "  event_time_ms) WHERE management = 1;"
    "CREATE INDEX events_username ON events(account_id, region, username, seq DESC, "
    "  event_time_ms) WHERE management = 1;"
    "CREATE INDEX events_event_source ON events(account_id, region, event_source, seq DESC, "
    "  event_time_ms) WHERE management = 1;"
    "CREATE INDEX events_access_key ON events(account_id, region, access_key, seq DESC, "
    "  event_time_ms) WHERE management = 1;"
    "CREATE INDEX events_retention ON events(event_time_ms) WHERE management = 1;"

    "CREATE TABLE event_resources("
    "  seq INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,"
    "  type TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  PRIMARY KEY(seq, type, name)"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX event_resources_type ON event_resources(type, seq DESC);"
    "CREATE INDEX event_resources_name ON event_resources(name, seq DESC);",

    /* 3: account-level documents (trails and their delivery state, ...), by kind and name. */
    "CREATE TABLE docs("
    "  kind TEXT NOT NULL,"
    "  account_id TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY(kind, account_id, name)"
    ") STRICT, WITHOUT ROWID;",

    /* 4: server-side encryption at rest: the sse document (store/sse.h) of an encrypted body,
     * NULL for plaintext. A nullable column added last costs nothing on existing rows. */
    "ALTER TABLE objects ADD COLUMN sse TEXT;",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- statements --------------------------------------------------------------------------- */

#define OBJ_COLS                                                                                   \
    "id, bucket_id, key, version_id, size, etag, mtime_ms, owner_account, storage_class, "         \
    "checksum_algo, checksum_type, checksum, headers, acl, inline_data, sse"
#define LIST_COLS                                                                                  \
    "key, size, etag, mtime_ms, storage_class, owner_account, checksum_algo, checksum_type"
#define UPL_COLS                                                                                   \
    "id, bucket_id, key, initiated_ms, owner_account, storage_class, checksum_algo, "              \
    "checksum_type, headers, acl"
#define UPL_LIST_COLS                                                                              \
    "key, id, initiated_ms, owner_account, storage_class, checksum_algo, checksum_type"
#define ACCOUNT_COLS "id, canonical_id, display_name, email, created_ms"
#define BUCKET_COLS "id, name, owner_account, region, created_ms, acl"
#define PART_COLS "number, size, etag, mtime_ms, blob_id, checksum"
#define EV_REST_COLS                                                                               \
    "event_id, event_time_ms, account_id, region, event_name, event_source, read_only, "           \
    "management, username, access_key, resources, record"
#define EV_COLS "seq, " EV_REST_COLS

/* LookupEvents: the management rows of account ?1 in region ?2 with seq < ?3 and event time in
 * [?4, ?5], newest first; `cond` compares one attribute with ?6. INDEXED BY pins the plan to the
 * attribute's index (preparing fails if it cannot be used), so a page is always an index range
 * read in seq order, never a sort. */
#define EV_LOOKUP(idx, cond)                                                                       \
    "SELECT " EV_COLS " FROM events INDEXED BY " idx " WHERE account_id = ?1 AND region = ?2 "     \
    "AND management = 1 " cond " AND seq < ?3 AND event_time_ms BETWEEN ?4 AND ?5 "                \
    "ORDER BY seq DESC"
/* The resource lookups drive from event_resources' (type|name, seq) index (CROSS JOIN fixes the
 * loop order); a row naming the value twice comes out twice in a row and is skipped by the
 * reader. */
#define EV_LOOKUP_RES(idx, col)                                                                    \
    "SELECT e.seq, " EV_REST_COLS " FROM event_resources AS r INDEXED BY " idx " "                 \
    "CROSS JOIN events AS e ON e.seq = r.seq WHERE r." col " = ?6 AND r.seq < ?3 "                 \
    "AND e.account_id = ?1 AND e.region = ?2 AND e.management = 1 "                                \
    "AND e.event_time_ms BETWEEN ?4 AND ?5 ORDER BY r.seq DESC"

/* Every SQL text the back end runs, prepared once per connection on first use. */
#define STMTS(X)                                                                                   \
    X(S_BEGIN, "BEGIN")                                                                            \
    X(S_BEGIN_IMMEDIATE, "BEGIN IMMEDIATE")                                                        \
    X(S_COMMIT, "COMMIT")                                                                          \
    X(S_ROLLBACK, "ROLLBACK")                                                                      \
    X(S_SAVEPOINT, "SAVEPOINT item")                                                               \
    X(S_RELEASE, "RELEASE item")                                                                   \
    X(S_ROLLBACK_TO, "ROLLBACK TO item")                                                           \
    X(S_BLOB_REFERENCED, "SELECT EXISTS(SELECT 1 FROM segments WHERE blob_id = ?1) "               \
                         "OR EXISTS(SELECT 1 FROM parts WHERE blob_id = ?1)")                      \
    X(S_ACCOUNT_BY_ID, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?1")                      \
    X(S_ACCOUNT_BY_CANONICAL, "SELECT " ACCOUNT_COLS " FROM accounts WHERE canonical_id = ?1")     \
    X(S_ACCOUNT_BY_EMAIL,                                                                          \
      "SELECT " ACCOUNT_COLS " FROM accounts WHERE email = ?1 AND email <> ''")                    \
    X(S_ACCOUNT_FIRST, "SELECT " ACCOUNT_COLS " FROM accounts ORDER BY rowid LIMIT 1")             \
    X(S_ACCOUNT_COUNT, "SELECT count(*) FROM accounts")                                            \
    X(S_ACCOUNT_INSERT, "INSERT INTO accounts(" ACCOUNT_COLS ") VALUES(?1, ?2, ?3, ?4, ?5)")       \
    X(S_KEY_GET, "SELECT access_key, secret, account_id, user_name, active, created_ms "           \
                 "FROM access_keys WHERE access_key = ?1")                                         \
    X(S_KEY_INSERT, "INSERT INTO access_keys(access_key, secret, account_id, user_name, active, "  \
                    "created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6)")                                  \
    X(S_KEY_LIST_USER, "SELECT access_key, secret, account_id, user_name, active, created_ms "     \
                       "FROM access_keys WHERE account_id = ?1 AND user_name = ?2 "                \
                       "ORDER BY created_ms, access_key")                                          \
    X(S_KEY_SET_ACTIVE, "UPDATE access_keys SET active = ?2 WHERE access_key = ?1")                \
    X(S_KEY_DELETE, "DELETE FROM access_keys WHERE access_key = ?1")                               \
    X(S_BUCKET_GET, "SELECT " BUCKET_COLS ", (SELECT value FROM bucket_configs WHERE "     \
                    "bucket_id = buckets.id AND name = 'policy') FROM buckets WHERE name = ?1")                         \
    X(S_BUCKET_LIST_GE, "SELECT " BUCKET_COLS " FROM buckets WHERE owner_account = ?1 "            \
                        "AND name >= ?2 ORDER BY name LIMIT ?3")                                   \
    X(S_BUCKET_LIST_GT, "SELECT " BUCKET_COLS " FROM buckets WHERE owner_account = ?1 "            \
                        "AND name > ?2 ORDER BY name LIMIT ?3")                                    \
    X(S_BUCKET_INSERT, "INSERT INTO buckets(name, owner_account, region, created_ms, acl) "        \
                       "VALUES(?1, ?2, ?3, ?4, ?5)")                                               \
    X(S_BUCKET_EXISTS, "SELECT 1 FROM buckets WHERE id = ?1")                                      \
    X(S_BUCKET_IS_EMPTY, "SELECT NOT EXISTS(SELECT 1 FROM objects WHERE bucket_id = ?1) "          \
                         "AND NOT EXISTS(SELECT 1 FROM uploads WHERE bucket_id = ?1)")             \
    X(S_BUCKET_DELETE, "DELETE FROM buckets WHERE id = ?1")                                        \
    X(S_BUCKET_HAS_OBJECTS, "SELECT EXISTS(SELECT 1 FROM objects WHERE bucket_id = ?1)")            \
    X(S_BUCKET_AN_UPLOAD, "SELECT id FROM uploads WHERE bucket_id = ?1 LIMIT 1")                   \
    X(S_BUCKET_SET_ACL, "UPDATE buckets SET acl = ?2 WHERE id = ?1")                               \
    X(S_CONFIG_GET, "SELECT value FROM bucket_configs WHERE bucket_id = ?1 AND name = ?2")         \
    X(S_CONFIG_SET, "INSERT INTO bucket_configs(bucket_id, name, value) VALUES(?1, ?2, ?3) "       \
                    "ON CONFLICT(bucket_id, name) DO UPDATE SET value = excluded.value")           \
    X(S_CONFIG_DELETE, "DELETE FROM bucket_configs WHERE bucket_id = ?1 AND name = ?2")            \
    X(S_EVENT_LAST_SEQ, "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)") \
    X(S_DOC_GET, "SELECT value FROM docs WHERE kind = ?1 AND account_id = ?2 AND name = ?3")       \
    X(S_DOC_SET, "INSERT INTO docs(kind, account_id, name, value) VALUES(?1, ?2, ?3, ?4) "         \
                 "ON CONFLICT(kind, account_id, name) DO UPDATE SET value = excluded.value")      \
    X(S_DOC_DELETE, "DELETE FROM docs WHERE kind = ?1 AND account_id = ?2 AND name = ?3")          \
    X(S_DOC_LIST, "SELECT account_id, name, value FROM docs WHERE kind = ?1 "                      \
                  "AND (?2 IS NULL OR account_id = ?2) ORDER BY account_id, name")                 \
    X(S_DOC_PRUNE, "DELETE FROM docs WHERE kind = ?1 AND account_id = ?2 AND name IN ("           \
                   "SELECT name FROM docs WHERE kind = ?1 AND account_id = ?2 "                    \
                   "AND json_extract(value, '$.ExpiresMs') < ?3 LIMIT ?4)")                        \
    X(S_OBJECT_GET, "SELECT " OBJ_COLS " FROM objects WHERE bucket_id = ?1 AND key = ?2")          \
    X(S_OBJECT_ID, "SELECT id FROM objects WHERE bucket_id = ?1 AND key = ?2")                     \
    X(S_OBJECT_INSERT, "INSERT INTO objects(bucket_id, key, version_id, size, etag, mtime_ms, "    \
                       "owner_account, storage_class, checksum_algo, checksum_type, checksum, "    \
                       "headers, acl, inline_data, sse) "                                          \
                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)") \
    X(S_OBJECT_DELETE, "DELETE FROM objects WHERE id = ?1")                                        \
    X(S_OBJECT_SET_ACL, "UPDATE objects SET acl = ?2 WHERE id = ?1")                               \
    X(S_SEGMENTS_GET, "SELECT blob_id, size, part_number, etag, checksum FROM segments "           \
                      "WHERE object_id = ?1 ORDER BY idx")                                         \
    X(S_SEGMENT_BLOBS, "SELECT blob_id FROM segments WHERE object_id = ?1")                        \
    X(S_SEGMENT_INSERT, "INSERT INTO segments(object_id, idx, blob_id, size, part_number, etag, "  \
                        "checksum) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)")                            \
    X(S_OBJ_LIST_GE, "SELECT " LIST_COLS " FROM objects WHERE bucket_id = ?1 AND key >= ?2 "       \
                     "ORDER BY key")                                                               \
    X(S_OBJ_LIST_GT, "SELECT " LIST_COLS " FROM objects WHERE bucket_id = ?1 AND key > ?2 "        \
                     "ORDER BY key")                                                               \
    X(S_UPLOAD_GET, "SELECT " UPL_COLS " FROM uploads WHERE id = ?1")                              \
    X(S_UPLOAD_EXISTS, "SELECT 1 FROM uploads WHERE id = ?1")                                      \
    X(S_UPLOAD_INSERT, "INSERT INTO uploads(" UPL_COLS ") "                                        \
                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")                          \
    X(S_UPLOAD_DELETE, "DELETE FROM uploads WHERE id = ?1")                                        \
    X(S_UPLOAD_MARKER, "SELECT initiated_ms FROM uploads WHERE id = ?1 AND bucket_id = ?2 "        \
                       "AND key = ?3")                                                             \
    X(S_UPL_LIST_GE, "SELECT " UPL_LIST_COLS " FROM uploads WHERE bucket_id = ?1 AND key >= ?2 "   \
                     "ORDER BY key, initiated_ms, id")                                             \
    X(S_UPL_LIST_GT, "SELECT " UPL_LIST_COLS " FROM uploads WHERE bucket_id = ?1 AND key > ?2 "    \
                     "ORDER BY key, initiated_ms, id")                                             \
    X(S_UPL_LIST_KEY_AFTER, "SELECT " UPL_LIST_COLS " FROM uploads WHERE bucket_id = ?1 "          \
                            "AND key = ?2 AND (initiated_ms > ?3 OR (initiated_ms = ?3 "           \
                            "AND id > ?4)) ORDER BY initiated_ms, id")                             \
    X(S_UPL_LIST_KEY_ID_GT, "SELECT " UPL_LIST_COLS " FROM uploads WHERE bucket_id = ?1 "          \
                            "AND key = ?2 AND id > ?3 ORDER BY initiated_ms, id")                  \
    X(S_PART_BLOB, "SELECT blob_id FROM parts WHERE upload_id = ?1 AND number = ?2")               \
    X(S_PART_PUT, "INSERT INTO parts(upload_id, number, size, etag, mtime_ms, blob_id, "           \
                  "checksum) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "                                  \
                  "ON CONFLICT(upload_id, number) DO UPDATE SET size = excluded.size, "            \
                  "etag = excluded.etag, mtime_ms = excluded.mtime_ms, "                           \
                  "blob_id = excluded.blob_id, checksum = excluded.checksum")                      \
    X(S_PART_LIST, "SELECT " PART_COLS " FROM parts WHERE upload_id = ?1 AND number > ?2 "         \
                   "ORDER BY number LIMIT ?3")                                                     \
    X(S_PART_BLOBS, "SELECT blob_id FROM parts WHERE upload_id = ?1")                             \
    X(S_EVENT_INSERT, "INSERT INTO events(" EV_REST_COLS ") "                                      \
                      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")                 \
    X(S_EVENT_RES_INSERT, "INSERT OR IGNORE INTO event_resources(seq, type, name) "                \
                          "VALUES(?1, ?2, ?3)")                                                    \
    X(S_EVENT_SCAN, "SELECT " EV_COLS " FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")         \
    X(S_EVENT_PRUNE, "DELETE FROM events WHERE seq IN (SELECT seq FROM events "                    \
                     "INDEXED BY events_retention WHERE management = 1 AND event_time_ms < ?1 "    \
                     "ORDER BY event_time_ms LIMIT ?2)")                                                                  \
    X(S_EVENT_PRUNE_DATA, "DELETE FROM events WHERE seq IN (SELECT seq FROM events "               \
                          "WHERE seq <= ?1 AND management = 0 AND event_time_ms < ?3 "            \
                          "ORDER BY seq LIMIT ?2)")                                                \
    X(S_EV_LOOKUP_ALL, EV_LOOKUP("events_history", ""))                                            \
    X(S_EV_LOOKUP_EVENT_ID, EV_LOOKUP("events_event_id", "AND event_id = ?6"))                    \
    X(S_EV_LOOKUP_EVENT_NAME, EV_LOOKUP("events_event_name", "AND event_name = ?6"))              \
    X(S_EV_LOOKUP_READ_ONLY, EV_LOOKUP("events_read_only", "AND read_only = ?6"))                 \
    X(S_EV_LOOKUP_USERNAME, EV_LOOKUP("events_username", "AND username = ?6"))                    \
    X(S_EV_LOOKUP_EVENT_SOURCE, EV_LOOKUP("events_event_source", "AND event_source = ?6"))        \
    X(S_EV_LOOKUP_ACCESS_KEY, EV_LOOKUP("events_access_key", "AND access_key = ?6"))              \
    X(S_EV_LOOKUP_RES_TYPE, EV_LOOKUP_RES("event_resources_type", "type"))                        \
    X(S_EV_LOOKUP_RES_NAME, EV_LOOKUP_RES("event_resources_name", "name"))

enum stmt_id {
#define X(id, sql) id,
    STMTS(X)
#undef X
        N_STMT
};

static const char *const stmt_sql[N_STMT] = {
#define X(id, sql) [id] = sql,
    STMTS(X)
#undef X
};

/* ---- connections -------------------------------------------------------------------------- */

struct msq;

struct conn {
    sqlite3 *db;
    sqlite3_stmt *stmt[N_STMT];
    struct msq *owner;
    struct conn *prev, *next; /* read connections only: owner->readers */
};

struct msq {
    char *path;
    struct conn w;      /* the write connection */
    pthread_key_t key;  /* the calling thread's read connection */
    pthread_mutex_t mu; /* guards readers */
    struct conn *readers;
};

/* Maps an SQLite result code (extended codes are on) to the store's negative errno. */
static int sq_err(int rc)
{
    switch (rc) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return 0;
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_TOOBIG:
        return -E2BIG;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return -EEXIST;
    /* An insert naming a parent row that does not exist (an unknown account, bucket or upload). */
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return -ENOENT;
    case SQLITE_READONLY:
        return -EROFS;
    case SQLITE_RANGE:
    case SQLITE_MISUSE:
        return -EINVAL;
    }
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_CONSTRAINT:
        return -EINVAL; /* NOT NULL, CHECK, type: a malformed argument */
    case SQLITE_READONLY:
        return -EROFS;
    default:
        return -EIO; /* SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_CANTOPEN, ... */
    }
}

/* What an injected fault makes a step return (util/fault.h). */
static int sq_fault_code(enum fault_kind k)
{
    return k == FAULT_BUSY ? SQLITE_BUSY : k == FAULT_FULL ? SQLITE_FULL : SQLITE_IOERR;
}

/* Transaction control (BEGIN, SAVEPOINT, RELEASE, ROLLBACK) is never failed here: a ROLLBACK
 * that fails is not something SQLite does for these causes, and COMMIT has its own point. */
static enum fault_point sq_fault_point(sqlite3_stmt *s)
{
    const char *sql = sqlite3_sql(s);
    if (strncmp(sql, "SELECT", 6) == 0 || strncmp(sql, "WITH", 4) == 0)
        return FAULT_SQL_READ;
    if (strncmp(sql, "INSERT", 6) == 0 || strncmp(sql, "UPDATE", 6) == 0 ||
        strncmp(sql, "DELETE", 6) == 0 || strncmp(sql, "REPLACE", 7) == 0)
        return FAULT_SQL_WRITE;
    /* Readers open their connections read-only; only the writer's COMMIT makes a batch durable. */
    bool writer = !sqlite3_db_readonly(sqlite3_db_handle(s), "main");
    return writer && strcmp(sql, "COMMIT") == 0 ? FAULT_SQL_COMMIT : FAULT_N_POINTS;
}

/* The funnels every disk-touching SQLite call goes through, and where faults are injected. */
static int sq_step(sqlite3_stmt *s)
{
    if (atomic_load_explicit(&fault__armed, memory_order_relaxed)) {
        enum fault_point p = sq_fault_point(s);
        enum fault_kind k = p == FAULT_N_POINTS ? FAULT_NONE : fault_hit(p);
        if (k != FAULT_NONE)
            return sq_fault_code(k);
    }
    return sqlite3_step(s);
}

static int sq_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
}

static int sq_exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int sq_open(const char *path, int flags, sqlite3 **db)
{
    return sqlite3_open_v2(path, db, flags, NULL);
}

static void conn_close(struct conn *c)
{
    for (int i = 0; i < N_STMT; i++) {
        sqlite3_finalize(c->stmt[i]);
        c->stmt[i] = NULL;
    }
    if (c->db)
        sqlite3_close(c->db); /* every statement is finalized, so this cannot be refused */
    c->db = NULL;
}

/* A readers' lock wait in WAL mode is short (recovery, a checkpoint's brief exclusive moment);
 * the writer's is another process holding the write lock, which the data directory's flock makes
 * rare. 5 s bounds both before -EBUSY reaches a client as SlowDown. */
#define BUSY_TIMEOUT_MS 5000

static int conn_open(struct msq *m, bool writer, struct conn *c)
{
    int flags = SQLITE_OPEN_NOMUTEX |
                (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
    memset(c, 0, sizeof *c);
    c->owner = m;
    int rc = sq_open(m->path, flags, &c->db);
    if (rc != SQLITE_OK) {
        rc = c->db ? sq_err(sqlite3_extended_errcode(c->db)) : -ENOMEM;
        conn_close(c);
        return rc ? rc : -EIO;
    }
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    if (writer) {
        /* WAL: readers and the writer do not block each other. synchronous=FULL: the WAL is
         * fsynced at every COMMIT, so a batch is durable when its items' done runs. */
        sqlite3_stmt *s = NULL;
        rc = sq_prepare(c->db, "PRAGMA journal_mode=WAL", &s);
        if (rc == SQLITE_OK)
            rc = sq_step(s);
        if (rc == SQLITE_ROW) {
            const char *mode = (const char *)sqlite3_column_text(s, 0);
            rc = mode && strcmp(mode, "wal") == 0 ? SQLITE_OK : SQLITE_IOERR;
        }
        sqlite3_finalize(s);
        if (rc == SQLITE_OK)
            rc = sq_exec(c->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
        if (rc != SQLITE_OK) {
            rc = sq_err(rc);
            conn_close(c);
            return rc ? rc : -EIO;
        }
    }
    return 0;
}

static int stmt_get(struct conn *c, enum stmt_id id, sqlite3_stmt **out)
{
    if (!c->stmt[id]) {
        int rc = sq_prepare(c->db, stmt_sql[id], &c->stmt[id]);
        if (rc != SQLITE_OK) {
            c->stmt[id] = NULL;
            *out = NULL;
            return sq_err(rc) ? sq_err(rc) : -EIO;
        }
    }
    *out = c->stmt[id];
    return 0;
}

/* Resets a statement after use: ends its snapshot and drops references to bound buffers. */
static void stmt_done(sqlite3_stmt *s)
{
    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
}

/* Runs a cached statement that takes no parameters and returns no rows. */
static int run(struct conn *c, enum stmt_id id)
{
    sqlite3_stmt *s = NULL;
    int rc = stmt_get(c, id, &s);
    if (rc)
        return rc;
    rc = sq_step(s);
    stmt_done(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : (sq_err(rc) ? sq_err(rc) : -EIO);
}

static void reader_destroy(void *p)
{
    struct conn *c = p;
    struct msq *m = c->owner;
    pthread_mutex_lock(&m->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        m->readers = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&m->mu);
    conn_close(c);
    free(c);
}

/* The calling thread's read connection, opened on first use. */
static int reader_get(struct msq *m, struct conn **out)
{
    struct conn *c = pthread_getspecific(m->key);
    if (c) {
        /* A read that failed half-way must not leave its snapshot open (it would be reused). */
        if (!sqlite3_get_autocommit(c->db))
            (void)run(c, S_ROLLBACK);
        *out = c;
        return 0;
    }
    c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    int rc = conn_open(m, false, c);
    if (rc) {
        free(c);
        return rc;
    }
    pthread_mutex_lock(&m->mu);
    c->next = m->readers;
    if (c->next)
        c->next->prev = c;
    m->readers = c;
    pthread_mutex_unlock(&m->mu);
    if (pthread_setspecific(m->key, c) != 0) {
        reader_destroy(c);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

/* The connection a call runs on: t's (the write connection, which must be inside the batch
 * transaction: after the engine aborted it, a write would otherwise autocommit on its own), or
 * the calling thread's read connection. */
static int conn_for(struct msq *m, struct store_txn *t, struct conn **out)
{
    if (t) {
        if (sqlite3_get_autocommit(m->w.db))
            return -EIO;
        *out = &m->w;
        return 0;
    }
    return reader_get(m, out);
}

/* Several statements, one snapshot: BEGIN on a read connection (a transaction already holds one).
 */
static int snap_begin(struct conn *c, struct store_txn *t)
{
    return t ? 0 : run(c, S_BEGIN);
}

static void snap_end(struct conn *c, struct store_txn *t)
{
    if (!t && !sqlite3_get_autocommit(c->db) && run(c, S_COMMIT) != 0)
        (void)run(c, S_ROLLBACK);
}

/* ---- binding and reading columns ---------------------------------------------------------- */

/* Binds the NUL-terminated string in a fixed-size field; -EINVAL when it fills the field without
 * a terminator (a caller bug that must not read past the struct). */
static int bind_field(sqlite3_stmt *s, int i, const char *field, size_t size)
{
    size_t n = strnlen(field, size);
    if (n == size)
        return -EINVAL;
    return sq_err(sqlite3_bind_text(s, i, field, (int)n, SQLITE_TRANSIENT));
}
#define BIND_FIELD(s, i, f) bind_field((s), (i), (f), sizeof(f))

/* Binds a C string (NULL binds SQL NULL). */
static int bind_str(sqlite3_stmt *s, int i, const char *v)
{
    if (!v)
        return sq_err(sqlite3_bind_null(s, i));
    size_t n = strlen(v);
    if (n > INT32_MAX)
        return -E2BIG;
    return sq_err(sqlite3_bind_text(s, i, v, (int)n, SQLITE_TRANSIENT));
}

static int bind_bytes(sqlite3_stmt *s, int i, const char *v, size_t n)
{
    if (n > INT32_MAX)
        return -E2BIG;
    return sq_err(sqlite3_bind_text(s, i, v, (int)n, SQLITE_TRANSIENT));
}

static int bind_i64(sqlite3_stmt *s, int i, int64_t v)
{
    return sq_err(sqlite3_bind_int64(s, i, v));
}

static int bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
    if (v > (uint64_t)INT64_MAX)
        return -EINVAL;
    return sq_err(sqlite3_bind_int64(s, i, (int64_t)v));
}

/* Copies a text column into a fixed-size field. A value that does not fit can only come from a
 * damaged database (writes are bounded by the same fields), so it is -EIO, never truncated. */
static int col_field(sqlite3_stmt *s, int i, char *dst, size_t size)
{
    const unsigned char *v = sqlite3_column_text(s, i);
    size_t n = (size_t)sqlite3_column_bytes(s, i);
    if (!v) {
        if (sqlite3_column_type(s, i) != SQLITE_NULL)
            return -ENOMEM;
        dst[0] = '\0';
        return 0;
    }
    if (n >= size)
        return -EIO;
    memcpy(dst, v, n);
    dst[n] = '\0';
    return 0;
}
#define COL_FIELD(s, i, f) col_field((s), (i), (f), sizeof(f))

/* A text column as an owned string; *out NULL when the column is NULL. */
static int col_dup(sqlite3_stmt *s, int i, char **out)
{
    *out = NULL;
    const unsigned char *v = sqlite3_column_text(s, i);
    if (!v)
        return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : -ENOMEM;
    size_t n = (size_t)sqlite3_column_bytes(s, i);
    char *d = malloc(n + 1);
    if (!d)
        return -ENOMEM;
    memcpy(d, v, n);
    d[n] = '\0';
    *out = d;
    return 0;
}

/* A size column: negative values only come from a damaged database. */
static int col_size(sqlite3_stmt *s, int i, uint64_t *out)
{
    int64_t v = sqlite3_column_int64(s, i);
    if (v < 0)
        return -EIO;
    *out = (uint64_t)v;
    return 0;
}

/* Byte-order comparison of two byte strings (memcmp, then the shorter first): S3's key order. */
static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

/*
 * The least byte string greater than every string that starts with s[0..n): drop trailing 0xFF
 * bytes and increment the last byte left. Returns its length (written to out, which has room for
 * n bytes), or 0 when s is all 0xFF bytes and no such string exists. Seeking to key >= successor
 * skips a whole common prefix with one index seek. The result may be invalid UTF-8 (the last byte
 * of a multi-byte sequence incremented), which does not matter: it is only compared with memcmp.
 */
static size_t successor(const char *s, size_t n, char *out)
{
    while (n > 0 && (unsigned char)s[n - 1] == 0xFF)
        n--;
    if (n == 0)
        return 0;
    memcpy(out, s, n);
    out[n - 1] = (char)((unsigned char)out[n - 1] + 1);
    return n;
}

/* ---- open, close, migrations -------------------------------------------------------------- */

static int migrate(struct conn *c)
{
    int rc = run(c, S_BEGIN_IMMEDIATE);
    if (rc)
        return rc;
    sqlite3_stmt *s = NULL;
    int v = 0;
    int src = sq_prepare(c->db, "PRAGMA user_version", &s);
    if (src == SQLITE_OK)
        src = sq_step(s);
    if (src == SQLITE_ROW) {
        v = sqlite3_column_int(s, 0);
        src = SQLITE_OK;
    }
    sqlite3_finalize(s);
    if (src != SQLITE_OK) {
        rc = sq_err(src);
        goto fail;
    }
    if (v < 0 || v > SCHEMA_VERSION) {
        rc = -ENOTSUP; /* written by a newer s3trail */
        goto fail;
    }
    for (; v < SCHEMA_VERSION; v++) {
        src = sq_exec(c->db, migrations[v]);
        if (src != SQLITE_OK) {
            rc = sq_err(src) ? sq_err(src) : -EIO;
            goto fail;
        }
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version=%d", SCHEMA_VERSION);
    src = sq_exec(c->db, sql);
    if (src != SQLITE_OK) {
        rc = sq_err(src) ? sq_err(src) : -EIO;
        goto fail;
    }
    rc = run(c, S_COMMIT);
    if (rc)
        goto fail;
    return 0;
fail:
    if (!sqlite3_get_autocommit(c->db))
        (void)run(c, S_ROLLBACK);
    return rc;
}

static void msq_close(void *be)
{
    struct msq *m = be;
    if (!m)
        return;
    /* Read connections first: the write connection's close checkpoints and removes the WAL,
     * which it only does when it is the last connection. */
    pthread_mutex_lock(&m->mu);
    while (m->readers) {
        struct conn *c = m->readers;
        m->readers = c->next;
        conn_close(c);
        free(c);
    }
    pthread_mutex_unlock(&m->mu);
    pthread_key_delete(m->key);
    conn_close(&m->w);
    pthread_mutex_destroy(&m->mu);
    free(m->path);
    free(m);
}

static int msq_open(const char *dir, void **out)
{
    *out = NULL;
    struct msq *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    size_t n = strlen(dir) + sizeof "/meta.db";
    m->path = malloc(n);
    if (!m->path) {
        free(m);
        return -ENOMEM;
    }
    snprintf(m->path, n, "%s/meta.db", dir);
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m->path);
        free(m);
        return -ENOMEM;
    }
    if (pthread_key_create(&m->key, reader_destroy) != 0) {
        pthread_mutex_destroy(&m->mu);
        free(m->path);
        free(m);
        return -EAGAIN;
    }
    int rc = conn_open(m, true, &m->w);
    if (rc == 0)
        rc = migrate(&m->w);
    if (rc) {
        msq_close(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ---- group commit ------------------------------------------------------------------------- */

static int msq_batch_begin(void *be)
{
    return run(&((struct msq *)be)->w, S_BEGIN_IMMEDIATE);
}

static int msq_item_begin(void *be)
{
    return run(&((struct msq *)be)->w, S_SAVEPOINT);
}

static int msq_item_end(void *be, bool keep)
{
    struct conn *c = &((struct msq *)be)->w;
    if (sqlite3_get_autocommit(c->db))
        return -EIO; /* the engine rolled the batch back under us */
    if (!keep) {
        int rc = run(c, S_ROLLBACK_TO);
        if (rc)
            return rc;
    }
    return run(c, S_RELEASE);
}

static bool msq_batch_aborted(void *be)
{
    return sqlite3_get_autocommit(((struct msq *)be)->w.db) != 0;
}

static int msq_batch_commit(void *be)
{
    return run(&((struct msq *)be)->w, S_COMMIT);
}

static void msq_batch_rollback(void *be)
{
    struct conn *c = &((struct msq *)be)->w;
    if (!sqlite3_get_autocommit(c->db))
        (void)run(c, S_ROLLBACK);
}

static int msq_blob_referenced(void *be, const char *blob_id)
{
    struct conn *c = &((struct msq *)be)->w;
    sqlite3_stmt *s = NULL;
    int rc = stmt_get(c, S_BLOB_REFERENCED, &s);
    if (rc)
        return rc;
    rc = bind_str(s, 1, blob_id);
    if (rc == 0) {
        int src = sq_step(s);
        rc = src == SQLITE_ROW ? (sqlite3_column_int(s, 0) != 0)
                               : (sq_err(src) ? sq_err(src) : -EIO);
    }
    stmt_done(s);
    return rc;
}

/* Runs a write statement already bound; 0 or -errno (a unique violation is -EEXIST). */
static int step_done(sqlite3_stmt *s)
{
    int src = sq_step(s);
    int rc = src == SQLITE_DONE ? 0 : (sq_err(src) ? sq_err(src) : -EIO);
    stmt_done(s);
    return rc;
}

/* ---- accounts and keys -------------------------------------------------------------------- */

static int row_account(sqlite3_stmt *s, struct account *a)
{
    memset(a, 0, sizeof *a);
    int rc = COL_FIELD(s, 0, a->id);
    if (!rc)
        rc = COL_FIELD(s, 1, a->canonical_id);
    if (!rc)
        rc = COL_FIELD(s, 2, a->display_name);
    if (!rc)
        rc = COL_FIELD(s, 3, a->email);
    a->created_ms = sqlite3_column_int64(s, 4);
    return rc;
}

/* Steps a bound single-row query: 0 with the row current, -ENOENT when there is none. */
static int step_row(sqlite3_stmt *s)
{
    int src = sq_step(s);
    if (src == SQLITE_ROW)
        return 0;
    if (src == SQLITE_DONE)
        return -ENOENT;
    return sq_err(src) ? sq_err(src) : -EIO;
}

static int msq_account_get(void *be, enum account_by by, const char *value, struct account *out)
{
    static const enum stmt_id ids[] = {
        [ACCOUNT_BY_ID] = S_ACCOUNT_BY_ID,
        [ACCOUNT_BY_CANONICAL] = S_ACCOUNT_BY_CANONICAL,
        [ACCOUNT_BY_EMAIL] = S_ACCOUNT_BY_EMAIL,
        [ACCOUNT_FIRST] = S_ACCOUNT_FIRST,
    };
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, NULL, &c);
    if (!rc)
        rc = stmt_get(c, ids[by], &s);
    if (!rc && by != ACCOUNT_FIRST)
        rc = bind_str(s, 1, value);
    if (!rc)
        rc = step_row(s);
    if (!rc)
        rc = row_account(s, out);
    stmt_done(s);
    return rc;
}

static int msq_account_count(void *be, int64_t *out)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, NULL, &c);
    if (!rc)
        rc = stmt_get(c, S_ACCOUNT_COUNT, &s);
    if (!rc)
        rc = step_row(s);
    if (!rc)
        *out = sqlite3_column_int64(s, 0);
    stmt_done(s);
    return rc;
}

static int msq_account_create(void *be, struct store_txn *t, const struct account *a)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_ACCOUNT_INSERT, &s);
    if (!rc)
        rc = BIND_FIELD(s, 1, a->id);
    if (!rc)
        rc = BIND_FIELD(s, 2, a->canonical_id);
    if (!rc)
        rc = BIND_FIELD(s, 3, a->display_name);
    if (!rc)
        rc = BIND_FIELD(s, 4, a->email);
    if (!rc)
        rc = bind_i64(s, 5, a->created_ms ? a->created_ms : store_now_ms());
    if (!rc)
        return step_done(s);
    stmt_done(s);
    return rc;
}

static int msq_key_get(void *be, const char *access_key, struct access_key *out)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, NULL, &c);
    if (!rc)
        rc = stmt_get(c, S_KEY_GET, &s);
    if (!rc)
        rc = bind_str(s, 1, access_key);
    if (!rc)
        rc = step_row(s);
    if (!rc) {
        memset(out, 0, sizeof *out);
        rc = COL_FIELD(s, 0, out->access_key);
        if (!rc)
            rc = COL_FIELD(s, 1, out->secret);
        if (!rc)
            rc = COL_FIELD(s, 2, out->account_id);
        if (!rc)
            rc = COL_FIELD(s, 3, out->user_name);
        out->active = sqlite3_column_int(s, 4) != 0;
        out->created_ms = sqlite3_column_int64(s, 5);
    }
    stmt_done(s);
    return rc;
}

static int step_changed(struct conn *c, sqlite3_stmt *s);

static int row_key(sqlite3_stmt *s, struct access_key *out)
{
    memset(out, 0, sizeof *out);
    int rc = COL_FIELD(s, 0, out->access_key);
    if (!rc)
        rc = COL_FIELD(s, 1, out->secret);
    if (!rc)
        rc = COL_FIELD(s, 2, out->account_id);
    if (!rc)
        rc = COL_FIELD(s, 3, out->user_name);
    out->active = sqlite3_column_int(s, 4) != 0;
    out->created_ms = sqlite3_column_int64(s, 5);
    return rc;
}

static int msq_key_list(void *be, struct store_txn *t, const char *account, const char *user,
                        struct access_key **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_KEY_LIST_USER, &s);
    if (!rc)
        rc = bind_str(s, 1, account);
    if (!rc)
        rc = bind_str(s, 2, user);
    size_t cap = 0;
    while (!rc) {
        rc = step_row(s);
        if (rc == -ENOENT) {
            rc = 0;
            break;
        }
        if (rc)
            break;
        if (*n == cap) {
            size_t nc = cap ? 2 * cap : 4;
            struct access_key *v = realloc(*out, nc * sizeof *v);
            if (!v) {
                rc = -ENOMEM;
                break;
            }
            *out = v;
            cap = nc;
        }
        rc = row_key(s, &(*out)[*n]);
        if (!rc)
            (*n)++;
    }
    stmt_done(s);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static int msq_key_set_active(void *be, struct store_txn *t, const char *access_key, bool active)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_KEY_SET_ACTIVE, &s);
    if (!rc)
        rc = bind_str(s, 1, access_key);
    if (!rc)
        rc = bind_i64(s, 2, active ? 1 : 0);
    if (!rc)
        return step_changed(c, s);
    stmt_done(s);
    return rc;
}

static int msq_key_delete(void *be, struct store_txn *t, const char *access_key)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_KEY_DELETE, &s);
    if (!rc)
        rc = bind_str(s, 1, access_key);
    if (!rc)
        return step_changed(c, s);
    stmt_done(s);
    return rc;
}

static int msq_key_create(void *be, struct store_txn *t, const struct access_key *k)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_KEY_INSERT, &s);
    if (!rc)
        rc = BIND_FIELD(s, 1, k->access_key);
    if (!rc)
        rc = BIND_FIELD(s, 2, k->secret);
    if (!rc)
        rc = BIND_FIELD(s, 3, k->account_id);
    if (!rc)
        rc = BIND_FIELD(s, 4, k->user_name);
    if (!rc)
        rc = bind_i64(s, 5, k->active ? 1 : 0);
    if (!rc)
        rc = bind_i64(s, 6, k->created_ms ? k->created_ms : store_now_ms());
    if (!rc)
        return step_done(s);
    stmt_done(s);
    return rc;
}

/* ---- buckets ------------------------------------------------------------------------------ */

static int row_bucket(sqlite3_stmt *s, struct bucket *b)
{
    memset(b, 0, sizeof *b);
    b->id = sqlite3_column_int64(s, 0);
    int rc = COL_FIELD(s, 1, b->name);
    if (!rc)
        rc = COL_FIELD(s, 2, b->owner_account);
    if (!rc)
        rc = COL_FIELD(s, 3, b->region);
    b->created_ms = sqlite3_column_int64(s, 4);
    if (!rc)
        rc = col_dup(s, 5, &b->acl);
    return rc;
}

static int msq_bucket_get(void *be, struct store_txn *t, const char *name, struct bucket *out)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_BUCKET_GET, &s);
    if (!rc)
        rc = bind_str(s, 1, name);
    if (!rc)
        rc = step_row(s);
    if (!rc) {
        rc = row_bucket(s, out);
        if (!rc)
            rc = col_dup(s, 6, &out->policy);
        out->policy_loaded = rc == 0;
        if (rc)
            store_bucket_free(out);
    }
    stmt_done(s);
    return rc;
}

static int msq_bucket_list(void *be, const char *owner, const char *prefix, const char *start_after,
                           size_t max, struct bucket **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!prefix)
        prefix = "";
    size_t plen = strlen(prefix);
    bool strict = start_after && strcmp(start_after, prefix) >= 0;
    struct conn *c;
    sqlite3_stmt *s = NULL;
    struct bucket *v = NULL;
    size_t nv = 0, cap = 0;
    int rc = conn_for(be, NULL, &c);
    if (!rc)
        rc = stmt_get(c, strict ? S_BUCKET_LIST_GT : S_BUCKET_LIST_GE, &s);
    if (!rc)
        rc = bind_str(s, 1, owner);
    if (!rc)
        rc = bind_str(s, 2, strict ? start_after : prefix);
    if (!rc)
        rc = bind_i64(s, 3, max == 0 || max > INT64_MAX ? -1 : (int64_t)max);
    while (!rc) {
        int src = sq_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = sq_err(src) ? sq_err(src) : -EIO;
            break;
        }
        const char *name = (const char *)sqlite3_column_text(s, 1);
        if (!name || strncmp(name, prefix, plen) != 0)
            break; /* past the names that start with prefix */
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct bucket *nvp = realloc(v, nc * sizeof *v);
            if (!nvp) {
                rc = -ENOMEM;
                break;
            }
            v = nvp;
            cap = nc;
        }
        rc = row_bucket(s, &v[nv]);
        if (rc)
            store_bucket_free(&v[nv]);
        else
            nv++;
    }
    stmt_done(s);
    if (rc) {
        for (size_t i = 0; i < nv; i++)
            store_bucket_free(&v[i]);
        free(v);
        return rc;
    }
    *out = v;
    *n = nv;
    return 0;
}

static int msq_bucket_create(void *be, struct store_txn *t, struct bucket *b)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_BUCKET_INSERT, &s);
    if (!b->created_ms)
        b->created_ms = store_now_ms();
    if (!rc)
        rc = BIND_FIELD(s, 1, b->name);
    if (!rc)
        rc = BIND_FIELD(s, 2, b->owner_account);
    if (!rc)
        rc = BIND_FIELD(s, 3, b->region);
    if (!rc)
        rc = bind_i64(s, 4, b->created_ms);
    if (!rc)
        rc = bind_str(s, 5, b->acl);
    if (!rc) {
        rc = step_done(s);
        if (!rc)
            b->id = sqlite3_last_insert_rowid(c->db);
        return rc;
    }
    stmt_done(s);
    return rc;
}

/* Runs a bound single-row query answering one integer: *v set, or -ENOENT with no row. */
static int query_int(sqlite3_stmt *s, int64_t *v)
{
    int rc = step_row(s);
    if (!rc)
        *v = sqlite3_column_int64(s, 0);
    stmt_done(s);
    return rc;
}

static int bucket_is_empty_on(struct conn *c, int64_t bucket_id)
{
    sqlite3_stmt *s = NULL;
    int64_t v = 0;
    int rc = stmt_get(c, S_BUCKET_IS_EMPTY, &s);
    if (!rc)
        rc = bind_i64(s, 1, bucket_id);
    if (rc) {
        stmt_done(s);
        return rc;
    }
    rc = query_int(s, &v);
    return rc ? rc : v != 0;
}

static int msq_upload_delete(void *be, struct store_txn *t, const char *upload_id,
                             const char *const *keep_blobs, size_t nkeep);

static int msq_bucket_delete(void *be, struct store_txn *t, int64_t bucket_id)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int64_t one;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_BUCKET_EXISTS, &s);
    if (!rc)
        rc = bind_i64(s, 1, bucket_id);
    if (rc) {
        stmt_done(s);
        return rc;
    }
    rc = query_int(s, &one);
    if (rc)
        return rc; /* -ENOENT */
    /* Objects keep a bucket alive; unfinished multipart uploads do not (S3 deletes the bucket
     * and they go with it). */
    int64_t has_objects = 0;
    rc = stmt_get(c, S_BUCKET_HAS_OBJECTS, &s);
    if (!rc)
        rc = bind_i64(s, 1, bucket_id);
    if (!rc)
        rc = query_int(s, &has_objects);
    else
        stmt_done(s);
    if (rc)
        return rc;
    if (has_objects)
        return -ENOTEMPTY;
    for (;;) {
        char *upload_id = NULL;
        rc = stmt_get(c, S_BUCKET_AN_UPLOAD, &s);
        if (!rc)
            rc = bind_i64(s, 1, bucket_id);
        if (!rc)
            rc = step_row(s);
        if (!rc)
            rc = col_dup(s, 0, &upload_id);
        stmt_done(s);
        if (rc == -ENOENT)
            break;
        if (!rc && upload_id)
            rc = msq_upload_delete(be, t, upload_id, NULL, 0); /* its part blobs go after commit */
        free(upload_id);
        if (rc)
            return rc;
    }
    rc = stmt_get(c, S_BUCKET_DELETE, &s);
    if (!rc)
        rc = bind_i64(s, 1, bucket_id);
    if (!rc)
        return step_done(s); /* bucket_configs go with it (ON DELETE CASCADE) */
    stmt_done(s);
    return rc;
}

/* Runs a bound UPDATE/DELETE that must touch one row: -ENOENT when it touched none. */
static int step_changed(struct conn *c, sqlite3_stmt *s)
{
    int rc = step_done(s);
    if (!rc && sqlite3_changes(c->db) == 0)
        rc = -ENOENT;
    return rc;
}

static int msq_bucket_set_acl(void *be, struct store_txn *t, int64_t bucket_id, const char *acl)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_BUCKET_SET_ACL, &s);
    if (!rc)
        rc = bind_i64(s, 1, bucket_id);
    if (!rc)
        rc = bind_str(s, 2, acl);
    if (!rc)
        return step_changed(c, s);
    stmt_done(s);
    return rc;
}

static int msq_bucket_is_empty(void *be, int64_t bucket_id)
{
    struct conn *c;
    int rc = conn_for(be, NULL, &c);
    return rc ? rc : bucket_is_empty_on(c, bucket_id);
}

static int msq_config_get(void *be, int64_t bucket_id, const char *name, char **value)
{
    *value = NULL;
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, NULL, &c);
    if (!rc)
        rc = stmt_get(c, S_CONFIG_GET, &s);
    if (!rc)
        rc = bind_i64(s, 1, bucket_id);
    if (!rc)
        rc = bind_str(s, 2, name);
    if (!rc)
        rc = step_row(s);
    if (!rc) {
        rc = col_dup(s, 0, value);
        if (!rc && !*value)
            rc = -EIO; /* NOT NULL column */
    }
    stmt_done(s);
    return rc;
}

static int msq_config_set(void *be, struct store_txn *t, int64_t bucket_id, const char *name,
                          const char *value)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, value ? S_CONFIG_SET : S_CONFIG_DELETE, &s);
    if (!rc)
        rc = bind_i64(s, 1, bucket_id);
    if (!rc)
        rc = bind_str(s, 2, name);
    if (!rc && value)
        rc = bind_str(s, 3, value);
    if (!rc)
        return step_done(s); /* an unknown bucket is -ENOENT through the foreign key */
    stmt_done(s);
    return rc;
}

/* ---- account documents -------------------------------------------------------------------- */

static int msq_doc_get(void *be, struct store_txn *t, const char *kind, const char *account,
                       const char *name, char **value)
{
    *value = NULL;
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_DOC_GET, &s);
    if (!rc)
        rc = bind_str(s, 1, kind);
    if (!rc)
        rc = bind_str(s, 2, account);
    if (!rc)
        rc = bind_str(s, 3, name);
    if (!rc)
        rc = step_row(s);
    if (!rc) {
        rc = col_dup(s, 0, value);
        if (!rc && !*value)
            rc = -EIO; /* NOT NULL column */
    }
    stmt_done(s);
    return rc;
}

static int msq_doc_set(void *be, struct store_txn *t, const char *kind, const char *account,
                       const char *name, const char *value)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, value ? S_DOC_SET : S_DOC_DELETE, &s);
    if (!rc)
        rc = bind_str(s, 1, kind);
    if (!rc)
        rc = bind_str(s, 2, account);
    if (!rc)
        rc = bind_str(s, 3, name);
    if (!rc && value)
        rc = bind_str(s, 4, value);
    if (!rc)
        return step_done(s);
    stmt_done(s);
    return rc;
}

static int msq_doc_prune(void *be, struct store_txn *t, const char *kind, const char *account,
                         int64_t before_ms, size_t max)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_DOC_PRUNE, &s);
    if (!rc)
        rc = bind_str(s, 1, kind);
    if (!rc)
        rc = bind_str(s, 2, account);
    if (!rc)
        rc = bind_i64(s, 3, before_ms);
    if (!rc)
        rc = bind_i64(s, 4, max > INT64_MAX ? INT64_MAX : (int64_t)max);
    if (!rc)
        rc = step_done(s);
    else
        stmt_done(s);
    return rc ? rc : sqlite3_changes(c->db);
}

static int msq_doc_list(void *be, const char *kind, const char *account, struct store_doc **out,
                        size_t *n)
{
    *out = NULL;
    *n = 0;
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, NULL, &c);
    if (!rc)
        rc = stmt_get(c, S_DOC_LIST, &s);
    if (!rc)
        rc = bind_str(s, 1, kind);
    if (!rc)
        rc = account ? bind_str(s, 2, account) : (sqlite3_bind_null(s, 2) ? -ENOMEM : 0);
    size_t cap = 0;
    while (!rc) {
        rc = step_row(s);
        if (rc == -ENOENT) {
            rc = 0;
            break;
        }
        if (rc)
            break;
        if (*n == cap) {
            size_t nc = cap ? 2 * cap : 8;
            struct store_doc *v = realloc(*out, nc * sizeof *v);
            if (!v) {
                rc = -ENOMEM;
                break;
            }
            *out = v;
            cap = nc;
        }
        struct store_doc *d = &(*out)[*n];
        memset(d, 0, sizeof *d);
        rc = COL_FIELD(s, 0, d->account_id);
        if (!rc)
            rc = col_dup(s, 1, &d->name);
        if (!rc)
            rc = col_dup(s, 2, &d->value);
        (*n)++;
    }
    stmt_done(s);
    if (rc) {
        store_docs_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- objects ------------------------------------------------------------------------------ */

static int row_object(sqlite3_stmt *s, struct object_meta *m)
{
    memset(m, 0, sizeof *m);
    m->id = sqlite3_column_int64(s, 0);
    m->bucket_id = sqlite3_column_int64(s, 1);
    int rc = col_dup(s, 2, &m->key);
    if (!rc && !m->key)
        rc = -EIO;
    if (!rc)
        rc = COL_FIELD(s, 3, m->version_id);
    if (!rc)
        rc = col_size(s, 4, &m->size);
    if (!rc)
        rc = COL_FIELD(s, 5, m->etag);
    m->mtime_ms = sqlite3_column_int64(s, 6);
    if (!rc)
        rc = COL_FIELD(s, 7, m->owner_account);
    if (!rc)
        rc = COL_FIELD(s, 8, m->storage_class);
    if (!rc)
        rc = COL_FIELD(s, 9, m->checksum_algo);
    if (!rc)
        rc = COL_FIELD(s, 10, m->checksum_type);
    if (!rc)
        rc = COL_FIELD(s, 11, m->checksum);
    if (!rc)
        rc = col_dup(s, 12, &m->headers);
    if (!rc)
        rc = col_dup(s, 13, &m->acl);
    if (!rc) {
        const void *p = sqlite3_column_blob(s, 14);
        size_t n = (size_t)sqlite3_column_bytes(s, 14);
        if (p && n) {
            m->inline_data = malloc(n);
            if (!m->inline_data)
                rc = -ENOMEM;
            else {
                memcpy(m->inline_data, p, n);
                m->inline_len = n;
            }
        } else if (!p && n) {
            rc = -ENOMEM;
        }
    }
    if (!rc)
        rc = col_dup(s, 15, &m->sse);
    return rc;
}

static int load_segments(struct conn *c, struct object_meta *m)
{
    sqlite3_stmt *s = NULL;
    int rc = stmt_get(c, S_SEGMENTS_GET, &s);
    if (!rc)
        rc = bind_i64(s, 1, m->id);
    size_t cap = 0;
    while (!rc) {
        int src = sq_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = sq_err(src) ? sq_err(src) : -EIO;
            break;
        }
        if (m->nsegs == cap) {
            size_t nc = cap ? cap * 2 : 4;
            struct segment *v = realloc(m->segs, nc * sizeof *v);
            if (!v) {
                rc = -ENOMEM;
                break;
            }
            m->segs = v;
            cap = nc;
        }
        struct segment *g = &m->segs[m->nsegs];
        memset(g, 0, sizeof *g);
        rc = COL_FIELD(s, 0, g->blob_id);
        if (!rc)
            rc = col_size(s, 1, &g->size);
        g->part_number = sqlite3_column_int(s, 2);
        if (!rc)
            rc = COL_FIELD(s, 3, g->etag);
        if (!rc)
            rc = COL_FIELD(s, 4, g->checksum);
        if (!rc)
            m->nsegs++;
    }
    stmt_done(s);
    return rc;
}

static int msq_object_get(void *be, struct store_txn *t, int64_t bucket_id, const char *key,
                          struct object_meta *out)
{
    memset(out, 0, sizeof *out);
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (rc)
        return rc;
    /* The row and its segments from one snapshot: between two autocommit statements a replace
     * could commit, leaving the old row with no segments (and its blobs unlinked). */
    rc = snap_begin(c, t);
    if (rc)
        return rc;
    rc = stmt_get(c, S_OBJECT_GET, &s);
    if (!rc)
        rc = bind_i64(s, 1, bucket_id);
    if (!rc)
        rc = bind_str(s, 2, key);
    if (!rc)
        rc = step_row(s);
    if (!rc)
        rc = row_object(s, out);
    stmt_done(s);
    if (!rc)
        rc = load_segments(c, out);
    snap_end(c, t);
    if (rc)
        store_object_free(out);
    return rc;
}

/* Records the blobs of object `id`'s segments as dropped by t. */
static int drop_segment_blobs(struct conn *c, struct store_txn *t, int64_t id)
{
    sqlite3_stmt *s = NULL;
    int rc = stmt_get(c, S_SEGMENT_BLOBS, &s);
    if (!rc)
        rc = bind_i64(s, 1, id);
    while (!rc) {
        int src = sq_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = sq_err(src) ? sq_err(src) : -EIO;
            break;
        }
        const char *b = (const char *)sqlite3_column_text(s, 0);
        if (b && store__blob_id_valid(b))
            rc = store__txn_drop_blob(t, b);
    }
    stmt_done(s);
    return rc;
}

/* The id of the object (bucket_id, key) in t, or -ENOENT. */
static int object_id(struct conn *c, int64_t bucket_id, const char *key, int64_t *id)
{
    sqlite3_stmt *s = NULL;
    int rc = stmt_get(c, S_OBJECT_ID, &s);
    if (!rc)
        rc = bind_i64(s, 1, bucket_id);
    if (!rc)
        rc = bind_str(s, 2, key);
    if (rc) {
        stmt_done(s);
        return rc;
    }
    return query_int(s, id);
}

/* Deletes object `id` (its segments cascade) and records its blobs as dropped. */
static int object_remove(struct conn *c, struct store_txn *t, int64_t id)
{
    int rc = drop_segment_blobs(c, t, id);
    if (rc)
        return rc;
    sqlite3_stmt *s = NULL;
    rc = stmt_get(c, S_OBJECT_DELETE, &s);
    if (!rc)
        rc = bind_i64(s, 1, id);
    if (!rc)
        return step_done(s);
    stmt_done(s);
    return rc;
}

static int msq_object_put(void *be, struct store_txn *t, struct object_meta *m)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int64_t old;
    if (!m->key || (m->nsegs && !m->segs) || (m->nsegs && m->inline_len) ||
        (m->inline_len && !m->inline_data) || m->inline_len > INT32_MAX ||
        (m->sse && m->nsegs > 1))
        return -EINVAL;
    for (size_t i = 0; i < m->nsegs; i++)
        if (!store__blob_id_valid(m->segs[i].blob_id))
            return -EINVAL;
    int rc = conn_for(be, t, &c);
    if (rc)
        return rc;
    rc = object_id(c, m->bucket_id, m->key, &old);
    if (rc == 0)
        rc = object_remove(c, t, old);
    else if (rc == -ENOENT)
        rc = 0;
    if (rc)
        return rc;

    rc = stmt_get(c, S_OBJECT_INSERT, &s);
    if (!rc)
        rc = bind_i64(s, 1, m->bucket_id);
    if (!rc)
        rc = bind_str(s, 2, m->key);
    if (!rc)
        rc = BIND_FIELD(s, 3, m->version_id);
    if (!rc)
        rc = bind_u64(s, 4, m->size);
    if (!rc)
        rc = BIND_FIELD(s, 5, m->etag);
    if (!rc)
        rc = bind_i64(s, 6, m->mtime_ms);
    if (!rc)
        rc = BIND_FIELD(s, 7, m->owner_account);
    if (!rc)
        rc = m->storage_class[0] ? BIND_FIELD(s, 8, m->storage_class) : bind_str(s, 8, "STANDARD");
    if (!rc)
        rc = BIND_FIELD(s, 9, m->checksum_algo);
    if (!rc)
        rc = BIND_FIELD(s, 10, m->checksum_type);
    if (!rc)
        rc = BIND_FIELD(s, 11, m->checksum);
    if (!rc)
        rc = bind_str(s, 12, m->headers ? m->headers : "{}");
    if (!rc)
        rc = bind_str(s, 13, m->acl);
    if (!rc)
        rc = sq_err(m->inline_len ? sqlite3_bind_blob(s, 14, m->inline_data, (int)m->inline_len,
                                                      SQLITE_TRANSIENT)
                                  : sqlite3_bind_null(s, 14));
    if (!rc)
        rc = bind_str(s, 15, m->sse);
    if (rc) {
        stmt_done(s);
        return rc;
    }
    rc = step_done(s);
    if (rc)
        return rc;
    int64_t id = sqlite3_last_insert_rowid(c->db);

    for (size_t i = 0; i < m->nsegs && !rc; i++) {
        const struct segment *g = &m->segs[i];
        rc = stmt_get(c, S_SEGMENT_INSERT, &s);
        if (!rc)
            rc = bind_i64(s, 1, id);
        if (!rc)
            rc = bind_i64(s, 2, (int64_t)i);
        if (!rc)
            rc = BIND_FIELD(s, 3, g->blob_id);
        if (!rc)
            rc = bind_u64(s, 4, g->size);
        if (!rc)
            rc = bind_i64(s, 5, g->part_number);
        if (!rc)
            rc = BIND_FIELD(s, 6, g->etag);
        if (!rc)
            rc = BIND_FIELD(s, 7, g->checksum);
        if (!rc)
            rc = step_done(s);
        else
            stmt_done(s);
    }
    if (!rc)
        m->id = id;
    return rc;
}

static int msq_object_delete(void *be, struct store_txn *t, int64_t bucket_id, const char *key)
{
    struct conn *c;
    int64_t id;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = object_id(c, bucket_id, key, &id);
    if (!rc)
        rc = object_remove(c, t, id);
    return rc;
}

static int msq_object_set_acl(void *be, struct store_txn *t, int64_t object_id, const char *acl)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_OBJECT_SET_ACL, &s);
    if (!rc)
        rc = bind_i64(s, 1, object_id);
    if (!rc)
        rc = bind_str(s, 2, acl);
    if (!rc)
        return step_changed(c, s);
    stmt_done(s);
    return rc;
}

/* ---- listing ------------------------------------------------------------------------------ */

/*
 * The walk shared by object and upload listings. Rows come in key order from a statement bound
 * to (bucket_id, lower bound); a row whose key has the delimiter after the prefix rolls into the
 * common prefix CP = key[0 .. delimiter end). After meeting CP the walk never reads the keys
 * beneath it: it re-binds the ">=" statement to successor(CP), one index seek, so a listing costs
 * O((entries + prefixes) log n) whatever number of keys the prefixes hide.
 *
 * S3's rules kept here: entries and common prefixes both count towards max; a common prefix not
 * greater than the marker is not returned (so a marker inside a prefix's range, e.g. "a/1" with
 * keys a/1 a/2, does not repeat "a/"); truncated means another entry or prefix would follow;
 * max == 0 returns nothing and is not truncated.
 */
struct walk {
    struct conn *c;
    int64_t bucket_id;
    const char *prefix;
    size_t plen;
    const char *delim;
    size_t dlen;
    const char *marker; /* NULL: none */
    size_t mlen;
    enum stmt_id ge, gt; /* the ">= bound" and "> bound" statements */
    sqlite3_stmt *s;     /* the statement being stepped */
    char *seek;          /* successor buffer */
    size_t seek_cap;
    bool exhausted; /* nothing is left to read */
};

/* Points the walk at keys >= lo (strict: > lo). */
static int walk_bind(struct walk *w, const char *lo, size_t lolen, bool strict)
{
    stmt_done(w->s);
    w->s = NULL;
    int rc = stmt_get(w->c, strict ? w->gt : w->ge, &w->s);
    if (!rc)
        rc = bind_i64(w->s, 1, w->bucket_id);
    if (!rc)
        rc = bind_bytes(w->s, 2, lo, lolen);
    return rc;
}

/* First bound: the prefix, or past the marker when the marker is not below the prefix. */
static int walk_start(struct walk *w)
{
    if (w->marker && bytes_cmp(w->marker, w->mlen, w->prefix, w->plen) >= 0)
        return walk_bind(w, w->marker, w->mlen, true);
    return walk_bind(w, w->prefix, w->plen, false);
}

enum walk_step { WALK_END, WALK_KEY, WALK_PREFIX };

/*
 * Advances to the next thing that counts. WALK_KEY: the current row of w->s is an entry.
 * WALK_PREFIX: (*cp, *cplen) is a common prefix to return, valid until the next call; the walk
 * has already moved past its range. Negative: an error.
 */
static int walk_next(struct walk *w, char **cp, size_t *cpcap, size_t *cplen)
{
    while (!w->exhausted) {
        int src = sq_step(w->s);
        if (src == SQLITE_DONE)
            return WALK_END;
        if (src != SQLITE_ROW)
            return sq_err(src) ? sq_err(src) : -EIO;
        const char *key = (const char *)sqlite3_column_text(w->s, 0);
        size_t klen = (size_t)sqlite3_column_bytes(w->s, 0);
        if (!key)
            return -EIO;
        if (klen < w->plen || memcmp(key, w->prefix, w->plen) != 0)
            return WALK_END; /* keys are sorted: past everything that starts with prefix */
        if (!w->delim)
            return WALK_KEY;
        const char *d = memmem(key + w->plen, klen - w->plen, w->delim, w->dlen);
        if (!d)
            return WALK_KEY;
        size_t n = (size_t)(d - key) + w->dlen;
        if (n > *cpcap || n > w->seek_cap) {
            char *p = realloc(*cp, n), *q;
            if (p)
                *cp = p;
            q = p ? realloc(w->seek, n) : NULL;
            if (q)
                w->seek = q;
            if (!p || !q)
                return -ENOMEM;
            *cpcap = w->seek_cap = n;
        }
        memcpy(*cp, key, n); /* key dies when the statement is re-bound below */
        *cplen = n;
        size_t sl = successor(*cp, n, w->seek);
        if (sl == 0)
            w->exhausted = true; /* CP is all 0xFF bytes: nothing sorts after its range */
        else {
            int rc = walk_bind(w, w->seek, sl, false);
            if (rc)
                return rc;
        }
        if (!w->marker || bytes_cmp(*cp, n, w->marker, w->mlen) > 0)
            return WALK_PREFIX;
        /* A common prefix not after the marker was returned on an earlier page: skip it. */
    }
    return WALK_END;
}

static void walk_free(struct walk *w)
{
    stmt_done(w->s);
    w->s = NULL;
    free(w->seek);
    w->seek = NULL;
}

static int list_push(struct list_result *r, size_t *cap)
{
    if (r->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct list_entry *v = realloc(r->v, nc * sizeof *v);
        if (!v)
            return -ENOMEM;
        r->v = v;
        *cap = nc;
    }
    memset(&r->v[r->n], 0, sizeof r->v[r->n]);
    return 0;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int msq_object_list(void *be, int64_t bucket_id, const struct list_params *p,
                           struct list_result *out)
{
    memset(out, 0, sizeof *out);
    if (p->max_keys == 0)
        return 0;
    struct walk w = {
        .bucket_id = bucket_id,
        .prefix = p->prefix ? p->prefix : "",
        .delim = p->delimiter && p->delimiter[0] ? p->delimiter : NULL,
        .marker = p->start_after && p->start_after[0] ? p->start_after : NULL,
        .ge = S_OBJ_LIST_GE,
        .gt = S_OBJ_LIST_GT,
    };
    w.plen = strlen(w.prefix);
    w.dlen = w.delim ? strlen(w.delim) : 0;
    w.mlen = w.marker ? strlen(w.marker) : 0;
    char *cp = NULL;
    size_t cpcap = 0, cplen = 0, cap = 0;

    int rc = conn_for(be, NULL, &w.c);
    if (rc)
        return rc;
    rc = snap_begin(w.c, NULL); /* seeks re-run statements: keep one snapshot */
    if (rc)
        return rc;
    rc = walk_start(&w);
    while (!rc) {
        int k = walk_next(&w, &cp, &cpcap, &cplen);
        if (k < 0) {
            rc = k;
            break;
        }
        if (k == WALK_END)
            break;
        if (out->n == p->max_keys) {
            out->truncated = true;
            break;
        }
        rc = list_push(out, &cap);
        if (rc)
            break;
        struct list_entry *e = &out->v[out->n];
        if (k == WALK_PREFIX) {
            e->is_prefix = true;
            e->key = dupn(cp, cplen);
            if (!e->key)
                rc = -ENOMEM;
        } else {
            sqlite3_stmt *s = w.s;
            e->key =
                dupn((const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
            if (!e->key)
                rc = -ENOMEM;
            if (!rc)
                rc = col_size(s, 1, &e->size);
            if (!rc)
                rc = COL_FIELD(s, 2, e->etag);
            e->mtime_ms = sqlite3_column_int64(s, 3);
            if (!rc)
                rc = COL_FIELD(s, 4, e->storage_class);
            if (!rc)
                rc = COL_FIELD(s, 5, e->owner_account);
            if (!rc)
                rc = COL_FIELD(s, 6, e->checksum_algo);
            if (!rc)
                rc = COL_FIELD(s, 7, e->checksum_type);
        }
        out->n++; /* even on error, so store_list_free() frees e->key */
    }
    walk_free(&w);
    snap_end(w.c, NULL);
    free(cp);
    if (!rc && out->truncated) {
        out->next_marker = strdup(out->v[out->n - 1].key);
        if (!out->next_marker)
            rc = -ENOMEM;
    }
    if (rc)
        store_list_free(out);
    return rc;
}

/* ---- multipart uploads -------------------------------------------------------------------- */

static int row_upload(sqlite3_stmt *s, struct upload *u)
{
    memset(u, 0, sizeof *u);
    int rc = COL_FIELD(s, 0, u->upload_id);
    u->bucket_id = sqlite3_column_int64(s, 1);
    if (!rc)
        rc = col_dup(s, 2, &u->key);
    if (!rc && !u->key)
        rc = -EIO;
    u->initiated_ms = sqlite3_column_int64(s, 3);
    if (!rc)
        rc = COL_FIELD(s, 4, u->owner_account);
    if (!rc)
        rc = COL_FIELD(s, 5, u->storage_class);
    if (!rc)
        rc = COL_FIELD(s, 6, u->checksum_algo);
    if (!rc)
        rc = COL_FIELD(s, 7, u->checksum_type);
    if (!rc)
        rc = col_dup(s, 8, &u->headers);
    if (!rc)
        rc = col_dup(s, 9, &u->acl);
    return rc;
}

static int msq_upload_get(void *be, struct store_txn *t, const char *upload_id, struct upload *out)
{
    memset(out, 0, sizeof *out);
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_UPLOAD_GET, &s);
    if (!rc)
        rc = bind_str(s, 1, upload_id);
    if (!rc)
        rc = step_row(s);
    if (!rc)
        rc = row_upload(s, out);
    stmt_done(s);
    if (rc)
        store_upload_free(out);
    return rc;
}

static int msq_upload_create(void *be, struct store_txn *t, const struct upload *u)
{
    if (!u->key || !u->upload_id[0])
        return -EINVAL;
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_UPLOAD_INSERT, &s);
    if (!rc)
        rc = BIND_FIELD(s, 1, u->upload_id);
    if (!rc)
        rc = bind_i64(s, 2, u->bucket_id);
    if (!rc)
        rc = bind_str(s, 3, u->key);
    if (!rc)
        rc = bind_i64(s, 4, u->initiated_ms ? u->initiated_ms : store_now_ms());
    if (!rc)
        rc = BIND_FIELD(s, 5, u->owner_account);
    if (!rc)
        rc = u->storage_class[0] ? BIND_FIELD(s, 6, u->storage_class) : bind_str(s, 6, "STANDARD");
    if (!rc)
        rc = BIND_FIELD(s, 7, u->checksum_algo);
    if (!rc)
        rc = BIND_FIELD(s, 8, u->checksum_type);
    if (!rc)
        rc = bind_str(s, 9, u->headers ? u->headers : "{}");
    if (!rc)
        rc = bind_str(s, 10, u->acl);
    if (!rc)
        return step_done(s);
    stmt_done(s);
    return rc;
}

static int upload_exists(struct conn *c, const char *upload_id)
{
    sqlite3_stmt *s = NULL;
    int64_t one;
    int rc = stmt_get(c, S_UPLOAD_EXISTS, &s);
    if (!rc)
        rc = bind_str(s, 1, upload_id);
    if (rc) {
        stmt_done(s);
        return rc;
    }
    return query_int(s, &one); /* 0 or -ENOENT */
}

static int msq_part_put(void *be, struct store_txn *t, const char *upload_id, const struct part *p)
{
    if (!store__blob_id_valid(p->blob_id))
        return -EINVAL;
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = upload_exists(c, upload_id);
    if (rc)
        return rc;
    /* The part being replaced, if any: its blob is dropped. */
    rc = stmt_get(c, S_PART_BLOB, &s);
    if (!rc)
        rc = bind_str(s, 1, upload_id);
    if (!rc)
        rc = bind_i64(s, 2, p->number);
    if (!rc) {
        rc = step_row(s);
        if (rc == 0) {
            const char *b = (const char *)sqlite3_column_text(s, 0);
            if (b && store__blob_id_valid(b) && strcmp(b, p->blob_id) != 0)
                rc = store__txn_drop_blob(t, b);
        } else if (rc == -ENOENT) {
            rc = 0;
        }
    }
    stmt_done(s);
    if (rc)
        return rc;
    rc = stmt_get(c, S_PART_PUT, &s);
    if (!rc)
        rc = bind_str(s, 1, upload_id);
    if (!rc)
        rc = bind_i64(s, 2, p->number);
    if (!rc)
        rc = bind_u64(s, 3, p->size);
    if (!rc)
        rc = BIND_FIELD(s, 4, p->etag);
    if (!rc)
        rc = bind_i64(s, 5, p->mtime_ms ? p->mtime_ms : store_now_ms());
    if (!rc)
        rc = BIND_FIELD(s, 6, p->blob_id);
    if (!rc)
        rc = BIND_FIELD(s, 7, p->checksum);
    if (!rc)
        return step_done(s);
    stmt_done(s);
    return rc;
}

static int msq_part_list(void *be, struct store_txn *t, const char *upload_id, int after,
                         size_t max, struct part **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    struct conn *c;
    sqlite3_stmt *s = NULL;
    struct part *v = NULL;
    size_t nv = 0, cap = 0;
    int rc = conn_for(be, t, &c);
    if (rc)
        return rc;
    rc = snap_begin(c, t);
    if (rc)
        return rc;
    rc = upload_exists(c, upload_id);
    if (!rc)
        rc = stmt_get(c, S_PART_LIST, &s);
    if (!rc)
        rc = bind_str(s, 1, upload_id);
    if (!rc)
        rc = bind_i64(s, 2, after);
    if (!rc)
        rc = bind_i64(s, 3, max == 0 || max > INT64_MAX ? -1 : (int64_t)max);
    while (!rc) {
        int src = sq_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = sq_err(src) ? sq_err(src) : -EIO;
            break;
        }
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct part *np = realloc(v, nc * sizeof *v);
            if (!np) {
                rc = -ENOMEM;
                break;
            }
            v = np;
            cap = nc;
        }
        struct part *pp = &v[nv];
        memset(pp, 0, sizeof *pp);
        pp->number = sqlite3_column_int(s, 0);
        rc = col_size(s, 1, &pp->size);
        if (!rc)
            rc = COL_FIELD(s, 2, pp->etag);
        pp->mtime_ms = sqlite3_column_int64(s, 3);
        if (!rc)
            rc = COL_FIELD(s, 4, pp->blob_id);
        if (!rc)
            rc = COL_FIELD(s, 5, pp->checksum);
        if (!rc)
            nv++;
    }
    stmt_done(s);
    snap_end(c, t);
    if (rc) {
        free(v);
        return rc;
    }
    *out = v;
    *n = nv;
    return 0;
}

static bool kept(const char *b, const char *const *keep, size_t nkeep)
{
    for (size_t i = 0; i < nkeep; i++)
        if (keep[i] && strcmp(keep[i], b) == 0)
            return true;
    return false;
}

static int msq_upload_delete(void *be, struct store_txn *t, const char *upload_id,
                             const char *const *keep_blobs, size_t nkeep)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = upload_exists(c, upload_id);
    if (rc)
        return rc;
    rc = stmt_get(c, S_PART_BLOBS, &s);
    if (!rc)
        rc = bind_str(s, 1, upload_id);
    while (!rc) {
        int src = sq_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = sq_err(src) ? sq_err(src) : -EIO;
            break;
        }
        const char *b = (const char *)sqlite3_column_text(s, 0);
        if (b && store__blob_id_valid(b) && !kept(b, keep_blobs, nkeep))
            rc = store__txn_drop_blob(t, b);
    }
    stmt_done(s);
    if (rc)
        return rc;
    rc = stmt_get(c, S_UPLOAD_DELETE, &s);
    if (!rc)
        rc = bind_str(s, 1, upload_id);
    if (!rc)
        return step_done(s); /* parts cascade */
    stmt_done(s);
    return rc;
}

static int upl_push(struct upload_list *l, size_t *cap)
{
    if (l->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct upload_entry *v = realloc(l->v, nc * sizeof *v);
        if (!v)
            return -ENOMEM;
        l->v = v;
        *cap = nc;
    }
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    return 0;
}

/* Points w->s at the uploads of key w->marker after upload idm: those after its position when
 * it exists, else those whose id sorts after it. */
static int upl_same_key(struct walk *w, const char *idm)
{
    sqlite3_stmt *s = NULL;
    int64_t t0 = 0;
    int rc = stmt_get(w->c, S_UPLOAD_MARKER, &s);
    if (!rc)
        rc = bind_str(s, 1, idm);
    if (!rc)
        rc = bind_i64(s, 2, w->bucket_id);
    if (!rc)
        rc = bind_bytes(s, 3, w->marker, w->mlen);
    if (rc) {
        stmt_done(s);
        return rc;
    }
    rc = query_int(s, &t0);
    if (rc && rc != -ENOENT)
        return rc;
    bool found = rc == 0;
    rc = stmt_get(w->c, found ? S_UPL_LIST_KEY_AFTER : S_UPL_LIST_KEY_ID_GT, &w->s);
    if (!rc)
        rc = bind_i64(w->s, 1, w->bucket_id);
    if (!rc)
        rc = bind_bytes(w->s, 2, w->marker, w->mlen);
    if (!rc && found)
        rc = bind_i64(w->s, 3, t0);
    if (!rc)
        rc = bind_str(w->s, found ? 4 : 3, idm);
    return rc;
}

/*
 * Uploads in (key, initiated, id) order with the same walk as objects. With both markers, the
 * uploads of key_marker that come after upload_id_marker are listed first (found by the marker
 * upload's position; when that upload is gone, those whose id sorts after it, as S3 documents),
 * then keys > key_marker.
 */
static int msq_upload_list(void *be, int64_t bucket_id, const struct upload_list_params *p,
                           struct upload_list *out)
{
    memset(out, 0, sizeof *out);
    if (p->max_uploads == 0)
        return 0;
    struct walk w = {
        .bucket_id = bucket_id,
        .prefix = p->prefix ? p->prefix : "",
        .delim = p->delimiter && p->delimiter[0] ? p->delimiter : NULL,
        .marker = p->key_marker && p->key_marker[0] ? p->key_marker : NULL,
        .ge = S_UPL_LIST_GE,
        .gt = S_UPL_LIST_GT,
    };
    w.plen = strlen(w.prefix);
    w.dlen = w.delim ? strlen(w.delim) : 0;
    w.mlen = w.marker ? strlen(w.marker) : 0;
    char *cp = NULL;
    size_t cpcap = 0, cplen = 0, cap = 0;
    bool same_key;

    int rc = conn_for(be, NULL, &w.c);
    if (rc)
        return rc;
    rc = snap_begin(w.c, NULL);
    if (rc)
        return rc;
    /* Phase 1, the rest of key_marker's uploads, when the marker key is listed as itself (it
     * starts with the prefix and no common prefix swallows it). */
    const char *idm = p->upload_id_marker;
    same_key = w.marker && idm && idm[0] && w.mlen >= w.plen &&
               memcmp(w.marker, w.prefix, w.plen) == 0 &&
               !(w.delim && memmem(w.marker + w.plen, w.mlen - w.plen, w.delim, w.dlen));
    rc = same_key ? upl_same_key(&w, idm) : walk_start(&w);
    while (!rc) {
        int k;
        if (same_key) {
            int src = sq_step(w.s);
            if (src == SQLITE_ROW) {
                k = WALK_KEY;
            } else if (src == SQLITE_DONE) {
                same_key = false;
                rc = walk_start(&w); /* keys > key_marker */
                continue;
            } else {
                rc = sq_err(src) ? sq_err(src) : -EIO;
                break;
            }
        } else {
            k = walk_next(&w, &cp, &cpcap, &cplen);
        }
        if (k < 0) {
            rc = k;
            break;
        }
        if (k == WALK_END)
            break;
        if (out->n == p->max_uploads) {
            out->truncated = true;
            break;
        }
        rc = upl_push(out, &cap);
        if (rc)
            break;
        struct upload_entry *e = &out->v[out->n];
        if (k == WALK_PREFIX) {
            e->is_prefix = true;
            e->key = dupn(cp, cplen);
            if (!e->key)
                rc = -ENOMEM;
        } else {
            sqlite3_stmt *s = w.s;
            e->key =
                dupn((const char *)sqlite3_column_text(s, 0), (size_t)sqlite3_column_bytes(s, 0));
            if (!e->key)
                rc = -ENOMEM;
            if (!rc)
                rc = COL_FIELD(s, 1, e->upload_id);
            e->initiated_ms = sqlite3_column_int64(s, 2);
            if (!rc)
                rc = COL_FIELD(s, 3, e->owner_account);
            if (!rc)
                rc = COL_FIELD(s, 4, e->storage_class);
            if (!rc)
                rc = COL_FIELD(s, 5, e->checksum_algo);
            if (!rc)
                rc = COL_FIELD(s, 6, e->checksum_type);
        }
        out->n++;
    }
    walk_free(&w);
    snap_end(w.c, NULL);
    free(cp);
    if (!rc && out->truncated) {
        const struct upload_entry *last = &out->v[out->n - 1];
        out->next_key_marker = strdup(last->key);
        if (!out->next_key_marker)
            rc = -ENOMEM;
        else
            memcpy(out->next_upload_id_marker, last->upload_id, sizeof last->upload_id);
    }
    if (rc)
        store_upload_list_free(out);
    return rc;
}

/* ---- the event journal -------------------------------------------------------------------- */

/* Binds text that outlives the statement's step (the caller's row): no copy. Every caller steps
 * and resets the statement (step_done / stmt_done, which clears the bindings) before returning,
 * so SQLite never holds the pointer beyond the call. A record is a few KB and is appended on every
 * request, hence worth not copying. */
static int bind_str_static(sqlite3_stmt *s, int i, const char *v)
{
    size_t n = strlen(v);
    if (n > INT32_MAX)
        return -E2BIG;
    return sq_err(sqlite3_bind_text(s, i, v, (int)n, SQLITE_STATIC));
}

/* A string member of a resources element as (pointer, length); "" when absent or null; -EINVAL
 * for any other type. */
static int res_member(json_t *o, const char *name, const char **v, size_t *n)
{
    json_t *m = json_object_get(o, name);
    *v = "";
    *n = 0;
    if (!m || json_is_null(m))
        return 0;
    if (!json_is_string(m))
        return -EINVAL;
    *v = json_string_value(m);
    *n = json_string_length(m);
    return 0;
}

/* Parses a management row's resources JSON: an array of objects whose ResourceType and
 * ResourceName are strings (either may be absent or null). Anything else is -EINVAL: a row
 * LookupEvents could not filter by resource must not be stored. *out is a new reference. */
static int event_resources_parse(const char *resources, json_t **out)
{
    json_t *arr = json_loads(resources, JSON_DECODE_ANY, NULL);
    int rc = arr && json_is_array(arr) ? 0 : -EINVAL;
    size_t i;
    json_t *el;
    json_array_foreach(arr, i, el)
    {
        const char *v;
        size_t n;
        if (rc)
            break;
        if (!json_is_object(el))
            rc = -EINVAL;
        if (!rc)
            rc = res_member(el, "ResourceType", &v, &n);
        if (!rc)
            rc = res_member(el, "ResourceName", &v, &n);
    }
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

/* One event_resources row per distinct (type, name) pair of the parsed resources. */
static int event_resources_insert(struct conn *c, int64_t seq, json_t *arr)
{
    int rc = 0;
    size_t i;
    json_t *el;
    json_array_foreach(arr, i, el)
    {
        const char *type, *name;
        size_t tn, nn;
        sqlite3_stmt *s = NULL;
        (void)res_member(el, "ResourceType", &type, &tn); /* checked by the parse */
        (void)res_member(el, "ResourceName", &name, &nn);
        if (tn == 0 && nn == 0)
            continue;
        rc = stmt_get(c, S_EVENT_RES_INSERT, &s);
        if (!rc)
            rc = bind_i64(s, 1, seq);
        if (!rc)
            rc = bind_bytes(s, 2, type, tn);
        if (!rc)
            rc = bind_bytes(s, 3, name, nn);
        if (rc) {
            stmt_done(s);
            break;
        }
        rc = step_done(s);
        if (rc)
            break;
    }
    return rc;
}

static int msq_event_append(void *be, struct store_txn *t, struct event_row *e)
{
    const char *resources = e->resources ? e->resources : "[]";
    /* Parsed before anything is written, so a malformed row leaves nothing behind even if the
     * caller keeps its item. Data rows are never looked up by resource: not even parsed. */
    json_t *res = NULL;
    if (e->management) {
        int rc = event_resources_parse(resources, &res);
        if (rc)
            return rc;
    }
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_EVENT_INSERT, &s);
    if (!rc)
        rc = BIND_FIELD(s, 1, e->event_id);
    if (!rc)
        rc = bind_i64(s, 2, e->event_time_ms);
    if (!rc)
        rc = BIND_FIELD(s, 3, e->account_id);
    if (!rc)
        rc = BIND_FIELD(s, 4, e->region);
    if (!rc)
        rc = BIND_FIELD(s, 5, e->event_name);
    if (!rc)
        rc = BIND_FIELD(s, 6, e->event_source);
    if (!rc)
        rc = bind_i64(s, 7, e->read_only ? 1 : 0);
    if (!rc)
        rc = bind_i64(s, 8, e->management ? 1 : 0);
    if (!rc)
        rc = BIND_FIELD(s, 9, e->username);
    if (!rc)
        rc = BIND_FIELD(s, 10, e->access_key);
    if (!rc)
        rc = bind_str_static(s, 11, resources);
    if (!rc)
        rc = bind_str_static(s, 12, e->record);
    if (rc)
        stmt_done(s);
    else
        rc = step_done(s);
    int64_t seq = rc ? 0 : sqlite3_last_insert_rowid(c->db);
    /* A failure here leaves the events row without its resources: the caller's item fails and
     * its savepoint takes the row back out. */
    if (!rc && res)
        rc = event_resources_insert(c, seq, res);
    json_decref(res);
    if (!rc)
        e->seq = seq;
    return rc;
}

static int row_event(sqlite3_stmt *s, struct event_row *e)
{
    memset(e, 0, sizeof *e);
    e->seq = sqlite3_column_int64(s, 0);
    int rc = COL_FIELD(s, 1, e->event_id);
    e->event_time_ms = sqlite3_column_int64(s, 2);
    if (!rc)
        rc = COL_FIELD(s, 3, e->account_id);
    if (!rc)
        rc = COL_FIELD(s, 4, e->region);
    if (!rc)
        rc = COL_FIELD(s, 5, e->event_name);
    if (!rc)
        rc = COL_FIELD(s, 6, e->event_source);
    e->read_only = sqlite3_column_int(s, 7) != 0;
    e->management = sqlite3_column_int(s, 8) != 0;
    if (!rc)
        rc = COL_FIELD(s, 9, e->username);
    if (!rc)
        rc = COL_FIELD(s, 10, e->access_key);
    if (!rc)
        rc = col_dup(s, 11, &e->resources);
    if (!rc)
        rc = col_dup(s, 12, &e->record);
    if (!rc && (!e->resources || !e->record))
        rc = -EIO; /* NOT NULL columns: only a damaged database says otherwise */
    return rc;
}

/* Steps a bound event query, collecting at most max rows (0 = all) into an owned array; a row
 * with the same seq as the one before it (a resource lookup matching twice) is skipped. Resets
 * the statement. */
static int event_rows_collect(sqlite3_stmt *s, size_t max, struct event_row **out, size_t *n)
{
    struct event_row *v = NULL;
    size_t nv = 0, cap = 0;
    int rc = 0;
    while (max == 0 || nv < max) {
        int src = sq_step(s);
        if (src == SQLITE_DONE)
            break;
        if (src != SQLITE_ROW) {
            rc = sq_err(src) ? sq_err(src) : -EIO;
            break;
        }
        if (nv > 0 && v[nv - 1].seq == sqlite3_column_int64(s, 0))
            continue;
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 16;
            if (max && nc > max)
                nc = max;
            struct event_row *nvp = realloc(v, nc * sizeof *v);
            if (!nvp) {
                rc = -ENOMEM;
                break;
            }
            v = nvp;
            cap = nc;
        }
        rc = row_event(s, &v[nv]);
        nv++; /* even on error, so the free below releases what row_event took */
        if (rc)
            break;
    }
    stmt_done(s);
    if (rc) {
        store_event_rows_free(v, nv);
        return rc;
    }
    *out = v;
    *n = nv;
    return 0;
}

static int msq_event_lookup(void *be, const struct event_query *q, struct event_row **out,
                            size_t *n)
{
    static const struct {
        const char *key;
        enum stmt_id id;
    } attrs[] = {
        {"EventId", S_EV_LOOKUP_EVENT_ID},
        {"EventName", S_EV_LOOKUP_EVENT_NAME},
        {"ReadOnly", S_EV_LOOKUP_READ_ONLY},
        {"Username", S_EV_LOOKUP_USERNAME},
        {"ResourceType", S_EV_LOOKUP_RES_TYPE},
        {"ResourceName", S_EV_LOOKUP_RES_NAME},
        {"EventSource", S_EV_LOOKUP_EVENT_SOURCE},
        {"AccessKeyId", S_EV_LOOKUP_ACCESS_KEY},
    };
    enum stmt_id id = S_EV_LOOKUP_ALL;
    if (q->attr_key) {
        size_t i = 0;
        while (i < sizeof attrs / sizeof attrs[0] && strcmp(attrs[i].key, q->attr_key) != 0)
            i++;
        if (i == sizeof attrs / sizeof attrs[0] || !q->attr_value)
            return -EINVAL;
        id = attrs[i].id;
        /* ReadOnly is stored as 0/1; any value but "true" and "false" matches nothing. */
        if (id == S_EV_LOOKUP_READ_ONLY && strcmp(q->attr_value, "true") != 0 &&
            strcmp(q->attr_value, "false") != 0)
            return 0;
    }
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, NULL, &c);
    if (!rc)
        rc = stmt_get(c, id, &s);
    if (!rc)
        rc = bind_str(s, 1, q->account_id);
    if (!rc)
        rc = bind_str(s, 2, q->region);
    if (!rc)
        rc = bind_i64(s, 3, q->before_seq > 0 ? q->before_seq : INT64_MAX);
    if (!rc)
        rc = bind_i64(s, 4, q->start_ms ? q->start_ms : INT64_MIN);
    if (!rc)
        rc = bind_i64(s, 5, q->end_ms ? q->end_ms : INT64_MAX);
    if (!rc && id == S_EV_LOOKUP_READ_ONLY)
        rc = bind_i64(s, 6, strcmp(q->attr_value, "true") == 0);
    else if (!rc && id != S_EV_LOOKUP_ALL)
        rc = bind_str(s, 6, q->attr_value);
    if (rc) {
        stmt_done(s);
        return rc;
    }
    /* One statement: one snapshot, no BEGIN needed. */
    return event_rows_collect(s, q->max, out, n);
}

static int msq_event_last_seq(void *be, struct store_txn *t, int64_t *seq)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_EVENT_LAST_SEQ, &s);
    if (!rc)
        return query_int(s, seq);
    stmt_done(s);
    return rc;
}

static int msq_event_scan(void *be, int64_t after_seq, size_t max, struct event_row **out,
                          size_t *n)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, NULL, &c);
    if (!rc)
        rc = stmt_get(c, S_EVENT_SCAN, &s);
    if (!rc)
        rc = bind_i64(s, 1, after_seq);
    if (!rc)
        rc = bind_i64(s, 2, max == 0 || max > INT64_MAX ? -1 : (int64_t)max);
    if (rc) {
        stmt_done(s);
        return rc;
    }
    return event_rows_collect(s, max, out, n);
}

static int msq_event_prune(void *be, struct store_txn *t, int64_t before_ms)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_EVENT_PRUNE, &s);
    if (!rc)
        rc = bind_i64(s, 1, before_ms);
    if (!rc)
        rc = bind_i64(s, 2, STORE_EVENT_PRUNE_MAX);
    if (rc) {
        stmt_done(s);
        return rc;
    }
    rc = step_done(s);
    if (rc)
        return rc;
    /* Rows of this DELETE only: the event_resources rows its cascade removed are not counted. */
    return sqlite3_changes(c->db);
}

static int msq_event_prune_data(void *be, struct store_txn *t, int64_t upto_seq, int64_t before_ms)
{
    struct conn *c;
    sqlite3_stmt *s = NULL;
    int rc = conn_for(be, t, &c);
    if (!rc)
        rc = stmt_get(c, S_EVENT_PRUNE_DATA, &s);
    if (!rc)
        rc = bind_i64(s, 1, upto_seq);
    if (!rc)
        rc = bind_i64(s, 2, STORE_EVENT_PRUNE_MAX);
    if (!rc)
        rc = bind_i64(s, 3, before_ms);
    if (rc) {
        stmt_done(s);
        return rc;
    }
    rc = step_done(s);
    return rc ? rc : sqlite3_changes(c->db);
}

const struct meta_backend store__meta_sqlite = {
    .name = "sqlite",
    .open = msq_open,
    .close = msq_close,
    .blob_referenced = msq_blob_referenced,
    .batch_begin = msq_batch_begin,
    .item_begin = msq_item_begin,
    .item_end = msq_item_end,
    .batch_aborted = msq_batch_aborted,
    .batch_commit = msq_batch_commit,
    .batch_rollback = msq_batch_rollback,
    .account_get = msq_account_get,
    .account_count = msq_account_count,
    .account_create = msq_account_create,
    .key_get = msq_key_get,
    .key_create = msq_key_create,
    .key_list = msq_key_list,
    .key_set_active = msq_key_set_active,
    .key_delete = msq_key_delete,
    .bucket_get = msq_bucket_get,
    .bucket_list = msq_bucket_list,
    .bucket_create = msq_bucket_create,
    .bucket_delete = msq_bucket_delete,
    .bucket_set_acl = msq_bucket_set_acl,
    .bucket_is_empty = msq_bucket_is_empty,
    .config_get = msq_config_get,
    .config_set = msq_config_set,
    .doc_get = msq_doc_get,
    .doc_set = msq_doc_set,
    .doc_list = msq_doc_list,
    .doc_prune = msq_doc_prune,
    .object_get = msq_object_get,
    .object_put = msq_object_put,
    .object_delete = msq_object_delete,
    .object_set_acl = msq_object_set_acl,
    .object_list = msq_object_list,
    .upload_get = msq_upload_get,
    .upload_create = msq_upload_create,
    .upload_delete = msq_upload_delete,
    .upload_list = msq_upload_list,
    .part_put = msq_part_put,
    .part_list = msq_part_list,
    .event_append = msq_event_append,
    .event_lookup = msq_event_lookup,
    .event_scan = msq_event_scan,
    .event_last_seq = msq_event_last_seq,
    .event_prune = msq_event_prune,
    .event_prune_data = msq_event_prune_data,
};
