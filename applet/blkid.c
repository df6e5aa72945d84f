/* blkid: the util-linux subset scripts and initramfs hooks use, with the
 * same output, over libmini's own readers. There is no cache: every call
 * probes (so -p, -c and -g are accepted and change nothing).
 *
 * usage: blkid [-p] [-o full|value|export|device] [-s TAG]... [-t TAG=VAL]
 *              [-l] [-O OFFSET] [-S SIZE] [DEV|FILE]...
 *        blkid -L LABEL | -U UUID
 * Exit: 0 something found, 2 nothing found (as util-linux), 2 usage. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mini.h"
#include "probe.h"

enum { FMT_FULL, FMT_VALUE, FMT_EXPORT, FMT_DEVICE };

struct tag {
	const char *name, *val;
};

static struct {
	int fmt, nshow, lookup, raw, printed;
	const char *show[16];
	const char *tname, *tval;
	uint64_t off, size;
} g;

/* The fsinfo fields blkid prints, by the letters of the orders below;
 * B is the block size, formatted by the caller. */
static const char keys[] = "LUGuSFBT";
static const char *const names[] = {"LABEL", "UUID", "LOGUUID", "UUID_SUB",
				    "SEC_TYPE", "LABEL_FATBOOT", "BLOCK_SIZE",
				    "TYPE"};
static const unsigned short offs[] = {
	offsetof(struct fsinfo, label), offsetof(struct fsinfo, uuid),
	offsetof(struct fsinfo, uuid), offsetof(struct fsinfo, uuid_sub),
	offsetof(struct fsinfo, sec_type), offsetof(struct fsinfo, label_fatboot),
	0, offsetof(struct fsinfo, type)};

/* blkid prints no empty tag. */
static int add(struct tag *t, int n, const char *name, const char *val)
{
	if (*val)
		t[n++] = (struct tag){name, val};
	return n;
}

/* The tags of one device in blkid's order, which is each prober's order of
 * setting them: vfat and iso9660 differ from the rest. */
static int tags_of(const struct probe_res *r, struct tag *t, char *bs)
{
	const struct fsinfo *f = &r->fs;
	int n = 0;
	if (r->has_fs) {
		const char *order = !strcmp(f->type, "vfat") ? "SFLUBT"
				    : !strcmp(f->type, "iso9660") ? "BULT"
				    : !strcmp(f->type, "jbd") ? "LUBGT"
							      : "LUuSBT";
		*bs = 0;
		if (f->block_size)
			snprintf(bs, 12, "%u", f->block_size);
		for (; *order; order++) {
			int k = (int)(strchr(keys, *order) - keys);
			const char *v = *order == 'B' ? bs : (const char *)f + offs[k];
			n = add(t, n, names[k], v);
		}
	}
	if (r->pttype) {
		n = add(t, n, "PTUUID", r->ptuuid);
		n = add(t, n, "PTTYPE", r->pttype == PT_GPT ? "gpt" : "dos");
	}
	if (r->has_part) {
		n = add(t, n, "PARTLABEL", r->part.label);
		n = add(t, n, "PARTUUID", r->part.uuid);
	}
	return n;
}

/* One tag as PRE NAME MID VALUE POST, the value in blkid's safe_print:
 * bytes >= 128 as M-x, controls as ^X, the characters in esc behind a
 * backslash. */
static void print_tag(const char *pre, const char *name, const char *mid,
		      const char *v, const char *esc, const char *post)
{
	char buf[1100];
	size_t j = 0;
	for (; *v && j < sizeof(buf) - 5; v++) {
		unsigned c = (unsigned char)*v;
		if (!g.raw) {
			if (c >= 128) {
				buf[j++] = 'M';
				buf[j++] = '-';
				c -= 128;
			}
			if (c < 32 || c == 0x7f) {
				buf[j++] = '^';
				c ^= 0x40;
			} else if (strchr(esc, (int)c)) {
				buf[j++] = '\\';
			}
		}
		buf[j++] = (char)c;
	}
	buf[j] = 0;
	out("%s%s%s%s%s", pre, name, mid, buf, post);
}

static int shown(const char *name)
{
	if (!g.nshow)
		return 1;
	for (int i = 0; i < g.nshow; i++)
		if (!strcmp(g.show[i], name))
			return 1;
	return 0;
}

static void print_dev(const char *dev, const struct tag *t, int n)
{
	if (g.fmt == FMT_DEVICE) {
		out("%s\n", dev);
		return;
	}
	int num = 0;
	for (int i = 0; i < n; i++) {
		if (!shown(t[i].name))
			continue;
		if (g.fmt == FMT_VALUE) {
			out("%s\n", t[i].val);
		} else if (g.fmt == FMT_EXPORT) {
			if (!num++)
				out("%sDEVNAME=%s\n", g.printed++ ? "\n" : "", dev);
			print_tag("", t[i].name, "=", t[i].val, " \\\"'$`<>", "\n");
		} else {
			if (!num++)
				out("%s:", dev);
			print_tag(" ", t[i].name, "=\"", t[i].val, "\"\\", "\"");
		}
	}
	if (num && g.fmt == FMT_FULL)
		out("\n");
}

/* 1 when dev was identified (and passed -t). */
static int do_dev(const char *dev, int quiet_errors)
{
	struct probe_res r;
	struct tag t[16];
	char bs[12];
	int e = probe_window(dev, g.off, g.size, &r);
	if (e < 0) {
		if (!quiet_errors && e != -ENODEV)
			msg_errno(e, "%s", dev);
		return 0;
	}
	int n = tags_of(&r, t, bs);
	if (!n)
		return 0;
	if (g.tname) {
		int hit = 0;
		for (int i = 0; i < n; i++)
			hit |= !strcmp(t[i].name, g.tname) && !strcmp(t[i].val, g.tval);
		if (!hit)
			return 0;
	}
	print_dev(dev, t, n);
	return 1;
}

/* probe_each_dev: every device with a size, until -l finds one. */
static int scan_one(int sys, const char *name, uint64_t sectors, void *arg)
{
	int *any = arg;
	char p[300];
	snprintf(p, sizeof(p), "/dev/%s", name);
	*any |= do_dev(p, 1);
	return g.lookup && *any;
}

static int usage(int code)
{
	static const char text[] =
		"usage: blkid [-p] [-o full|value|export|device] [-s TAG]... "
		"[-t TAG=VALUE] [-l]\n"
		"             [-O OFFSET] [-S SIZE] [DEVICE|FILE]...\n"
		"       blkid -L LABEL | -U UUID\n";
	if (code)
		(void)!write(2, text, sizeof(text) - 1);
	else
		out("%s", text);
	return code;
}

int blkid_main(int argc, char **argv)
{
	static const struct opt tab[] = {
		{"output", 'o', OPT_REQ},         {"match-tag", 's', OPT_REQ},
		{"match-token", 't', OPT_REQ},    {"label", 'L', OPT_REQ},
		{"uuid", 'U', OPT_REQ},           {"probe", 'p', OPT_NONE},
		{"cache-file", 'c', OPT_REQ},     {"garbage-collect", 'g', OPT_NONE},
		{"list-one", 'l', OPT_NONE},      {"no-encoding", 'd', OPT_NONE},
		{"offset", 'O', OPT_REQ},         {"size", 'S', OPT_REQ},
		{"help", 'h', OPT_NONE},          {"version", 'V', OPT_NONE},
		{NULL, 0, 0}};
	static const char *const fmts[] = {"full", "value", "export", "device"};
	struct optstate st;
	const char *find = NULL;
	char spec[300];
	int c;
	opt_init(&st);
	while ((c = opt_next(&st, argc, argv, tab)) != 0) {
		if (c < 0) {
			msg("%s: %s", st.bad, c == -EINVAL ? "needs a value"
					      : "unknown option");
			return usage(EXIT_USAGE);
		}
		switch (c) {
		case 'o':
			g.fmt = -1;
			for (int i = 0; i < 4; i++)
				if (!strcmp(st.arg, fmts[i]))
					g.fmt = i;
			if (g.fmt < 0)
				die(EXIT_USAGE, "unsupported output format %s", st.arg);
			break;
		case 's':
			if (g.nshow == (int)ARRAY_SIZE(g.show))
				die(EXIT_USAGE, "too many -s tags");
			g.show[g.nshow++] = st.arg;
			break;
		case 't': {
			static char tok[300];
			snprintf(tok, sizeof(tok), "%s", st.arg);
			char *eq = strchr(tok, '=');
			if (!eq)
				die(EXIT_USAGE, "-t %s: expected NAME=value", st.arg);
			*eq = 0;
			g.tname = tok;
			g.tval = eq + 1;
			/* blkid accepts NAME="value" */
			size_t l = strlen(g.tval);
			if (l >= 2 && g.tval[0] == '"' && g.tval[l - 1] == '"') {
				eq[l] = 0;
				g.tval++;
			}
			break;
		}
		case 'L':
		case 'U':
			snprintf(spec, sizeof(spec), "%s=%s", c == 'L' ? "LABEL" : "UUID",
				 st.arg);
			find = spec;
			break;
		case 'O':
		case 'S':
			if (parse_size(st.arg, c == 'O' ? &g.off : &g.size))
				die(EXIT_USAGE, "invalid %s: %s",
				    c == 'O' ? "offset" : "size", st.arg);
			break;
		case 'l':
			g.lookup = 1;
			break;
		case 'd':
			g.raw = 1;
			break;
		case 'h':
			return usage(EXIT_OK);
		case 'V':
			out("blkid from loopbox " LOOPBOX_VERSION "\n");
			return out_flush() ? EXIT_FAIL : EXIT_OK;
		}
	}
	if (find) {
		char dev[300];
		int r = probe_find_dev(find, dev, sizeof(dev));
		if (r == -EINVAL)
			die(EXIT_USAGE, "%s: bad tag", find);
		if (r < 0)
			return 2;
		out("%s\n", dev);
		return out_flush() ? EXIT_FAIL : EXIT_OK;
	}
	int any = 0;
	for (int i = 0; i < st.nopnd && !(g.lookup && any); i++)
		any |= do_dev(argv[i], 0);
	if (!st.nopnd)
		probe_each_dev(scan_one, &any);
	if (out_flush())
		return EXIT_FAIL;
	return any ? EXIT_OK : 2;
}
