/* The command-line side of attach.c, shared by losetup, loopmount and
 * run: the attach options, their values checked and stored in an
 * attach_req, and a bad command line in words. The applets print. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mini.h"

/* loopmount's and run's table. run's two own options come first and
 * loopmount's table starts after them (attach_opts + 2), so each applet
 * accepts exactly its own options and abbreviations. */
const struct opt attach_opts[] = {
	{"mount", AO_MOUNT, OPT_REQ},
	{"timeout", AO_TIMEOUT, OPT_REQ},
	{"direct-io", AO_DIO, OPT_OPTIONAL},
	{"help", 'h', OPT_NONE},
	{"offset", AO_OFFSET, OPT_REQ},
	{"options", 'o', OPT_REQ},
	{"partition", AO_PARTITION, OPT_REQ},
	{"read-only", 'r', OPT_NONE},
	{"ref", AO_REF, OPT_REQ},
	{"sizelimit", AO_SIZELIMIT, OPT_REQ},
	{"types", 't', OPT_REQ},
	{NULL, 0, 0},
};

/* Without the final newline: usage_exit() adds it. */
const char attach_usage[] =
	"    --partition N|PARTUUID=..|PARTLABEL=..  one partition\n"
	"    --offset B  start at byte B\n"
	"    --sizelimit B  use at most B bytes\n"
	"    --direct-io[=on|off|auto]  O_DIRECT (auto)\n"
	"    --ref TAG  tag (losetup --ref)";

static int bad(struct optfail *f, const char *pre, const char *word,
	       const char *post)
{
	f->pre = pre;
	f->word = word;
	f->post = post;
	return -EINVAL;
}

int attach_opt(struct attach_req *req, int id, const char *arg,
	       struct optfail *f)
{
	uint64_t *num = id == AO_OFFSET ? &req->offset : &req->sizelimit;
	int r;
	switch (id) {
	case 'r':
		req->ro = 1;
		return 1;
	case AO_PARTITION:
		req->partition = arg;
		return 1;
	case AO_REF:
		req->ref = arg;
		return 1;
	case AO_DIO:
		/* 1 and 0 as util-linux takes them too. */
		if (!arg || !strcmp(arg, "on") || !strcmp(arg, "1"))
			req->dio = DIO_ON;
		else if (!strcmp(arg, "off") || !strcmp(arg, "0"))
			req->dio = DIO_OFF;
		else if (!strcmp(arg, "auto"))
			req->dio = DIO_AUTO;
		else
			return bad(f, "invalid --direct-io '", arg,
				   "': on, off or auto");
		return 1;
	case AO_OFFSET:
	case AO_SIZELIMIT:
		if ((r = parse_size(arg, num)) < 0)
			return bad(f, id == AO_OFFSET ? "invalid offset '"
				   : "invalid size limit '", arg, r == -ERANGE ?
				   "': number out of range" :
				   "': not a number (examples: 512, 1M, 0x200)");
		return 1;
	}
	return 0;
}

int optfail_of(int err, const struct optstate *st, struct optfail *f)
{
	if (err == -ENOENT)
		return bad(f, "unrecognized option '", st->bad, "' (try --help)");
	if (err == -E2BIG)
		return bad(f, "option '", st->bad, "' takes no value");
	return bad(f, "option '", st->bad, "' requires a value");
}

int attach_opt_next(struct optstate *st, int argc, char **argv,
		    const struct opt *tab, struct attach_req *req,
		    struct optfail *f)
{
	int c;
	while ((c = opt_next(st, argc, argv, tab)) > 0) {
		int r = attach_opt(req, c, st->arg, f);
		if (r < 0)
			return r;
		if (!r)
			return c;
	}
	return c < 0 ? optfail_of(c, st, f) : 0;
}
