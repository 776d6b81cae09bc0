/* core/numfmt.c: see numfmt.h. */
#include <math.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/numfmt.h"

NumText num_text(double v, int digits, char conv)
{
    NumText t;
    if (!isfinite(v)) snprintf(t.s, sizeof t.s, "-");
    else if (conv == 'g') snprintf(t.s, sizeof t.s, "%.*g", digits, v);
    else snprintf(t.s, sizeof t.s, "%.*f", digits, v);
    return t;
}

NumText num_pm(double v, double se, int v_digits, int se_digits, char conv)
{
    NumText t = num_text(v, v_digits, conv);
    if (!isfinite(v) || !isfinite(se)) return t;
    NumText e = num_text(se, se_digits, conv);
    snprintf(t.s, sizeof t.s, "%.28s ± %.28s", num_text(v, v_digits, conv).s, e.s);   /* each at most 28: fits */
    return t;
}

static int word_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

void num_scrub_undefined(char *s)
{
    char *out = s;
    for (const char *p = s; *p;) {
        const char *q = p + (*p == '-' || *p == '+');
        int at_start = p == s || !word_char(p[-1]);
        if (at_start && (strncmp(q, "nan", 3) == 0 || strncmp(q, "inf", 3) == 0) && !word_char(q[3])) {
            memcpy(out, "n/a", 3);
            out += 3;
            p = q + 3;
        } else {
            *out++ = *p++;
        }
    }
    *out = '\0';
}
