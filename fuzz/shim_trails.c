/* trail/trails.c for fuzz_ctjson: the handlers unchanged, with req_commit going to
 * fuzz_req_commit (see shims.h), since there is no server to queue the work item with. */
#include "shims.h"

#define req_commit fuzz_req_commit
#include "trail/trails.c"
#undef req_commit
