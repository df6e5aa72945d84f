/* A table-driven option parser: short bundles, long options with "=" or a
 * separate value, and GNU-style permutation so `losetup FILE -o 512` works
 * the way util-linux's getopt_long does. Operands are compacted into argv's
 * front: every slot written was already read. */
#include <errno.h>
#include <string.h>

#include "mini.h"

void opt_init(struct optstate *st)
{
	memset(st, 0, sizeof(*st));
	st->ind = 1;
}

static const struct opt *find_short(const struct opt *tab, int c)
{
	for (; tab->id; tab++)
		if (tab->id == c && c < 256)
			return tab;
	return NULL;
}

/* Exact match first, then a unique prefix, as getopt_long accepts. */
static const struct opt *find_long(const struct opt *tab, const char *name,
				   size_t len)
{
	const struct opt *hit = NULL;
	int nhit = 0;
	for (const struct opt *o = tab; o->id; o++) {
		if (!o->lng || strncmp(o->lng, name, len))
			continue;
		if (strlen(o->lng) == len)
			return o;
		hit = o;
		nhit++;
	}
	return nhit == 1 ? hit : NULL;
}

static int take_long(struct optstate *st, int argc, char **argv,
		     const struct opt *tab, char *word)
{
	char *name = word + 2;
	char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct opt *o = find_long(tab, name, len);
	st->bad = word;
	if (!o)
		return -ENOENT;
	if (o->arg == OPT_NONE && eq)
		return -E2BIG;
	if (eq) {
		st->arg = eq + 1;
	} else if (o->arg == OPT_REQ) {
		if (st->ind >= argc)
			return -EINVAL;
		st->arg = argv[st->ind++];
	}
	return o->id;
}

int opt_next(struct optstate *st, int argc, char **argv,
	     const struct opt *tab)
{
	st->arg = NULL;
	st->bad = NULL;
	for (;;) {
		if (st->pos) {
			/* Inside a bundle like -fPo512. */
			char *word = argv[st->ind - 1];
			int c = (unsigned char)word[st->pos++];
			const struct opt *o = find_short(tab, c);
			static char badbuf[3] = "-?";
			if (!word[st->pos])
				st->pos = 0;
			if (!o) {
				badbuf[1] = (char)c;
				st->bad = badbuf;
				st->pos = 0;
				return -ENOENT;
			}
			if (o->arg != OPT_NONE && st->pos) {
				st->arg = word + st->pos;
				st->pos = 0;
			} else if (o->arg == OPT_REQ) {
				if (st->ind >= argc) {
					badbuf[1] = (char)c;
					st->bad = badbuf;
					return -EINVAL;
				}
				st->arg = argv[st->ind++];
			}
			return o->id;
		}
		if (st->ind >= argc)
			return 0;
		char *word = argv[st->ind++];
		if (st->done || word[0] != '-' || !word[1]) {
			argv[st->nopnd++] = word;
			continue;
		}
		if (!strcmp(word, "--")) {
			st->done = 1;
			continue;
		}
		if (word[1] == '-')
			return take_long(st, argc, argv, tab, word);
		st->pos = 1;
	}
}
