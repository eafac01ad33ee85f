#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util/fault.h"
#include "util/xmlin.h"

static const char DELETE_DOC[] =
    "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Object><Key>a2</Key></Object>"
    "<Object><Key>b7</Key><VersionId>null</VersionId></Object><Quiet>false</Quiet></Delete>";

TEST(xmlin_parses_and_refuses)
{
    xmlDocPtr doc;
    CHECK_EQ_INT(xmlin_parse(DELETE_DOC, strlen(DELETE_DOC), XML_PARSE_NOBLANKS, &doc), 0);
    CHECK(doc != NULL);
    CHECK(strcmp((const char *)xmlDocGetRootElement(doc)->name, "Delete") == 0);
    xmlFreeDoc(doc);

    static const char *const bad[] = {"", "<a>", "<a></b>", "text", "<?xml version=\"1.0\"?>"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_EQ_INT(xmlin_parse(bad[i], strlen(bad[i]), 0, &doc), -EINVAL);
        CHECK(doc == NULL);
    }
    CHECK_EQ_INT(xmlin_parse(NULL, 0, 0, &doc), -EINVAL);
    /* No entity substitution, no network: an external entity is not fetched or expanded. */
    static const char xxe[] = "<!DOCTYPE a [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><a>&e;</a>";
    if (xmlin_parse(xxe, strlen(xxe), 0, &doc) == 0) {
        xmlChar *text = xmlNodeGetContent(xmlDocGetRootElement(doc));
        CHECK(text == NULL || strstr((const char *)text, "root:") == NULL);
        xmlFree(text);
        xmlFreeDoc(doc);
    }
}

/* Whichever allocation of the parse fails, no tree comes back: the parse either did not need
 * that allocation or answers -ENOMEM (libxml2 alone can return a tree missing a key's text). */
TEST(xmlin_never_returns_a_tree_after_a_failed_allocation)
{
    CHECK_EQ_INT(fault_init(), 0);
    xmlInitParser(); /* libxml2's global set-up is not what this test fails */
    int failed = 0;
    for (int i = 0; i < 600; i++) {
        /* one failed allocation, or a run of them (the failure's own error report may then
         * fail too, and libxml2's last error is no longer the allocation's) */
        int after = i % 200, times = 1 + i / 200;
        char rule[64];
        snprintf(rule, sizeof rule, "alloc nomem after=%d times=%d", after, times);
        CHECK_EQ_INT(fault_arm(rule), 0);
        unsigned long before = fault_alloc_failures();
        xmlDocPtr doc;
        int rc = xmlin_parse(DELETE_DOC, strlen(DELETE_DOC), XML_PARSE_NOBLANKS, &doc);
        bool fired = fault_alloc_failures() != before;
        CHECK_EQ_INT(fault_arm(""), 0);
        if (fired) {
            CHECK_EQ_INT(rc, -ENOMEM);
            CHECK(doc == NULL);
            failed++;
        } else {
            CHECK_EQ_INT(rc, 0);
            xmlFreeDoc(doc);
        }
    }
    CHECK(failed > 10); /* the parse does allocate; the loop reached inside it */
}
