/* cli/args_table.c: a command's flag table and its --help.
**
** Flags for settings are generated from the declared OptSpecs: a spec's flag
** (or its key) becomes --flag VALUE, spelled with hyphens. When two sections
** declare the same flag (task.hazard and agent.hazard, say), the first
** declared keeps the short name and the others become --section-key. The
** help text is printed from the same rule, so that every option it lists is
** one the command accepts, each setting with its default.
*/
#include <stdio.h>
#include <string.h>

#include "cli/args_internal.h"

void args_spec_flag(const Config *c, size_t i, char *out, size_t n)
{
    const OptSpec *s = config_declared(c, i);
    const char *f = s->flag ? s->flag : s->key;
    if (!*f) {
        out[0] = '\0';
        return;
    }
    for (size_t j = 0; j < i; j++) {
        const OptSpec *o = config_declared(c, j);
        const char *g = o->flag ? o->flag : o->key;
        if (strcmp(f, g) == 0 && strcmp(o->section, s->section) != 0) {
            snprintf(out, n, "%s-%s", s->section, s->key);
            return;
        }
    }
    snprintf(out, n, "%s", f);
}

static int table_has(const FlagTable *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->names[i], name) == 0) return 1;
    return 0;
}

/* Flags are spelled with hyphens (--p-high for task.p_high); argv is read
** with '_' taken as '-' in option names (normalize_flags), so either works. */
static void hyphenate(char *s)
{
    for (; *s; s++)
        if (*s == '_') *s = '-';
}

static void table_add(FlagTable *t, const char *name, int has_arg, const OptSpec *spec)
{
    char flag[96];
    snprintf(flag, sizeof flag, "%s", name);
    hyphenate(flag);
    name = flag;
    if (t->n >= MAX_OPTIONS - 1 || table_has(t, name)) return;
    snprintf(t->names[t->n], sizeof t->names[t->n], "%s", name);
    t->opts[t->n] = (struct option){ t->names[t->n], has_arg, NULL, VAL_BASE + t->n };
    t->spec[t->n] = spec;
    t->n++;
}

void args_table_build(FlagTable *t, const Command *cmd, const Config *c)
{
    memset(t, 0, sizeof *t);
    table_add(t, "help", no_argument, NULL);
    t->opts[0].val = VAL_HELP;
    if (cmd->declare) {
        table_add(t, "config", required_argument, NULL);
        t->opts[1].val = VAL_CONFIG;
        table_add(t, "set", required_argument, NULL);
        t->opts[2].val = VAL_SET;
    }
    for (const CmdFlag *f = cmd->flags; f && f->name; f++)
        table_add(t, f->name, f->arg ? required_argument : no_argument, NULL);
    for (size_t i = 0; config_declared(c, i); i++) {
        char name[96];
        args_spec_flag(c, i, name, sizeof name);
        if (name[0]) table_add(t, name, required_argument, config_declared(c, i));
    }
    t->opts[t->n] = (struct option){ NULL, 0, NULL, 0 };
}

/* ---- help --------------------------------------------------------------- */

static void help_line(const char *flag, const char *metavar, const char *text, const char *def)
{
    char left[128];
    snprintf(left, sizeof left, "--%s%s%s", flag, metavar ? " " : "", metavar ? metavar : "");
    for (char *p = left + 2; *p && *p != ' '; p++)   /* spelled as the table takes it (hyphenate) */
        if (*p == '_') *p = '-';
    printf("  %-28s %s", left, text);
    if (def) printf(" (default: %s)", def[0] ? def : "\"\"");
    putchar('\n');
}

static const char *metavar_of(const OptSpec *s)
{
    switch (s->kind) {
    case OPT_INT: return "N";
    case OPT_DOUBLE: return "X";
    case OPT_BOOL: return "BOOL";
    case OPT_CHOICE: return s->choices;
    case OPT_STRING: return "TEXT";
    case OPT_INT_LIST: return "N,N,...";
    }
    return "V";
}

void args_help(const Command *cmd, const Config *c)
{
    printf("usage: metarl %s %s\n%s\n", cmd->name, cmd->synopsis, cmd->summary);
    if (cmd->description) printf("\n%s\n", cmd->description);
    printf("\nOptions:\n");
    for (const CmdFlag *f = cmd->flags; f && f->name; f++) help_line(f->name, f->arg, f->help, NULL);
    if (cmd->declare) {
        help_line("config", "FILE", "read settings from an INI file ([section] key = value)", NULL);
        help_line("set", "SECTION.KEY=VALUE", "set any setting; applied after flags and the file", NULL);
    }
    help_line("help", NULL, "show this help", NULL);
    if (!c) return;
    /* Settings, by section; owner-specific ones grouped under their owner. */
    const char *last_section = "", *last_owner = "";
    for (size_t i = 0; config_declared(c, i); i++) {
        const OptSpec *s = config_declared(c, i);
        const char *owner = s->owner ? s->owner : "";
        if (strcmp(s->section, last_section) || strcmp(owner, last_owner)) {
            if (*owner) printf("\n[%s] settings for %s=%s:\n", s->section, s->section, owner);
            else printf("\n[%s] settings:\n", s->section);
            last_section = s->section;
            last_owner = owner;
        }
        char flag[96], text[512];
        args_spec_flag(c, i, flag, sizeof flag);
        snprintf(text, sizeof text, "%s [%s.%s]", s->help, s->section, s->key);
        if (flag[0]) help_line(flag, metavar_of(s), text, s->def);
        else {
            char left[128];
            snprintf(left, sizeof left, "%s.%s", s->section, s->key);
            printf("  %-28s %s (default: %s; config file or --set only)\n", left, s->help, s->def);
        }
    }
    if (cmd->declare) printf("\nPrecedence: default < --config FILE < flags < --set (later flags win).\n");
}

