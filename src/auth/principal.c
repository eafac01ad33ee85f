#include "auth/principal.h"

const char *principal_type_name(enum principal_type t)
{
    switch (t) {
    case PRINCIPAL_ANONYMOUS: return "AWSAccount";
    case PRINCIPAL_ROOT: return "Root";
    case PRINCIPAL_IAM_USER: return "IAMUser";
    case PRINCIPAL_ASSUMED_ROLE: return "AssumedRole";
    case PRINCIPAL_FEDERATED_USER: return "FederatedUser";
    case PRINCIPAL_AWS_SERVICE: return "AWSService";
    }
    return "Unknown";
}
