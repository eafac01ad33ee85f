/*
 * iampol — IAM policy documents (contract: iampol.h).
 *
 * PLACEHOLDER while the evaluator is written: validation accepts JSON objects, evaluation
 * applies nothing. Replaced wholesale by the real module.
 */
#include "auth/iampol.h"

#include <errno.h>

#include <jansson.h>

int iampol_validate(const char *doc, size_t len, enum iampol_kind kind, struct buf *why)
{
    (void)kind;
    json_t *j = json_loadb(doc, len, 0, NULL);
    bool ok = json_is_object(j);
    json_decref(j);
    if (!ok) {
        buf_puts(why, "Syntax errors in policy.");
        return -EINVAL;
    }
    return 0;
}

int iampol_eval(const char *doc, enum iampol_kind kind, const struct iampol_request *q)
{
    (void)doc;
    (void)kind;
    (void)q;
    return IAMPOL_NONE;
}

int iampol_is_public(const char *doc)
{
    (void)doc;
    return 0;
}
