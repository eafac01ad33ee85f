#include "s3/errors.h"

#include <errno.h>

static const struct {
    const char *code;
    int status;
    const char *msg;
} table[S3E__COUNT] = {
    [S3E_OK] = {"OK", 200, ""},
#define S3E_ROW(name, st, m) [S3E_##name] = {#name, st, m},
    S3_ERROR_MAP(S3E_ROW)
#undef S3E_ROW
};

static int norm(int e)
{
    if (e < 0)
        e = -e;
    if (e <= 0 || e >= S3E__COUNT)
        return S3E_InternalError;
    return e;
}

const char *s3err_code(int e)
{
    return table[norm(e)].code;
}

int s3err_status(int e)
{
    return table[norm(e)].status;
}

const char *s3err_message(int e)
{
    return table[norm(e)].msg;
}

int s3err_from_errno(int e)
{
    switch (-e) {
    case EBUSY:
    case EAGAIN:
        return -S3E_SlowDown;
    case ENOMEM:
    case ESHUTDOWN:
        return -S3E_ServiceUnavailable;
    default:
        return -S3E_InternalError;
    }
}
