/* The kernel command line as boot mode reads it (docs/boot.md).
 * The kernel ignores root=/rootwait/rootdelay once an initramfs /init runs,
 * so those keys are ours; loop.* is the loop module's namespace and is
 * deliberately not used. */
#include <errno.h>
#include <string.h>

#include "mini.h"
#include "boot.h"

int cmdline_split(char *buf, char **words, int max)
{
	int n = 0;
	char *r = buf, *w = buf;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\n')
			r++;
		if (!*r)
			return n;
		if (n == max)
			return -E2BIG;
		words[n++] = w;
		/* Like the kernel's next_arg(): blanks inside quotes do not end
		 * a word. The quotes themselves are dropped. */
		int quoted = 0;
		for (; *r; r++) {
			if (*r == '"') {
				quoted = !quoted;
				continue;
			}
			if (!quoted && (*r == ' ' || *r == '\t' || *r == '\n'))
				break;
			*w++ = *r;
		}
		int end = !*r;
		*w++ = 0;
		if (end)
			return n;
		r++;
		/* w never passes r: at least the separator was consumed. */
	}
}

static int parse_secs(const char *v, int64_t *ms)
{
	uint64_t x;
	int r = parse_msec(v, &x);
	if (r < 0 || x > INT64_MAX)
		return -EINVAL;
	*ms = (int64_t)x;
	return 0;
}

/* archiso passes img_dev=/dev/disk/by-label/X: we have no udev symlinks,
 * so the name is turned into the spec those links stand for. */
static const char *by_link(struct boot_plan *p, const char *v)
{
	static const struct { const char *dir, *key; } links[] = {
		{"/dev/disk/by-label/", "LABEL="},
		{"/dev/disk/by-uuid/", "UUID="},
		{"/dev/disk/by-partuuid/", "PARTUUID="},
		{"/dev/disk/by-partlabel/", "PARTLABEL="},
	};
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		size_t l = strlen(links[i].dir);
		if (!strncmp(v, links[i].dir, l) && v[l]) {
			/* udev escapes blanks as \x20; undo that one case. */
			size_t o = strlen(links[i].key);
			memcpy(p->spec, links[i].key, o);
			for (const char *s = v + l; *s && o < sizeof(p->spec) - 1; s++) {
				if (!strncmp(s, "\\x20", 4)) {
					p->spec[o++] = ' ';
					s += 3;
				} else {
					p->spec[o++] = *s;
				}
			}
			p->spec[o] = 0;
			return p->spec;
		}
	}
	return v;
}

static int set_key(struct boot_plan *p, const char *k, const char *v)
{
	uint64_t u;
	int64_t ms;

	/* String keys. */
	static const struct { const char *key; size_t off; } strs[] = {
		{"root", offsetof(struct boot_plan, root)},
		{"rootfstype", offsetof(struct boot_plan, rootfstype)},
		{"rootflags", offsetof(struct boot_plan, rootflags)},
		{"loop", offsetof(struct boot_plan, loop)},
		{"loopfstype", offsetof(struct boot_plan, loopfstype)},
		{"loopflags", offsetof(struct boot_plan, loopflags)},
		{"looppart", offsetof(struct boot_plan, looppart)},
		{"loophost", offsetof(struct boot_plan, loophost)},
		{"init", offsetof(struct boot_plan, init)},
		{"img_loop", offsetof(struct boot_plan, loop)},
		{"img_flags", offsetof(struct boot_plan, loopflags)},
	};
	for (size_t i = 0; i < ARRAY_SIZE(strs); i++) {
		if (strcmp(k, strs[i].key))
			continue;
		if (!strcmp(k, "loophost") && !strcmp(v, "none"))
			v = "";
		else if (!strcmp(k, "init") && !*v)
			return -EINVAL;
		*(const char **)((char *)p + strs[i].off) = v;
		return 0;
	}
	if (!strcmp(k, "img_dev")) {
		p->root = by_link(p, v);
		return 0;
	}
	if (!strcmp(k, "img_label")) {
		if (strlen(v) + 7 > sizeof(p->spec))
			return -EINVAL;
		strcpy(p->spec, "LABEL=");
		strcat(p->spec, v);
		p->root = p->spec;
		return 0;
	}
	if (!strcmp(k, "loopoffset"))
		return parse_size(v, &p->loopoffset) < 0 ? -EINVAL : 0;
	if (!strcmp(k, "loopsize")) {
		if (parse_size(v, &p->loopsize) < 0 || !p->loopsize)
			return -EINVAL;
		return 0;
	}
	if (!strcmp(k, "loopdio")) {
		if (!strcmp(v, "auto"))
			p->loopdio = DIO_AUTO;
		else if (!strcmp(v, "on"))
			p->loopdio = DIO_ON;
		else if (!strcmp(v, "off"))
			p->loopdio = DIO_OFF;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(k, "loopsector")) {
		if (!strcmp(v, "auto")) {
			p->loopsector = 0;
			return 0;
		}
		if (parse_uint(v, 65536, &u) < 0 || u < 512 || (u & (u - 1)))
			return -EINVAL;
		p->loopsector = (uint32_t)u;
		return 0;
	}
	if (!strcmp(k, "rootwait") || !strcmp(k, "rootdelay")) {
		if (parse_secs(v, &ms) < 0)
			return -EINVAL;
		p->wait_ms = ms;
		return 0;
	}
	if (!strcmp(k, "panic")) {
		/* The kernel takes negative values as "at once"; so do we. */
		if (*v == '-') {
			if (parse_uint(v + 1, 1u << 30, &u) < 0)
				return -EINVAL;
			p->panic_s = 0;
			return 0;
		}
		if (parse_uint(v, 1u << 30, &u) < 0)
			return -EINVAL;
		/* panic=0 means "never reboot" to the kernel: rescue instead. */
		p->panic_s = u ? (int)u : -1;
		return 0;
	}
	if (!strcmp(k, "break")) {
		if (!strcmp(v, "premount") || !strcmp(v, "top") ||
		    !strcmp(v, "modules"))
			p->brk = BREAK_PREMOUNT;
		else if (!strcmp(v, "mount"))
			p->brk = BREAK_MOUNT;
		else if (!strcmp(v, "switch") || !strcmp(v, "bottom") ||
			 !strcmp(v, "init"))
			p->brk = BREAK_SWITCH;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(k, "loopbox.debug")) {
		p->debug = !(*v == '0' && !v[1]);
		return 0;
	}
	return 0; /* the kernel's or the real init's */
}

static int set_flag(struct boot_plan *p, const char *k)
{
	if (!strcmp(k, "ro"))
		p->rw = 0;
	else if (!strcmp(k, "rw"))
		p->rw = 1;
	else if (!strcmp(k, "rootwait"))
		p->wait_ms = WAIT_FOREVER;
	else if (!strcmp(k, "debug") || !strcmp(k, "loopbox.debug"))
		p->debug = 1;
	else if (!strcmp(k, "break"))
		p->brk = BREAK_PREMOUNT; /* initramfs-tools: bare break = premount */
	return 0;
}

int boot_plan_parse(struct boot_plan *p, const char *cmdline)
{
	char *words[BOOT_CMDLINE_MAX / 2];

	memset(p, 0, sizeof(*p));
	p->root = p->rootfstype = p->rootflags = "";
	p->loop = p->loopfstype = p->loopflags = p->looppart = "";
	p->loophost = "/host";
	p->init = "/sbin/init";
	p->loopdio = DIO_AUTO;
	p->wait_ms = 30000;
	p->panic_s = -1;

	size_t len = strlen(cmdline);
	if (len >= sizeof(p->buf))
		return -E2BIG;
	memcpy(p->buf, cmdline, len + 1);
	int n = cmdline_split(p->buf, words, (int)ARRAY_SIZE(words));
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		/* "--": everything after it belongs to init. */
		if (!strcmp(words[i], "--"))
			break;
		char *eq = strchr(words[i], '=');
		int r;
		if (eq) {
			*eq = 0;
			r = set_key(p, words[i], eq + 1);
			if (r < 0)
				*eq = '=';
		} else {
			r = set_flag(p, words[i]);
		}
		if (r < 0) {
			p->bad = words[i];
			return r;
		}
	}
	return 0;
}

int boot_plan_check(struct boot_plan *p)
{
	if (!*p->root)
		return -EDESTADDRREQ;
	if (*p->looppart && (p->loopoffset || p->loopsize)) {
		p->bad = "looppart= with loopoffset=/loopsize=";
		return -EINVAL;
	}
	if (!*p->loop && (*p->looppart || p->loopoffset || p->loopsize ||
			  *p->loopfstype || *p->loopflags || p->loopsector ||
			  p->loopdio != DIO_AUTO)) {
		p->bad = "loop options without loop=";
		return -EINVAL;
	}
	if (*p->init != '/') {
		p->bad = "init= must be an absolute path";
		return -EINVAL;
	}
	if (*p->loophost && *p->loophost != '/') {
		p->bad = "loophost= must be an absolute path or none";
		return -EINVAL;
	}
	return 0;
}
