/*
 * buf — the one growable byte buffer used for every response body, canonical request, XML
 * listing and (later) CloudTrail record.
 *
 * Invariants: `data` is always NUL-terminated when non-NULL (so a text buffer is a C string);
 * `len` never exceeds `cap_limit` when a limit is set; after a failed append the buffer keeps its
 * previous contents and `failed` is set, so a sequence of appends can be checked once at the end
 * with buf_ok(). BUF_INIT is a valid empty buffer and buf_free() on it is a no-op, so cleanup is
 * always safe.
 *
 * Calling sequence: struct buf b = BUF_INIT; buf_puts(&b, ...); ...; if (!buf_ok(&b)) fail;
 * use b.data/b.len, or char *s = buf_detach(&b) to take ownership (caller frees); buf_free(&b).
 */
#ifndef S3TRAIL_BUF_H
#define S3TRAIL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t cap_limit; /* 0 = unlimited */
    bool failed;      /* an append failed (ENOMEM or over the limit) */
};

#define BUF_INIT {NULL, 0, 0, 0, false}

/* Appends; return 0 or -ENOMEM / -E2BIG (over cap_limit). The buffer is unchanged on failure. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Ensure room for n more bytes without changing len. */
int buf_reserve(struct buf *b, size_t n);

/* XML text escaping: & < > " ' and control characters as numeric references. */
int buf_put_xml(struct buf *b, const char *s);
int buf_put_xmln(struct buf *b, const char *s, size_t n);
/* <tag>escaped text</tag> */
int buf_put_xml_elem(struct buf *b, const char *tag, const char *text);
/* JSON string with quotes and escapes (UTF-8 passes through; invalid bytes become U+FFFD). */
int buf_put_json_str(struct buf *b, const char *s);
int buf_put_json_strn(struct buf *b, const char *s, size_t n);

/* Length of the valid UTF-8 sequence at s (1 for ASCII, up to 4), or 0 when the bytes are not
 * one (overlong forms, surrogates and code points past U+10FFFF are not). */
size_t buf_utf8_len(const unsigned char *s, size_t n);
/* Whether n bytes are UTF-8 text without NUL: what a name or parameter must be before it is
 * echoed into an XML document or a CloudTrail record. */
bool buf_utf8_text(const char *s, size_t n);

void buf_reset(struct buf *b); /* len = 0, keeps memory, clears failed */
void buf_free(struct buf *b);  /* releases memory, back to BUF_INIT (keeps cap_limit) */
/* Hands the NUL-terminated data to the caller (never NULL unless ENOMEM: an empty buffer gives
 * ""), and resets the buffer to empty. */
char *buf_detach(struct buf *b);

static inline bool buf_ok(const struct buf *b)
{
    return !b->failed;
}

#endif
