/* http/route.c for fuzz_route: route_request unchanged, with the server's configuration
 * (virtual-host domain, default region) answered by the shim instead of a running server (see
 * shims.h). Only route_request is called; route_prepare and later need a store and a server. */
#include <string.h>

#include "http/server.h"

static const struct server_config *fuzz_server_cfg(const struct server *srv);
#define server_cfg fuzz_server_cfg
#define req_default_region fuzz_route_default_region
#include "http/route.c"
#undef server_cfg
#undef req_default_region

#include "shims.h"

static const struct server_config *fuzz_server_cfg(const struct server *srv)
{
    (void)srv;
    static struct server_config cfg;
    if (!cfg.regions[0]) {
        server_config_defaults(&cfg);
        snprintf(cfg.regions, sizeof cfg.regions, "%s", FUZZ_REGIONS);
        snprintf(cfg.domain, sizeof cfg.domain, "%s", FUZZ_DOMAIN);
    }
    return &cfg;
}

const char *fuzz_route_default_region(const struct req *r)
{
    (void)r;
    return "us-east-1";
}

int fuzz_route_request(struct req *r)
{
    return route_request(r);
}
