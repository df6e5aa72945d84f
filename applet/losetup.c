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

enum {
	O_SHOW = 256, O_SIZELIMIT, O_DIO, O_RAW, O_OUTPUT_ALL, O_PARTITION,
	O_REF, O_TIMEOUT, O_LAZY, O_REMOVE, O_FLUSH,
};

static const struct opt opts[] = {
	{"all", 'a', OPT_NONE},
	{"associated", 'j', OPT_REQ},
	{"sector-size", 'b', OPT_REQ},
	{"set-capacity", 'c', OPT_NONE},
	{"detach", 'd', OPT_NONE},
	{"detach-all", 'D', OPT_NONE},
	{"direct-io", O_DIO, OPT_OPTIONAL},
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
	{"partition", O_PARTITION, OPT_REQ},
	{"partscan", 'P', OPT_NONE},
	{"raw", O_RAW, OPT_NONE},
	{"read-only", 'r', OPT_NONE},
	{"ref", O_REF, OPT_REQ},
	{"remove", O_REMOVE, OPT_NONE},
	{"show", O_SHOW, OPT_NONE},
	{"sizelimit", O_SIZELIMIT, OPT_REQ},
	{"timeout", O_TIMEOUT, OPT_REQ},
	{"verbose", 'v', OPT_NONE},
	{"version", 'V', OPT_NONE},
	{NULL, 0, 0},
};

static const char usage_text[] =
	"Usage:\n"
	" losetup [options] [<loopdev>]\n"
	" losetup [options] -f | <loopdev> <file>\n"
	"\n"
	"Set up and control loop devices.\n"
	"\n"
	" -a, --all                     list all used devices\n"
	" -d, --detach <loopdev>...     detach: flush, unbind, wait until free\n"
	" -D, --detach-all              detach all used devices (or all --ref TAG)\n"
	" -f, --find                    find first unused device\n"
	" -c, --set-capacity <loopdev>  resize the device\n"
	" -j, --associated <file>       list all devices associated with <file>\n"
	" -L, --nooverlap               avoid possible conflict between devices\n"
	"\n"
	" -o, --offset <num>            start at offset <num> into file\n"
	"     --sizelimit <num>         device is limited to <num> bytes of the file\n"
	" -b, --sector-size <num>|auto  set the logical sector size of the device\n"
	" -P, --partscan                create a partitioned loop device\n"
	" -r, --read-only               set up a read-only loop device\n"
	"     --direct-io[=<on|off|auto>] open backing file with O_DIRECT (auto)\n"
	"     --partition <N|PARTUUID=|PARTLABEL=>  attach one partition of the image\n"
	"     --ref <tag>               tag the device (stored in lo_file_name)\n"
	"     --show                    print device name after setup (with -f)\n"
	" -v, --verbose                 verbose mode\n"
	"\n"
	"     --timeout <sec>           how long -d waits for the device to free (5)\n"
	"     --lazy                    -d: set autoclear and return, as other losetups do\n"
	"     --remove                  -d: also delete the device node\n"
	"     --flush                   make devices show their backing file's content\n"
	"\n"
	" -J, --json                    use JSON --list output format\n"
	" -l, --list                    list info about all or specified (default)\n"
	" -n, --noheadings              don't print headings for --list output\n"
	" -O, --output <cols>           specify columns to output for --list\n"
	"     --output-all              output all columns\n"
	"     --raw                     use raw --list output format\n"
	"\n"
	" -h, --help                    display this help\n"
	" -V, --version                 display version\n"
	"\n"
	"Available output columns:\n"
	"         NAME  loop device name\n"
	"    AUTOCLEAR  autoclear flag set\n"
	"    BACK-FILE  device backing file\n"
	"     BACK-INO  backing file inode number\n"
	" BACK-MAJ:MIN  backing file major:minor device number\n"
	"      MAJ:MIN  loop device major:minor number\n"
	"       OFFSET  offset from the beginning\n"
	"     PARTSCAN  partscan flag set\n"
	"           RO  read-only device\n"
	"    SIZELIMIT  size limit of the file in bytes\n"
	"          DIO  access backing file with direct-io\n"
	"      LOG-SEC  logical sector size in bytes\n"
	"          REF  loop device tag (lo_file_name)\n";

/* ---- columns ----------------------------------------------------------- */

enum { K_STR, K_NUM, K_BOOL };
enum {
	C_NAME, C_AUTOCLEAR, C_BACK_FILE, C_BACK_INO, C_BACK_MAJMIN, C_MAJMIN,
	C_OFFSET, C_PARTSCAN, C_RO, C_SIZELIMIT, C_DIO, C_LOGSEC, C_REF, NCOLS
};
static const struct col {
	const char *name, *json;
	unsigned char right, kind;
} cols[NCOLS] = {
	[C_NAME] = {"NAME", "name", 0, K_STR},
	[C_AUTOCLEAR] = {"AUTOCLEAR", "autoclear", 1, K_BOOL},
	[C_BACK_FILE] = {"BACK-FILE", "back-file", 0, K_STR},
	[C_BACK_INO] = {"BACK-INO", "back-ino", 1, K_NUM},
	[C_BACK_MAJMIN] = {"BACK-MAJ:MIN", "back-maj:min", 0, K_STR},
	[C_MAJMIN] = {"MAJ:MIN", "maj:min", 0, K_STR},
	[C_OFFSET] = {"OFFSET", "offset", 1, K_NUM},
	[C_PARTSCAN] = {"PARTSCAN", "partscan", 1, K_BOOL},
	[C_RO] = {"RO", "ro", 1, K_BOOL},
	[C_SIZELIMIT] = {"SIZELIMIT", "sizelimit", 1, K_NUM},
	[C_DIO] = {"DIO", "dio", 1, K_BOOL},
	[C_LOGSEC] = {"LOG-SEC", "log-sec", 1, K_NUM},
	[C_REF] = {"REF", "ref", 0, K_STR},
};
static const unsigned char default_cols[] = {
	C_NAME, C_SIZELIMIT, C_OFFSET, C_AUTOCLEAR, C_RO, C_BACK_FILE, C_DIO, C_LOGSEC,
};

enum { FMT_TABLE, FMT_RAW, FMT_JSON };
struct out_opts {
	int fmt, noheadings, ncols;
	unsigned char col[NCOLS * 2];
};

/* Cell text: the formats below escape it. */
static void cell(const struct loop_state *st, int c, char *buf, size_t size)
{
	uint64_t v = 0;
	switch (c) {
	case C_NAME:
		loop_path(st->nr, buf, size);
		return;
	case C_BACK_FILE:
		snprintf(buf, size, "%s", st->back_file);
		return;
	case C_REF:
		snprintf(buf, size, "%s", st->name);
		return;
	/* util-linux pads these inside the value ("%8u:%-3u", "%3u:%-3u"),
	 * and the padding shows in --raw and -J as well. */
	case C_BACK_MAJMIN:
		snprintf(buf, size, "%8u:%-3u", major(st->back_dev), minor(st->back_dev));
		return;
	case C_MAJMIN:
		snprintf(buf, size, "%3u:%-3u", major(st->dev), minor(st->dev));
		return;
	case C_AUTOCLEAR: v = !!(st->flags & LO_FLAGS_AUTOCLEAR); break;
	case C_PARTSCAN: v = !!(st->flags & LO_FLAGS_PARTSCAN); break;
	case C_RO: v = !!(st->flags & LO_FLAGS_READ_ONLY); break;
	case C_DIO: v = !!(st->flags & LO_FLAGS_DIRECT_IO); break;
	case C_BACK_INO: v = st->back_ino; break;
	case C_OFFSET: v = st->offset; break;
	case C_SIZELIMIT: v = st->sizelimit; break;
	case C_LOGSEC: v = st->block_size; break;
	}
	snprintf(buf, size, "%llu", (unsigned long long)v);
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
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *e = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
			      : c == '\t' ? "\\t" : c == '\r' ? "\\r" : c == '\b' ? "\\b"
			      : c == '\f' ? "\\f" : NULL;
		if (e)
			fputs(e, stdout);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_json(const struct out_opts *o, const struct loop_state *sts, int n)
{
	char buf[8192];
	out("{\n   \"loopdevices\": [\n");
	for (int i = 0; i < n; i++) {
		out(i ? "{\n" : "      {\n");
		for (int j = 0; j < o->ncols; j++) {
			int c = o->col[j];
			cell(&sts[i], c, buf, sizeof(buf));
			out("         \"%s\": ", cols[c].json);
			if (cols[c].kind == K_STR)
				json_str(buf);
			else if (cols[c].kind == K_BOOL)
				out("%s", buf[0] == '1' ? "true" : "false");
			else
				out("%s", buf);
			out("%s\n", j + 1 < o->ncols ? "," : "");
		}
		out("      }%s", i + 1 < n ? "," : "\n");
	}
	if (!n)
		out("\n");
	out("   ]\n}\n");
}

/* The table: columns as wide as their widest cell, cells separated by one
 * space, the last column never padded. */
static void print_table(const struct out_opts *o, const struct loop_state *sts, int n)
{
	int utf8 = utf8_locale();
	int width[NCOLS * 2] = {0};
	char buf[4096], esc[4096 * 4 + 8];
	if (!n)
		return;
	for (int j = 0; j < o->ncols; j++) {
		/* The header counts even with -n, as in libsmartcols. */
		width[j] = (int)strlen(cols[o->col[j]].name);
		for (int i = 0; o->fmt == FMT_TABLE && i < n; i++) {
			cell(&sts[i], o->col[j], buf, sizeof(buf));
			int w = escape(buf, esc, sizeof(esc), o->fmt, utf8);
			if (w > width[j])
				width[j] = w;
		}
	}
	for (int i = o->noheadings ? 0 : -1; i < n; i++) {
		for (int j = 0; j < o->ncols; j++) {
			int c = o->col[j], last = j + 1 == o->ncols, w;
			if (i < 0) {
				snprintf(esc, sizeof(esc), "%s", cols[c].name);
				w = (int)strlen(esc);
			} else {
				cell(&sts[i], c, buf, sizeof(buf));
				w = escape(buf, esc, sizeof(esc), o->fmt, utf8);
			}
			int pad = o->fmt == FMT_TABLE ? width[j] - w : 0;
			if (cols[c].right)
				out("%*s%s", pad, "", esc);
			else
				out("%s%*s", esc, last ? 0 : pad, "");
			out("%s", last ? "\n" : " ");
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
			if (strlen(cols[c].name) == len && !strncasecmp(cols[c].name, p, len))
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
	int sector_auto;
	const char *assoc;
	int has_offset;
};

static int report_attach_error(const char *file, int r, const struct attach_res *res)
{
	if (res->why[0])
		msg("%s: %s", file, res->why);
	else if (res->failed_step)
		msg_errno(r, "%s: %s", file, res->failed_step);
	else
		msg_errno(r, "%s", file);
	return EXIT_FAIL;
}

static void report_attach_warnings(const struct args *a, const struct attach_res *res)
{
	const char *f = a->req.file;
	if (res->warn & AW_RO_FALLBACK)
		msg_warn("%s: attached read-only: opening it read-write failed: %s", f,
			 strerror(res->ro_errno));
	if (res->warn & AW_NOT_512)
		msg_warn("%s: file size is not a multiple of 512; the end of the "
			 "file will be ignored", f);
	if (res->warn & AW_BEYOND_EOF)
		msg_warn("%s: offset + size limit ends beyond the end of the file", f);
	if (res->warn & AW_ALIAS)
		msg_warn("%s: /dev/loop%d maps an overlapping range of the same file: "
			 "writes through both devices will corrupt it",
			 f, res->alias_nr);
	if (res->warn & AW_WRITERS)
		msg_warn("%s: process %d has the file open for writing: its changes "
			 "will not be seen through the loop device, and writes "
			 "through both will corrupt it",
			 f, (int)res->writer_pid);
	if (res->warn & AW_NO_PARTS)
		msg_warn("%s: the image has a partition table but the kernel's "
			 "partition scan created no partitions", f);
	if ((res->warn & AW_DIO_FALLBACK) && a->verbose)
		msg_warn("%s: direct IO did not engage; using buffered IO", f);
}

static int do_attach(struct args *a)
{
	struct attach_res res;
	int r = loop_attach(&a->req, &res);
	if (r < 0)
		return report_attach_error(a->req.file, r, &res);
	report_attach_warnings(a, &res);
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
		size_t o = 0;
		for (int i = 0; i < res.nholders && o < sizeof(list) - 40; i++)
			o += snprintf(list + o, sizeof(list) - o, "%s%d (%s)",
				      i ? ", " : "", (int)res.holder_pid[i],
				      res.holder_comm[i]);
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
	if (!argc) {
		msg("-d needs a loop device");
		return EXIT_USAGE;
	}
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

static int do_capacity(int argc, char **argv)
{
	if (argc != 1) {
		msg("-c needs exactly one loop device");
		return EXIT_USAGE;
	}
	int nr = dev_arg(argv[0]);
	if (nr < 0)
		return EXIT_FAIL;
	int fd = loop_open(nr, O_RDONLY);
	int r = fd < 0 ? fd : loop_ioctl(fd, LOOP_SET_CAPACITY, "LOOP_SET_CAPACITY", NULL);
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		msg_errno(r, "%s: LOOP_SET_CAPACITY", argv[0]);
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

static int bad_number(const char *what, const char *s, int r)
{
	msg("invalid %s '%s': %s", what, s,
	    r == -ERANGE ? "number out of range" : "not a number (examples: 512, 1M, 0x200)");
	return EXIT_USAGE;
}

static int parse_args(struct args *a, int *argc, char **argv)
{
	struct optstate st;
	int c, r;
	uint64_t v;
	opt_init(&st);
	while ((c = opt_next(&st, *argc, argv, opts)) > 0) {
		switch (c) {
		case 'a': case 'c': case 'd': case 'D': case O_FLUSH:
			if (a->mode && a->mode != c) {
				msg("only one of -a, -c, -d, -D, -f, -j, --flush at a time");
				return EXIT_USAGE;
			}
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
			if ((r = parse_size(st.arg, &a->req.offset)) < 0)
				return bad_number("offset", st.arg, r);
			a->has_offset = 1;
			break;
		case O_SIZELIMIT:
			if ((r = parse_size(st.arg, &a->req.sizelimit)) < 0)
				return bad_number("size limit", st.arg, r);
			break;
		case 'b':
			if (!strcmp(st.arg, "auto")) {
				a->req.block_size = 0;
				break;
			}
			if ((r = parse_size(st.arg, &v)) < 0)
				return bad_number("sector size", st.arg, r);
			if (v < 512 || v > 65536 || (v & (v - 1))) {
				msg("invalid sector size '%s': a power of two from 512 "
				    "to 65536, or auto", st.arg);
				return EXIT_USAGE;
			}
			a->req.block_size = (uint32_t)v;
			break;
		case 'P': a->req.partscan = 1; break;
		case 'r': a->req.ro = 1; break;
		case 'L': a->req.nooverlap = 1; break;
		case O_SHOW: a->show = 1; break;
		case 'v': a->verbose = 1; break;
		case O_DIO:
			if (!st.arg || !strcmp(st.arg, "on") || !strcmp(st.arg, "1"))
				a->req.dio = DIO_ON;
			else if (!strcmp(st.arg, "off") || !strcmp(st.arg, "0"))
				a->req.dio = DIO_OFF;
			else if (!strcmp(st.arg, "auto"))
				a->req.dio = DIO_AUTO;
			else {
				msg("invalid --direct-io '%s': on, off or auto", st.arg);
				return EXIT_USAGE;
			}
			break;
		case O_PARTITION: a->req.partition = st.arg; break;
		case O_REF: a->req.ref = st.arg; break;
		case O_TIMEOUT:
			if ((r = parse_msec(st.arg, &a->det.timeout_ms)) < 0)
				return bad_number("timeout", st.arg, r);
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
				return EXIT_USAGE;
			break;
		case O_OUTPUT_ALL:
			a->out.ncols = 0;
			for (int i = 0; i < C_REF; i++)
				a->out.col[a->out.ncols++] = (unsigned char)i;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(out_flush() ? EXIT_FAIL : EXIT_OK);
		case 'V':
			out("losetup from loopbox " LOOPBOX_VERSION
			    " (util-linux 2.38 compatible)\n");
			exit(out_flush() ? EXIT_FAIL : EXIT_OK);
		}
	}
	if (c < 0) {
		if (c == -ENOENT)
			msg("unrecognized option '%s' (try --help)", st.bad);
		else if (c == -E2BIG)
			msg("option '%s' takes no value", st.bad);
		else
			msg("option '%s' requires a value", st.bad);
		return EXIT_USAGE;
	}
	*argc = st.nopnd;
	return -1;
}

int losetup_main(int argc, char **argv)
{
	struct args a;
	memset(&a, 0, sizeof(a));
	a.req.nr = -1;
	a.req.dio = DIO_AUTO;
	a.det.timeout_ms = 5000;
	int rc = parse_args(&a, &argc, argv);
	if (rc >= 0)
		return rc;
	if (!a.out.ncols) {
		memcpy(a.out.col, default_cols, sizeof(default_cols));
		a.out.ncols = sizeof(default_cols);
	}

	switch (a.mode) {
	case 'd':
		rc = do_detach(&a, argc, argv);
		break;
	case 'D':
		rc = argc ? (msg("-D takes no device (use -d)"), EXIT_USAGE)
			  : do_detach_all(&a);
		break;
	case O_FLUSH:
		rc = argc ? do_flush(argc, argv) : (msg("--flush needs a loop device"), EXIT_USAGE);
		break;
	case 'c':
		rc = do_capacity(argc, argv);
		break;
	case 'a':
	case 'j':
		rc = argc ? (msg("too many arguments"), EXIT_USAGE) : do_list(&a, 0, argv);
		break;
	case 'f':
		if (argc > 1) {
			msg("too many arguments");
			rc = EXIT_USAGE;
		} else if (argc == 0) {
			rc = a.show ? (msg("--show needs a file to attach"), EXIT_USAGE)
				    : do_find();
		} else {
			a.req.file = argv[0];
			rc = do_attach(&a);
		}
		break;
	default:
		if (argc == 2) {
			a.req.nr = dev_arg(argv[0]);
			if (a.req.nr < 0)
				return EXIT_FAIL;
			a.req.file = argv[1];
			rc = do_attach(&a);
		} else if (argc > 2) {
			msg("too many arguments");
			rc = EXIT_USAGE;
		} else {
			/* No arguments: the list. One device: its line. */
			if (!argc)
				a.list = 1;
			rc = do_list(&a, argc, argv);
		}
	}
	if (out_flush() < 0 && rc == EXIT_OK) {
		msg_errno(errno, "write error");
		rc = EXIT_FAIL;
	}
	return rc;
}
