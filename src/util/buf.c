#include "util/buf.h"
#include "util/fault.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int buf_reserve(struct buf *b, size_t n)
{
    /* The limit is on the contents, so it is checked even when memory would suffice. */
    if (n > ((size_t)-1) / 2 || (b->cap_limit && b->len + n > b->cap_limit)) {
        b->failed = true;
        return -E2BIG;
    }
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + n + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = true;
            return -ENOMEM;
        }
        cap *= 2;
    }
    char *p = fault_hit(FAULT_ALLOC) == FAULT_NOMEM ? NULL : realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return -ENOMEM;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    int rc = buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) {
        b->failed = true;
        return -EINVAL;
    }
    int rc = buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int buf_put_xmln(struct buf *b, const char *s, size_t n)
{
    size_t start = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        char num[8];
        size_t l = c < 0x80 ? 1 : buf_utf8_len((const unsigned char *)s + i, n - i);
        if (l > 1) {
            i += l - 1; /* a whole character, copied as it is */
            continue;
        }
        switch (l == 0 ? 0x80 : c) {
        /* Invalid UTF-8 would make the whole document unparseable: U+FFFD, as JSON does. */
        case 0x80: rep = "\xEF\xBF\xBD"; break;
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default:
            if (c < 0x20) {
                /* XML 1.0 cannot carry most control characters even as references; S3 writes
                 * them as numeric references anyway (clients asked for encoding-type=url when
                 * they care), so do the same. */
                snprintf(num, sizeof num, "&#x%X;", c);
                rep = num;
            }
        }
        if (rep) {
            rc = buf_append(b, s + start, i - start);
            if (!rc)
                rc = buf_puts(b, rep);
            start = i + 1;
        }
    }
    if (!rc)
        rc = buf_append(b, s + start, n - start);
    return rc;
}

int buf_put_xml(struct buf *b, const char *s)
{
    return buf_put_xmln(b, s, strlen(s));
}

int buf_put_xml_elem(struct buf *b, const char *tag, const char *text)
{
    int rc = buf_printf(b, "<%s>", tag);
    if (!rc)
        rc = buf_put_xml(b, text ? text : "");
    if (!rc)
        rc = buf_printf(b, "</%s>", tag);
    return rc;
}

size_t buf_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

bool buf_utf8_text(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = u[i] ? buf_utf8_len(u + i, n - i) : 0;
        if (l == 0)
            return false;
        i += l;
    }
    return true;
}

int buf_put_json_strn(struct buf *b, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    int rc = buf_putc(b, '"');
    size_t i = 0;
    while (i < n && !rc) {
        /* Runs of characters that need nothing are copied at once: records are mostly such
         * text, and one append per character was a tenth of a PutObject's instructions. */
        size_t run = i;
        while (run < n && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\')
            run++;
        if (run > i) {
            rc = buf_append(b, u + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            rc = buf_append(b, esc, 2);
            i++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': rc = buf_puts(b, "\\n"); break;
            case '\r': rc = buf_puts(b, "\\r"); break;
            case '\t': rc = buf_puts(b, "\\t"); break;
            default: rc = buf_printf(b, "\\u%04x", c);
            }
            i++;
        } else {
            size_t l = buf_utf8_len(u + i, n - i);
            if (l == 0) {
                rc = buf_puts(b, "\xEF\xBF\xBD");
                i++;
            } else {
                rc = buf_append(b, u + i, l);
                i += l;
            }
        }
    }
    if (!rc)
        rc = buf_putc(b, '"');
    return rc;
}

int buf_put_json_str(struct buf *b, const char *s)
{
    return buf_put_json_strn(b, s, strlen(s));
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
    b->failed = false;
}

void buf_free(struct buf *b)
{
    size_t lim = b->cap_limit;
    free(b->data);
    *b = (struct buf)BUF_INIT;
    b->cap_limit = lim;
}

char *buf_detach(struct buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
    return p;
}
