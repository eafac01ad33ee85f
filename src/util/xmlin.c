#include "util/xmlin.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <libxml/parser.h>

#include "util/fault.h"

int xmlin_parse(const char *data, size_t len, int options, xmlDocPtr *out)
{
    *out = NULL;
    if (!data || len == 0 || len > (size_t)INT32_MAX)
        return -EINVAL;
    xmlResetLastError();
    unsigned long failures = fault_alloc_failures();
    xmlDocPtr doc = xmlReadMemory(data, (int)len, "body.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                      options);
    const xmlError *e = xmlGetLastError();
    bool oom = (e && e->code == XML_ERR_NO_MEMORY) || fault_alloc_failures() != failures;
    if (oom || !doc || !xmlDocGetRootElement(doc)) {
        if (doc)
            xmlFreeDoc(doc);
        return oom ? -ENOMEM : -EINVAL;
    }
    *out = doc;
    return 0;
}
