/*
 * fixture — what several test files need: a fresh store in a temp directory, and removing a
 * directory tree afterwards.
 */
#ifndef S3TRAIL_UNIT_FIXTURE_H
#define S3TRAIL_UNIT_FIXTURE_H

#include <stdbool.h>

struct store;

/* Removes dir and everything below it (errors ignored: it is a test's scratch space). */
void unit_rmtree(const char *dir);
/* Creates /tmp/s3trail-<tag>-XXXXXX into dir and opens a store there; false (with a failed
 * CHECK) when either step fails. */
bool unit_store_open(char dir[64], const char *tag, struct store **st);
/* Closes the store and removes its directory. */
void unit_store_close(const char *dir, struct store *st);

#endif
