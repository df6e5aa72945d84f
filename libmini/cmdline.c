/* The kernel command line as boot mode reads it (docs/boot.md).
 * The kernel ignores root=/rootwait/rootdelay once an initramfs /init runs,
 * so those keys are ours; loop.* is the loop module's namespace and is
 * deliberately not used. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

#include "mini.h"
#include "boot.h"

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

int cmdline_split(char *buf, char **words, int max)
{
	int n = 0, quoted = 0;
	char *r = buf, *w = buf;

	for (;;) {
		while (blank(*r))
			r++;
		if (!*r)
			return n;
		if (n == max)
			return -E2BIG;
		if (words)
			words[n] = w;
		n++;
		/* Like the kernel's next_arg(): blanks inside quotes do not end
		 * a word. The quotes themselves are dropped. */
		for (; *r && (quoted || !blank(*r)); r++)
			if (*r == '"')
				quoted = !quoted;
			else
				*w++ = *r;
		char end = *r;
		*w++ = 0;
		if (!end)
			return n;
		r++;
		/* w never passes r: at least the separator was consumed. */
	}
}

/* The index of word in list ("a\0b\0", ending in an empty name), or -1. */
static int word_index(const char *list, const char *word)
{
	for (int i = 0; *list; i++, list += strlen(list) + 1)
		if (!strcmp(list, word))
			return i;
	return -1;
}

/* root= rebuilt as KEY=value in p->spec (key is n bytes), undoing udev's
 * \x20 escape of a blank. */
static int set_spec(struct boot_plan *p, const char *key, size_t n,
		    const char *v)
{
	size_t o = n;
	memcpy(p->spec, key, n);
	p->spec[o++] = '=';
	for (; *v; v++) {
		if (o >= sizeof(p->spec) - 1)
			return -EINVAL;
		if (!strncmp(v, "\\x20", 4)) {
			p->spec[o++] = ' ';
			v += 3;
		} else {
			p->spec[o++] = *v;
		}
	}
	p->spec[o] = 0;
	p->root = p->spec;
	return 0;
}

/* archiso passes img_dev=/dev/disk/by-label/X: we have no udev symlinks,
 * so the name is turned into the spec those links stand for. */
static int set_dev(struct boot_plan *p, const char *v)
{
	static const char kinds[] = "LABEL\0UUID\0PARTUUID\0PARTLABEL\0";
	if (!strncmp(v, "/dev/disk/by-", 13))
		for (const char *k = kinds; *k; k += strlen(k) + 1) {
			size_t n = strlen(k);
			if (!strncasecmp(v + 13, k, n) && v[13 + n] == '/' &&
			    v[14 + n])
				return set_spec(p, k, n, v + 14 + n);
		}
	p->root = v;
	return 0;
}

/* key=value words, in the order of the K_* below; the first nine are the
 * string fields of struct boot_plan (str[]). */
static const char keys[] =
	"root\0rootfstype\0rootflags\0loop\0loopfstype\0loopflags\0looppart\0"
	"loophost\0init\0img_loop\0img_flags\0img_dev\0img_label\0loopoffset\0"
	"loopsize\0loopdio\0loopsector\0rootwait\0rootdelay\0panic\0break\0"
	"loopbox.debug\0";
enum { K_LOOPHOST = 7, K_IMG_LOOP = 9, K_IMG_FLAGS, K_IMG_DEV, K_IMG_LABEL,
       K_OFFSET, K_SIZE, K_DIO, K_SECTOR, K_ROOTWAIT, K_ROOTDELAY, K_PANIC,
       K_BREAK, K_DEBUG };

static int set_key(struct boot_plan *p, const char *k, const char *v)
{
	uint64_t u;
	int i = word_index(keys, k), neg;

	if (i < 0)
		return 0; /* the kernel's or the real init's */
	if (i < K_IMG_LOOP) {
		if (i == K_LOOPHOST && !strcmp(v, "none"))
			v = "";
		p->str[i] = v;
		return 0;
	}
	switch (i) {
	case K_IMG_LOOP:
		p->loop = v;
		return 0;
	case K_IMG_FLAGS:
		p->loopflags = v;
		return 0;
	case K_IMG_DEV:
		return set_dev(p, v);
	case K_IMG_LABEL:
		return set_spec(p, "LABEL", 5, v);
	case K_OFFSET:
		return parse_size(v, &p->loopoffset) < 0 ? -EINVAL : 0;
	case K_SIZE:
		return parse_size(v, &p->loopsize) < 0 || !p->loopsize ? -EINVAL : 0;
	case K_DIO:
		/* DIO_AUTO, DIO_ON, DIO_OFF */
		p->loopdio = word_index("auto\0on\0off\0", v);
		return p->loopdio < 0 ? -EINVAL : 0;
	case K_SECTOR:
		if (!strcmp(v, "auto"))
			u = 0;
		else if (parse_uint(v, 65536, &u) < 0 || u < 512 || (u & (u - 1)))
			return -EINVAL;
		p->loopsector = (uint32_t)u;
		return 0;
	case K_ROOTWAIT:
	case K_ROOTDELAY:
		if (parse_msec(v, &u) < 0 || u > INT64_MAX)
			return -EINVAL;
		p->wait_ms = (int64_t)u;
		return 0;
	case K_PANIC:
		/* The kernel takes negative values as "at once"; so do we. */
		neg = *v == '-';
		if (parse_uint(v + neg, 1u << 30, &u) < 0)
			return -EINVAL;
		/* panic=0 means "never reboot" to the kernel: rescue instead. */
		p->panic_s = neg ? 0 : u ? (int)u : -1;
		return 0;
	case K_BREAK:
		/* initramfs-tools' and dracut's names for the same phases. */
		i = word_index("premount\0top\0modules\0mount\0switch\0bottom\0init\0", v);
		if (i < 0)
			return -EINVAL;
		p->brk = i < 3 ? BREAK_PREMOUNT : i == 3 ? BREAK_MOUNT : BREAK_SWITCH;
		return 0;
	}
	p->debug = strcmp(v, "0") != 0; /* K_DEBUG */
	return 0;
}

static void set_flag(struct boot_plan *p, const char *k)
{
	switch (word_index("ro\0rw\0rootwait\0debug\0loopbox.debug\0break\0", k)) {
	case 0:
	case 1:
		p->rw = k[1] == 'w';
		break;
	case 2:
		p->wait_ms = WAIT_FOREVER;
		break;
	case 3:
	case 4:
		p->debug = 1;
		break;
	case 5:
		p->brk = BREAK_PREMOUNT; /* initramfs-tools: bare break = premount */
	}
}

int boot_plan_parse(struct boot_plan *p, const char *cmdline)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < 9; i++)
		p->str[i] = "";
	p->loophost = "/host";
	p->init = "/sbin/init";
	p->wait_ms = 30000;
	p->panic_s = -1;

	size_t len = strlen(cmdline);
	if (len >= sizeof(p->buf))
		return -E2BIG;
	memcpy(p->buf, cmdline, len + 1);
	int n = cmdline_split(p->buf, NULL, INT_MAX);
	for (char *w = p->buf; n-- > 0; w += strlen(w) + 1) {
		/* "--": everything after it belongs to init. */
		if (!strcmp(w, "--"))
			break;
		char *eq = strchr(w, '=');
		if (!eq) {
			set_flag(p, w);
			continue;
		}
		*eq = 0;
		int r = set_key(p, w, eq + 1);
		*eq = '=';
		if (r < 0) {
			p->bad = w;
			return r;
		}
	}
	return 0;
}

int boot_plan_check(struct boot_plan *p)
{
	if (!*p->root)
		return -EDESTADDRREQ;
	if (*p->looppart && (p->loopoffset || p->loopsize))
		p->bad = "looppart= with loopoffset=/loopsize=";
	else if (!*p->loop && (*p->looppart || p->loopoffset || p->loopsize ||
			       *p->loopfstype || *p->loopflags || p->loopsector ||
			       p->loopdio != DIO_AUTO))
		p->bad = "loop options without loop=";
	else if (*p->init != '/')
		p->bad = "init= must be an absolute path";
	else if (*p->loophost && *p->loophost != '/')
		p->bad = "loophost= must be an absolute path or none";
	else
		return 0;
	return -EINVAL;
}
