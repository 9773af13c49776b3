/*
 * What the C examples share: the error printer, and the small CSV reader (comma-separated, one
 * record per line, double-quoted fields with "" for a quote: RFC 4180 without line breaks
 * inside fields).
 */
#ifndef MICROSCORE_EXAMPLE_CSV_H
#define MICROSCORE_EXAMPLE_CSV_H

#include <stdio.h>
#include <string.h>

#include "microscore.h"

static int fail(microscore_status status, microscore_error *err) {
    char message[1024];
    size_t n = 0;
    if (err != NULL && microscore_error_message(err, message, sizeof message, &n) == MICROSCORE_OK) {
        fprintf(stderr, "microscore error %u (%s): %s\n", (unsigned)status, microscore_status_str(status), message);
    } else {
        fprintf(stderr, "microscore error %u (%s)\n", (unsigned)status, microscore_status_str(status));
    }
    microscore_error_free(err);
    return 1;
}

/* Split `line` in place at commas outside quotes, unquoting quoted fields ("" is a quote);
 * empty fields are kept. Returns the number of fields. */
static size_t split(char *line, char **fields, size_t max) {
    size_t n = 0;
    char *p = line;
    while (n < max) {
        char *out = p;
        fields[n++] = p;
        if (*p == '"') {
            p++;
            while (*p != '\0') {
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            while (*p != '\0' && *p != ',') p++; /* text after a closing quote: dropped */
        } else {
            while (*p != '\0' && *p != ',') *out++ = *p++;
        }
        int more = *p == ',';
        *out = '\0';
        if (!more) break;
        p++;
    }
    return n;
}

static void chomp(char *s) {
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
}

#endif /* MICROSCORE_EXAMPLE_CSV_H */
