/*
 * xmlin — parsing XML that comes from clients (request bodies, ACLs, configurations).
 *
 * One place decides what "parsed" means, because libxml2 alone cannot be trusted to say: when an
 * allocation fails mid-parse it may still return a tree, missing the text or node it could not
 * allocate (a DeleteObjects <Key>a2</Key> read as an empty key, a dropped ACL grant), and its last
 * error may be a later one than the allocation's. The allocator hooks of util/fault.h count
 * failed allocations per thread; a parse during which the count moved is refused as -ENOMEM.
 */
#ifndef S3TRAIL_XMLIN_H
#define S3TRAIL_XMLIN_H

#include <stddef.h>

#include <libxml/tree.h>

/* Parses len bytes with no network access, no entity substitution and no DTD loading, plus
 * libxml2's `options` (XML_PARSE_NOBLANKS, XML_PARSE_NOCDATA, ...). 0 with *out set to a document
 * that has a root element (the caller xmlFreeDoc()s it); -EINVAL when the bytes are not such a
 * document (empty, too long for libxml2's int length, not well-formed); -ENOMEM when an
 * allocation failed during the parse. *out is NULL on failure. */
int xmlin_parse(const char *data, size_t len, int options, xmlDocPtr *out)
    __attribute__((warn_unused_result));

#endif
