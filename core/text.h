/* core/text.h: what text from users may hold. Run names and other labels
** reach terminals, JSON and file names, so they are checked once, on the
** way in: valid UTF-8, no control characters, not empty, not too long.
** Text read back from a store written elsewhere goes out through
** text_utf8_seq(), which JSON writers and tables use to pass valid
** characters and replace the rest.
*/
#ifndef METARL_TEXT_H
#define METARL_TEXT_H

#include <stddef.h>

#define TEXT_LABEL_MAX 100   /* bytes */

/* Length in bytes of the valid, printable UTF-8 character at p (1..4), or 0
** if p starts an invalid sequence or a control character (C0, DEL, C1). */
size_t text_utf8_seq(const unsigned char *p);

/* 0 if s is a usable label; -1 with "WHAT: ..." naming the fault and its
** byte position in err. */
int text_check_label(const char *s, const char *what, char *err, size_t n_err);

/* Copy s into out (n bytes), valid printable characters as they are and
** every other byte as '?': for tables of text from a store made elsewhere. */
void text_printable(const char *s, char *out, size_t n);

#endif
