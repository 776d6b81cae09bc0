/* core/text.c: checks on user text (see text.h). */
#include <stdio.h>
#include <string.h>

#include "core/text.h"

size_t text_utf8_seq(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x20 || c == 0x7f) return 0;
    if (c < 0x80) return 1;
    size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
    if (!n) return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    unsigned cp = n == 2 ? (c & 0x1f) << 6 | (p[1] & 0x3f)
                : n == 3 ? (c & 0x0f) << 12 | (p[1] & 0x3f) << 6 | (p[2] & 0x3f)
                         : (c & 0x07) << 18 | (p[1] & 0x3f) << 12 | (p[2] & 0x3f) << 6 | (p[3] & 0x3f);
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;   /* overlong, too large */
    if (cp >= 0xd800 && cp <= 0xdfff) return 0;                                            /* surrogates */
    if (cp >= 0x80 && cp <= 0x9f) return 0;                                                /* C1 controls */
    return n;
}

int text_check_label(const char *s, const char *what, char *err, size_t n_err)
{
    size_t len = strlen(s);
    if (len == 0) {
        snprintf(err, n_err, "%s: empty (give a label of 1 to %d bytes)", what, TEXT_LABEL_MAX);
        return -1;
    }
    if (len > TEXT_LABEL_MAX) {
        snprintf(err, n_err, "%s: %zu bytes, longer than %d", what, len, TEXT_LABEL_MAX);
        return -1;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = text_utf8_seq(p);
        if (!n) {
            snprintf(err, n_err, "%s: byte %zu (0x%02x) is %s", what, (size_t)(p - (const unsigned char *)s) + 1, *p,
                     *p < 0x20 || *p == 0x7f ? "a control character" : "not valid UTF-8 (or a control character)");
            return -1;
        }
        p += n;
    }
    return 0;
}

void text_printable(const char *s, char *out, size_t n)
{
    size_t used = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && used + 5 < n;) {
        size_t k = text_utf8_seq(p);
        if (k) memcpy(out + used, p, k);
        else out[used] = '?';
        used += k ? k : 1;
        p += k ? k : 1;
    }
    if (n) out[used < n ? used : n - 1] = '\0';
}
