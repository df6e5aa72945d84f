/* losetup: set up and control loop devices, command-line compatible with
 * util-linux 2.38 (its -a, -j, --show, -l, --raw and -J output byte for
 * byte), plus loopbox's own: --partition, --ref, synchronous detach with
 * --timeout/--lazy/--remove, --flush.
 *
 * usage: losetup [options] [LOOPDEV]
 *        losetup [options] -f | LOOPDEV FILE
 *        losetup -d LOOPDEV... | -D | -c LOOPDEV | --flush LOOPDEV... */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mini.h"
#include "applets.h"

enum { O_SHOW = AO_NEXT, O_RAW, O_OUTPUT_ALL, O_LAZY, O_REMOVE, O_FLUSH };

static const struct opt opts[] = {
	{"all", 'a', OPT_NONE},
	{"associated", 'j', OPT_REQ},
	{"sector-size", 'b', OPT_REQ},
	{"set-capacity", 'c', OPT_NONE},
	{"detach", 'd', OPT_NONE},
	{"detach-all", 'D', OPT_NONE},
	{"direct-io", AO_DIO, OPT_OPTIONAL},
	{"find", 'f', OPT_NONE},
	{"flush", O_FLUSH, OPT_NONE},
	{"help", 'h', OPT_NONE},
	{"json", 'J', OPT_NONE},
	{"lazy", O_LAZY, OPT_NONE},
	{"list", 'l', OPT_NONE},
	{"nooverlap", 'L', OPT_NONE},
	{"noheadings", 'n', OPT_NONE},
	{"offset", 'o', OPT_REQ},
	{"output", 'O', OPT_REQ},
	{"output-all", O_OUTPUT_ALL, OPT_NONE},
	{"partition", AO_PARTITION, OPT_REQ},
	{"partscan", 'P', OPT_NONE},
	{"raw", O_RAW, OPT_NONE},
	{"read-only", 'r', OPT_NONE},
	{"ref", AO_REF, OPT_REQ},
	{"remove", O_REMOVE, OPT_NONE},
	{"show", O_SHOW, OPT_NONE},
	{"sizelimit", AO_SIZELIMIT, OPT_REQ},
	{"timeout", AO_TIMEOUT, OPT_REQ},
	{"verbose", 'v', OPT_NONE},
	{"version", 'V', OPT_NONE},
	{NULL, 0, 0},
};

static const char usage_text[] =
	"Usage: losetup [options] [LOOPDEV]\n"
	"       losetup [options] -f|LOOPDEV FILE\n"
	" -a --all  list used devices\n"
	" -d --detach LOOPDEV..  flush, unbind, wait until free\n"
	" -D --detach-all  detach all (or all --ref TAG)\n"
	" -f --find  first free device\n"
	" -c --set-capacity LOOPDEV  resize\n"
	" -j --associated FILE  list devices of FILE\n"
	" -L --nooverlap  reuse an identical mapping, refuse overlaps\n"
	" -o --offset B  start at byte B\n"
	"    --sizelimit B  use at most B bytes\n"
	" -b --sector-size N|auto  sector size\n"
	" -P --partscan  scan partitions\n"
	" -r --read-only  read-only\n"
	"    --direct-io[=on|off|auto]  O_DIRECT (auto)\n"
	"    --partition N|PARTUUID=..|PARTLABEL=..  one partition\n"
	"    --ref TAG  tag (lo_file_name)\n"
	"    --show  print the device (-f)\n"
	" -v --verbose  say more\n"
	"    --timeout S  -d waits S seconds (5)\n"
	"    --lazy  -d: set autoclear, do not wait\n"
	"    --remove  -d: delete the node too\n"
	"    --flush LOOPDEV..  show the file's content\n"
	" -l --list  list all or LOOPDEV\n"
	" -J --json  JSON list\n"
	"    --raw  raw list\n"
	" -n --noheadings  no headings\n"
	" -O --output COL,..  columns (+COL: add)\n"
	"    --output-all  all columns\n"
	" -h --help\n"
	" -V --version\n"
	"Columns:\n"
	" NAME  device\n"
	" AUTOCLEAR  autoclear flag\n"
	" BACK-FILE  backing file\n"
	" BACK-INO  backing file inode\n"
	" BACK-MAJ:MIN  backing file st_dev\n"
	" MAJ:MIN  device number\n"
	" OFFSET  offset into the file\n"
	" PARTSCAN  partscan flag\n"
	" RO  read-only flag\n"
	" SIZELIMIT  size limit in bytes\n"
	" DIO  direct IO flag\n"
	" LOG-SEC  sector size\n"
	" REF  tag";

/* ---- columns ----------------------------------------------------------- */

/* util-linux's names and order; -J uses the names in lower case. */
enum {
	C_NAME, C_AUTOCLEAR, C_BACK_FILE, C_BACK_INO, C_BACK_MAJMIN, C_MAJMIN,
	C_OFFSET, C_PARTSCAN, C_RO, C_SIZELIMIT, C_DIO, C_LOGSEC, C_REF, NCOLS
};
static const char col_name[NCOLS][13] = {
	"NAME", "AUTOCLEAR", "BACK-FILE", "BACK-INO", "BACK-MAJ:MIN", "MAJ:MIN",
	"OFFSET", "PARTSCAN", "RO", "SIZELIMIT", "DIO", "LOG-SEC", "REF",
};
/* Text columns are left-aligned and quoted in JSON; the others are
 * numbers, right-aligned, flags among them true/false in JSON. */
#define IS(set, c) ((set) >> (c) & 1)
enum {
	TEXT_COLS = 1 << C_NAME | 1 << C_BACK_FILE | 1 << C_BACK_MAJMIN |
		    1 << C_MAJMIN | 1 << C_REF,
	FLAG_COLS = 1 << C_AUTOCLEAR | 1 << C_PARTSCAN | 1 << C_RO | 1 << C_DIO,
};
static const unsigned char default_cols[] = {
	C_NAME, C_SIZELIMIT, C_OFFSET, C_AUTOCLEAR, C_RO, C_BACK_FILE, C_DIO, C_LOGSEC,
};

enum { FMT_TABLE, FMT_RAW, FMT_JSON };
struct out_opts {
	int fmt, noheadings, ncols;
	unsigned char col[NCOLS * 2];
};

/* Cell text, in buf or in st; the formats below escape it. */
static const char *cell(const struct loop_state *st, int c, char *buf, size_t size)
{
	static const unsigned char flag[NCOLS] = {
		[C_AUTOCLEAR] = LO_FLAGS_AUTOCLEAR, [C_PARTSCAN] = LO_FLAGS_PARTSCAN,
		[C_RO] = LO_FLAGS_READ_ONLY, [C_DIO] = LO_FLAGS_DIRECT_IO,
	};
	uint64_t v = !!(st->flags & flag[c]);
	switch (c) {
	case C_NAME:
		loop_path(st->nr, buf, size);
		return buf;
	case C_BACK_FILE:
		return st->back_file;
	case C_REF:
		return st->name;
	/* util-linux pads these inside the value ("%8u:%-3u", "%3u:%-3u"),
	 * and the padding shows in --raw and -J as well. */
	case C_BACK_MAJMIN:
	case C_MAJMIN:
		v = c == C_MAJMIN ? st->dev : st->back_dev;
		snprintf(buf, size, "%*u:%-3u", c == C_MAJMIN ? 3 : 8, major(v), minor(v));
		return buf;
	case C_BACK_INO: v = st->back_ino; break;
	case C_OFFSET: v = st->offset; break;
	case C_SIZELIMIT: v = st->sizelimit; break;
	case C_LOGSEC: v = st->block_size; break;
	}
	snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

static int utf8_locale(void)
{
	const char *v = getenv("LC_ALL");
	if (!v || !*v)
		v = getenv("LC_CTYPE");
	if (!v || !*v)
		v = getenv("LANG");
	return v && (strcasestr(v, "utf-8") || strcasestr(v, "utf8"));
}

/* Length of a valid UTF-8 sequence at s, or 0. */
static int utf8_len(const unsigned char *s)
{
	int n = s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	for (int i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Escapes as libsmartcols does for util-linux: the table escapes control
 * bytes (and, outside a UTF-8 locale, every non-ASCII byte); --raw also
 * escapes space and backslash, and non-ASCII always. Returns the display
 * width. */
static int escape(const char *in, char *outb, size_t size, int fmt, int utf8)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;
	int width = 0;
	while (*s && o + 5 < size) {
		int n = fmt == FMT_TABLE && utf8 ? utf8_len(s) : 0;
		if (n) {
			memcpy(outb + o, s, n);
			o += n;
			s += n;
			width++;
			continue;
		}
		int esc = *s < 0x20 || *s >= 0x7f ||
			  (fmt == FMT_RAW && (*s == ' ' || *s == '\\'));
		if (esc) {
			o += snprintf(outb + o, size - o, "\\x%02x", *s);
			width += 4;
		} else {
			outb[o++] = (char)*s;
			width++;
		}
		s++;
	}
	outb[o] = 0;
	return width;
}

static void json_str(const char *s)
{
	/* Each byte JSON escapes by a letter, followed by that letter. */
	static const char named[] = "\"\"\\\\\nn\tt\rr\bb\ff";
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *e = named;
		while (*e && *e != c)
			e += 2;
		if (*e)
			out("\\%c", e[1]);
		else if (c < 0x20)
			out("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_json(const struct out_opts *o, const struct loop_state *sts, int n)
{
	char buf[64];
	out("{\n   \"loopdevices\": [\n");
	for (int i = 0; i < n; i++) {
		out(i ? "{\n" : "      {\n");
		for (int j = 0; j < o->ncols; j++) {
			int c = o->col[j];
			const char *t = cell(&sts[i], c, buf, sizeof(buf));
			out("         \"");
			/* Lower case: the names are A-Z, '-' and ':' only. */
			for (const char *p = col_name[c]; *p; p++)
				putchar(*p | 0x20);
			out("\": ");
			if (IS(TEXT_COLS, c))
				json_str(t);
			else if (IS(FLAG_COLS, c))
				out(*t == '1' ? "true" : "false");
			else
				out("%s", t);
			out(j + 1 < o->ncols ? ",\n" : "\n");
		}
		out(i + 1 < n ? "      }," : "      }\n");
	}
	out(n ? "   ]\n}\n" : "\n   ]\n}\n");
}

/* The table: columns as wide as their widest cell (and header, even with
 * -n, as in libsmartcols), cells separated by one space, the last column
 * never padded. The first pass measures, the second prints. */
static void print_table(const struct out_opts *o, const struct loop_state *sts, int n)
{
	int utf8 = utf8_locale();
	int width[NCOLS * 2] = {0};
	char buf[64], esc[4096 * 4 + 8];
	if (!n)
		return;
	for (int pass = o->fmt != FMT_TABLE; pass < 2; pass++) {
		for (int i = pass && o->noheadings ? 0 : -1; i < n; i++) {
			for (int j = 0; j < o->ncols; j++) {
				int c = o->col[j], last = j + 1 == o->ncols;
				const char *t = i < 0 ? col_name[c]
					: cell(&sts[i], c, buf, sizeof(buf));
				int w = escape(t, esc, sizeof(esc), o->fmt, utf8);
				if (!pass) {
					if (w > width[j])
						width[j] = w;
					continue;
				}
				/* --raw: no widths measured, no padding. */
				int pad = width[j] > w ? width[j] - w : 0;
				if (IS(TEXT_COLS, c))
					out("%s%*s%c", esc, last ? 0 : pad, "", last ? '\n' : ' ');
				else
					out("%*s%s%c", pad, "", esc, last ? '\n' : ' ');
			}
		}
	}
}

/* util-linux's -a / -j / "losetup DEV" line. */
static void print_info(const struct loop_state *st)
{
	char name[32];
	loop_path(st->nr, name, sizeof(name));
	out("%s: [%04llu]:%llu (%s)", name, (unsigned long long)st->back_dev,
	    (unsigned long long)st->back_ino, st->back_file);
	if (st->offset)
		out(", offset %llu", (unsigned long long)st->offset);
	if (st->sizelimit)
		out(", sizelimit %llu", (unsigned long long)st->sizelimit);
	out("\n");
}

static int parse_cols(struct out_opts *o, const char *list)
{
	const char *p = list;
	if (*p == '+') {
		p++;
		if (!o->ncols) {
			memcpy(o->col, default_cols, sizeof(default_cols));
			o->ncols = sizeof(default_cols);
		}
	} else {
		o->ncols = 0;
	}
	while (*p) {
		size_t len = strcspn(p, ",");
		int c;
		for (c = 0; c < NCOLS; c++)
			if (strlen(col_name[c]) == len && !strncasecmp(col_name[c], p, len))
				break;
		if (c == NCOLS) {
			msg("unknown column: %.*s", (int)len, p);
			return -EINVAL;
		}
		if (o->ncols >= (int)sizeof(o->col)) {
			msg("too many columns: %s", list);
			return -E2BIG;
		}
		o->col[o->ncols++] = (unsigned char)c;
		p += len + (p[len] == ',');
	}
	return 0;
}

/* ---- listing ----------------------------------------------------------- */

#define MAXDEV 1024

/* Bound devices in /sys/block's order (the order util-linux prints),
 * filtered by backing file identity, offset and tag. */
struct filter {
	const struct stat *file;
	int has_offset;
	uint64_t offset;
	const char *ref;
};

static int collect(const struct filter *f, struct loop_state *sts, int max)
{
	int sysfd = sysfs_open();
	if (sysfd < 0)
		return sysfd;
	int nrs[MAXDEV];
	int n = loop_list_bound(sysfd, nrs, MAXDEV), k = 0;
	if (n > MAXDEV)
		n = MAXDEV;
	for (int i = 0; i < n && k < max; i++) {
		if (loop_state_get(sysfd, nrs[i], -1, &sts[k]) < 0)
			continue;
		if (f && f->file) {
			const struct stat *s = f->file;
			int same = S_ISBLK(s->st_mode) ? sts[k].back_rdev == s->st_rdev
				   : sts[k].back_dev == s->st_dev && sts[k].back_ino == s->st_ino;
			if (!same)
				continue;
		}
		if (f && f->has_offset && sts[k].offset != f->offset)
			continue;
		if (f && f->ref && strcmp(sts[k].name, f->ref))
			continue;
		k++;
	}
	close(sysfd);
	return k;
}

/* ---- actions ----------------------------------------------------------- */

struct args {
	int mode;             /* 'a','d','D','c','j','f',O_FLUSH,'l', 0 */
	int list, show, verbose;
	struct out_opts out;
	struct attach_req req;
	struct detach_req det;
	const char *assoc;
	int has_offset;
};

static int do_attach(struct args *a, const char *f)
{
	struct attach_res res;
	a->req.file = f;
	if (attach_reported(&a->req, &res, a->verbose ? ~0u
				: ~(unsigned)AW_DIO_FALLBACK) < 0)
		return EXIT_FAIL;
	if (a->show) {
		char name[32];
		loop_path(res.nr, name, sizeof(name));
		out("%s\n", name);
	}
	return EXIT_OK;
}

/* A loop device named on the command line, or -1 after saying why not. */
static int dev_arg(const char *s)
{
	int nr = loop_parse_name(s);
	if (nr == -EINVAL || nr == -ENOTBLK || nr == -ENODEV) {
		msg("%s: not a loop device", s);
		return -1;
	}
	if (nr < 0) {
		msg_errno(nr, "%s", s);
		return -1;
	}
	char path[48];
	snprintf(path, sizeof(path), "/sys/block/loop%d", nr);
	if (access(path, F_OK) < 0) {
		msg("%s: no such loop device", s);
		return -1;
	}
	return nr;
}

static int detach_one(struct args *a, int nr, const char *name)
{
	struct detach_res res;
	a->det.nr = nr;
	int r = loop_detach(&a->det, &res);
	if (r == -ENXIO && a->det.remove) {
		/* --remove of a device that is already free: just delete it
		 * (the nodes a test or a burst of -f left behind). */
		int ctl = loop_ctl_open();
		r = ctl < 0 ? ctl : loop_ioctl(ctl, LOOP_CTL_REMOVE, "LOOP_CTL_REMOVE",
					       (void *)(uintptr_t)nr);
		if (ctl >= 0)
			close(ctl);
		if (r >= 0)
			return 0;
		memset(&res, 0, sizeof(res));
		res.failed_step = "LOOP_CTL_REMOVE";
	}
	if (r == 0) {
		if (res.lazy_done)
			msg("%s: autoclear set; the device is freed when its last "
			    "user closes it (--lazy)", name);
		return 0;
	}
	if (res.why[0])
		msg("%s: %s", name, res.why);
	else if (r == -EBUSY && res.mountpoint[0])
		msg("%s is mounted on %s: unmount it first", name, res.mountpoint);
	else if (r == -EBUSY && res.dm_holder[0])
		msg("%s is in use by %s: remove that device first", name,
		    res.dm_holder);
	else if (r == -EBUSY && res.nholders) {
		char list[512];
		pids_words(res.nholders, res.holder_pid, res.holder_comm,
			   DETACH_MAX_HOLDERS, list, sizeof(list));
		msg("%s: still open in process %s: autoclear is set, it is freed "
		    "when they close it; data written so far is flushed",
		    name, list);
	} else if (r == -ENXIO)
		msg("%s: not bound to a file", name);
	else if (res.failed_step)
		msg_errno(r, "%s: %s", name, res.failed_step);
	else
		msg_errno(r, "%s", name);
	return -1;
}

static int do_detach(struct args *a, int argc, char **argv)
{
	int rc = EXIT_OK;
	for (int i = 0; i < argc; i++) {
		int nr = dev_arg(argv[i]);
		if (nr < 0 || detach_one(a, nr, argv[i]) < 0)
			rc = EXIT_FAIL;
	}
	return rc;
}

/* One list for -D and the listings (4 KiB an entry: static, and only the
 * entries used are ever touched). */
static struct loop_state sts[MAXDEV];

static int do_detach_all(struct args *a)
{
	struct filter f = {.ref = a->req.ref};
	int n = collect(&f, sts, MAXDEV), rc = EXIT_OK;
	if (n < 0) {
		msg_errno(n, "/sys");
		return EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		char name[32];
		loop_path(sts[i].nr, name, sizeof(name));
		if (detach_one(a, sts[i].nr, name) < 0)
			rc = EXIT_FAIL;
	}
	return rc;
}

static int do_flush(int argc, char **argv)
{
	int rc = EXIT_OK;
	for (int i = 0; i < argc; i++) {
		struct detach_res res;
		int nr = dev_arg(argv[i]), r = nr < 0 ? nr : loop_flush(nr, &res);
		if (nr < 0) {
			rc = EXIT_FAIL;
		} else if (r < 0) {
			if (res.why[0])
				msg("%s: %s", argv[i], res.why);
			else if (res.mountpoint[0])
				msg("%s is mounted on %s: a mounted filesystem keeps its "
				    "own state; unmount it first", argv[i], res.mountpoint);
			else
				msg_errno(r, "%s: flush", argv[i]);
			rc = EXIT_FAIL;
		}
	}
	return rc;
}

static int do_capacity(const char *dev)
{
	int nr = dev_arg(dev);
	if (nr < 0)
		return EXIT_FAIL;
	int fd = loop_open(nr, O_RDONLY);
	int r = fd < 0 ? fd : loop_ioctl(fd, LOOP_SET_CAPACITY, "LOOP_SET_CAPACITY", NULL);
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		msg_errno(r, "%s: LOOP_SET_CAPACITY", dev);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int do_find(void)
{
	int ctl = loop_ctl_open();
	int nr = ctl < 0 ? ctl : loop_get_free(ctl);
	if (ctl >= 0)
		close(ctl);
	if (nr < 0) {
		msg_errno(nr, "cannot find an unused loop device");
		return EXIT_FAIL;
	}
	char name[32];
	loop_path(nr, name, sizeof(name));
	out("%s\n", name);
	return EXIT_OK;
}

static int do_list(struct args *a, int argc, char **argv)
{
	struct stat st;
	struct filter f = {.has_offset = a->has_offset, .offset = a->req.offset,
			   .ref = a->req.ref};
	int n = 0;
	if (a->assoc) {
		/* util-linux: a missing file is simply associated with nothing. */
		if (stat(a->assoc, &st) < 0)
			return EXIT_OK;
		f.file = &st;
	}
	if (argc) {
		for (int i = 0; i < argc && n < MAXDEV; i++) {
			int nr = dev_arg(argv[i]);
			if (nr < 0)
				return EXIT_FAIL;
			int sysfd = sysfs_open();
			int r = loop_state_get(sysfd, nr, -1, &sts[n]);
			close(sysfd);
			if (r < 0) {
				msg_errno(r, "%s", argv[i]);
				return EXIT_FAIL;
			}
			n++;
		}
	} else {
		n = collect(&f, sts, MAXDEV);
		if (n < 0) {
			msg_errno(n, "/sys");
			return EXIT_FAIL;
		}
	}
	if (!a->list) {
		for (int i = 0; i < n; i++)
			print_info(&sts[i]);
	} else if (a->out.fmt == FMT_JSON) {
		print_json(&a->out, sts, n);
	} else {
		print_table(&a->out, sts, n);
	}
	return EXIT_OK;
}

static void parse_args(struct args *a, int *argc, char **argv)
{
	struct optstate st;
	struct optfail f;
	int c;
	uint64_t v;
	opt_init(&st);
	while ((c = attach_opt_next(&st, *argc, argv, opts, &a->req, &f)) > 0) {
		switch (c) {
		case 'a': case 'c': case 'd': case 'D': case O_FLUSH:
			if (a->mode && a->mode != c)
				die(EXIT_USAGE, "only one of -a, -c, -d, -D, -f, -j, "
				    "--flush at a time");
			a->mode = c;
			break;
		case 'f':
			a->mode = a->mode ? a->mode : 'f';
			break;
		case 'j':
			a->mode = 'j';
			a->assoc = st.arg;
			break;
		case 'o':
			/* -j FILE -o 0 filters on offset 0. */
			a->has_offset = 1;
			if (attach_opt(&a->req, AO_OFFSET, st.arg, &f) < 0)
				die(EXIT_USAGE, "%s%s%s", f.pre, f.word, f.post);
			break;
		case 'b':
			if (!strcmp(st.arg, "auto"))
				v = 0;
			else if (parse_size(st.arg, &v) < 0 || v < 512 || v > 65536 ||
				 (v & (v - 1)))
				die(EXIT_USAGE, "invalid sector size '%s': a power of "
				    "two from 512 to 65536, or auto", st.arg);
			a->req.block_size = (uint32_t)v;
			break;
		case 'P': a->req.partscan = 1; break;
		case 'L': a->req.nooverlap = 1; break;
		case O_SHOW: a->show = 1; break;
		case 'v': a->verbose = 1; break;
		case AO_TIMEOUT:
			if (parse_msec(st.arg, &a->det.timeout_ms) < 0)
				die(EXIT_USAGE, "invalid timeout '%s' (seconds, e.g. 5 "
				    "or 0.5)", st.arg);
			break;
		case O_LAZY: a->det.lazy = 1; break;
		case O_REMOVE: a->det.remove = 1; break;
		case 'l': a->list = 1; break;
		case 'n': a->out.noheadings = 1; break;
		/* As in util-linux, only -l and -O (or no arguments) select
		 * the list; --raw, -J and --output-all only shape it. */
		case O_RAW: a->out.fmt = FMT_RAW; break;
		case 'J': a->out.fmt = FMT_JSON; break;
		case 'O':
			a->list = 1;
			if (parse_cols(&a->out, st.arg) < 0)
				exit(EXIT_USAGE);
			break;
		case O_OUTPUT_ALL:
			a->out.ncols = 0;
			for (int i = 0; i < C_REF; i++)
				a->out.col[a->out.ncols++] = (unsigned char)i;
			break;
		case 'h':
			usage_exit(usage_text, 1);
		case 'V':
			usage_exit("losetup from loopbox " LOOPBOX_VERSION
				   " (util-linux 2.38 compatible)", 1);
		}
	}
	if (c < 0)
		die(EXIT_USAGE, "%s%s%s", f.pre, f.word, f.post);
	*argc = st.nopnd;
}

int losetup_main(int argc, char **argv)
{
	struct args a;
	memset(&a, 0, sizeof(a));
	a.req.nr = -1;
	a.req.dio = DIO_AUTO;
	a.det.timeout_ms = 5000;
	parse_args(&a, &argc, argv);
	int rc;
	if (!a.out.ncols) {
		memcpy(a.out.col, default_cols, sizeof(default_cols));
		a.out.ncols = sizeof(default_cols);
	}

	switch (a.mode) {
	case 'd':
		if (!argc)
			die(EXIT_USAGE, "-d needs a loop device");
		rc = do_detach(&a, argc, argv);
		break;
	case 'D':
		if (argc)
			die(EXIT_USAGE, "-D takes no device (use -d)");
		rc = do_detach_all(&a);
		break;
	case O_FLUSH:
		if (!argc)
			die(EXIT_USAGE, "--flush needs a loop device");
		rc = do_flush(argc, argv);
		break;
	case 'c':
		if (argc != 1)
			die(EXIT_USAGE, "-c needs exactly one loop device");
		rc = do_capacity(argv[0]);
		break;
	case 'a':
	case 'j':
		if (argc)
			die(EXIT_USAGE, "too many arguments");
		rc = do_list(&a, 0, argv);
		break;
	case 'f':
		if (argc > 1)
			die(EXIT_USAGE, "too many arguments");
		if (!argc && a.show)
			die(EXIT_USAGE, "--show needs a file to attach");
		rc = argc ? do_attach(&a, argv[0]) : do_find();
		break;
	default:
		if (argc > 2)
			die(EXIT_USAGE, "too many arguments");
		if (argc == 2) {
			if ((a.req.nr = dev_arg(argv[0])) < 0)
				return EXIT_FAIL;
			rc = do_attach(&a, argv[1]);
		} else {
			/* No arguments: the list. One device: its line. */
			a.list |= !argc;
			rc = do_list(&a, argc, argv);
		}
	}
	if (out_flush() < 0 && rc == EXIT_OK) {
		msg_errno(errno, "write error");
		rc = EXIT_FAIL;
	}
	return rc;
}
