/* core/numfmt.h: numbers for the tables people read. A number that is not
** defined (the mean of no trials, the standard error of one episode, a
** regression with no residual degrees of freedom) is NaN inside; in a
** table it prints as "-", and a value whose SE is undefined prints without
** "± SE", so no table shows "nan". Machine outputs (JSON, TSV) keep their
** own conventions (null, nan) and do not use this.
**
** Each call returns its text by value; it lives until the end of the full
** expression, so calls can sit directly among printf's arguments.
*/
#ifndef METARL_NUMFMT_H
#define METARL_NUMFMT_H

typedef struct {
    char s[64];
} NumText;

/* v with `digits` decimals (conv 'f') or significant digits (conv 'g');
** "-" when v is NaN or infinite. */
NumText num_text(double v, int digits, char conv);

/* "v ± se", v with v_digits and se with se_digits (same conv); "v" alone
** when se is undefined; "-" when v is. */
NumText num_pm(double v, double se, int v_digits, int se_digits, char conv);

/* Replace, in place, every "nan" or "inf" that printf made of an undefined
** number ("-nan", "+inf": a token not joined to a letter, digit or '_')
** by "n/a": for captions and report cells put together from many numbers.
** Apply it to numbers only, never to labels users chose. */
void num_scrub_undefined(char *s);

#endif
