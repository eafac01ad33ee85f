/* sts — STS actions (sts.h). */
#include "iam/sts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/req.h"
#include "iam/qapi.h"

/* GetCallerIdentity needs no permission (AWS: it works even under an explicit deny). UserId and
 * Arn are the principal's as principal.h fills them: the account id and :root for root, the
 * AIDA id and user ARN for an IAM user, "<RoleId>:<session>" and the assumed-role ARN for a role
 * session, "<account>:<name>" and the federated-user ARN for a federated user. */
int sts_get_caller_identity(struct req *r)
{
    const struct principal *w = &r->who;
    int rc = qapi_result_begin(r);
    if (rc)
        return rc;
    struct buf *b = &r->resp_body;
    qapi_x(b, "UserId", w->principal_id);
    qapi_x(b, "Account", w->account_id);
    qapi_x(b, "Arn", w->arn);
    return qapi_result_end(r);
}
