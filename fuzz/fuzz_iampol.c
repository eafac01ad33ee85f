/*
 * fuzz_iampol — IAM policy documents (auth/iampol.h): validation for each policy kind,
 * evaluation against a principal of each type with condition keys, and the public-policy
 * question.
 *
 * Input: byte 0 picks the kind (bits 0-1, 3 stands for IAMPOL_RESOURCE), the requester (bits
 * 2-4), the action (bits 5-6), the resource (bits 6-7) and whether the request has condition keys
 * (bit 5) — overlapping, a byte has only so many bits; the rest is the document.
 *
 * Invariants: iampol_validate answers 0, -EINVAL with a message, or -ENOMEM, and accepts no
 * document with a NUL byte; iampol_eval answers a result in range, -EINVAL or -ENOMEM, never
 * -EINVAL for a document iampol_validate accepted for the same kind (stored documents are
 * validated first, and evaluation must then always decide), and never IAMPOL_ALLOW_ACCOUNT for
 * an identity policy; iampol_is_public answers 0, 1, -EINVAL or -ENOMEM, and -EINVAL only for
 * what is not a JSON object.
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "auth/iampol.h"
#include "auth/principal.h"
#include "harness.h"

#define ACCT "111122223333"

static void make_principal(int sel, struct principal *p)
{
    memset(p, 0, sizeof *p);
    snprintf(p->account_id, sizeof p->account_id, ACCT);
    snprintf(p->canonical_id, sizeof p->canonical_id, "c0ffee");
    switch (sel) {
    case 0:
        p->type = PRINCIPAL_ANONYMOUS;
        snprintf(p->account_id, sizeof p->account_id, "anonymous");
        p->canonical_id[0] = '\0';
        break;
    case 1:
        p->type = PRINCIPAL_ROOT;
        snprintf(p->arn, sizeof p->arn, "arn:aws:iam::" ACCT ":root");
        break;
    case 2:
    case 3:
        p->type = PRINCIPAL_IAM_USER;
        p->session = sel == 3;
        snprintf(p->user_name, sizeof p->user_name, "alice");
        snprintf(p->arn, sizeof p->arn, "arn:aws:iam::" ACCT ":user/alice");
        snprintf(p->unique_id, sizeof p->unique_id, "AIDAALICE");
        break;
    case 4:
        p->type = PRINCIPAL_ASSUMED_ROLE;
        p->session = true;
        snprintf(p->arn, sizeof p->arn, "arn:aws:sts::" ACCT ":assumed-role/r/s");
        snprintf(p->principal_id, sizeof p->principal_id, "AROAR:s");
        snprintf(p->issuer_arn, sizeof p->issuer_arn, "arn:aws:iam::" ACCT ":role/r");
        break;
    case 5:
        p->type = PRINCIPAL_FEDERATED_USER;
        p->session = true;
        snprintf(p->arn, sizeof p->arn, "arn:aws:sts::" ACCT ":federated-user/f");
        snprintf(p->principal_id, sizeof p->principal_id, ACCT ":f");
        break;
    case 6:
        p->type = PRINCIPAL_AWS_SERVICE;
        p->account_id[0] = p->canonical_id[0] = '\0';
        snprintf(p->principal_id, sizeof p->principal_id, "cloudtrail.amazonaws.com");
        break;
    default: p->type = PRINCIPAL_IAM_USER; /* an IAM user with every field empty */
    }
}

/* A few keys of every value type the operators compare. */
static size_t keys(void *arg, const char *name, const char **vals, size_t max)
{
    (void)arg;
    static const struct {
        const char *name;
        const char *v[3];
        size_t n;
    } table[] = {
        {"aws:SourceIp", {"203.0.113.7"}, 1},
        {"aws:CurrentTime", {"2024-06-01T12:00:00Z"}, 1},
        {"aws:EpochTime", {"1717243200"}, 1},
        {"aws:SecureTransport", {"true"}, 1},
        {"s3:max-keys", {"10"}, 1},
        {"s3:prefix", {"home/alice/"}, 1},
        {"aws:SourceArn", {"arn:aws:cloudtrail:us-east-1:" ACCT ":trail/t"}, 1},
        {"aws:TagKeys", {"env", "team", "*"}, 3},
        {"aws:SourceIpv6", {"2001:db8::1"}, 1},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcasecmp(table[i].name, name) != 0)
            continue;
        for (size_t j = 0; j < table[i].n && j < max; j++)
            vals[j] = table[i].v[j];
        return table[i].n;
    }
    return 0;
}

static const char *const actions[] = {"s3:GetObject", "sts:AssumeRole", "iam:CreateUser", ""};
static const char *const resources[] = {"arn:aws:s3:::b/home/alice/k", "*",
                                        "arn:aws:iam::" ACCT ":role/r", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    enum iampol_kind kind = (enum iampol_kind)((sel & 3) == 3 ? IAMPOL_RESOURCE : (sel & 3));
    struct principal who;
    make_principal(sel >> 2 & 7, &who);
    const char *doc = (const char *)data + 1;
    size_t n = size - 1;

    struct buf why = BUF_INIT;
    int rc = iampol_validate(doc, n, kind, &why);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
    if (rc == 0)
        FUZZ_CHECK(memchr(doc, '\0', n) == NULL);
    if (rc == -EINVAL)
        FUZZ_CHECK(why.len > 0 && buf_ok(&why));
    buf_free(&why);

    char *text = malloc(n + 1);
    if (!text)
        return 0;
    memcpy(text, doc, n);
    text[n] = '\0';

    struct iampol_request q = {actions[sel >> 5 & 3], resources[sel >> 6 & 3], &who,
                               (sel & 0x20) ? keys : NULL, NULL};
    int r = iampol_eval(text, kind, &q);
    FUZZ_CHECK(r == IAMPOL_NONE || r == IAMPOL_ALLOW || r == IAMPOL_ALLOW_ACCOUNT ||
               r == IAMPOL_DENY || r == -EINVAL || r == -ENOMEM);
    if (rc == 0) {
        if (r == -EINVAL)
            fprintf(stderr, "validated but not evaluable (kind %d):\n%s\n", (int)kind, text);
        FUZZ_CHECK(r != -EINVAL);
    }
    if (kind == IAMPOL_IDENTITY)
        FUZZ_CHECK(r != IAMPOL_ALLOW_ACCOUNT);

    int pub = iampol_is_public(text);
    FUZZ_CHECK(pub == 0 || pub == 1 || pub == -EINVAL || pub == -ENOMEM);
    if (pub == -EINVAL) {
        json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
        FUZZ_CHECK(!json_is_object(j));
        json_decref(j);
    }
    free(text);
    return 0;
}
