/* Deterministic fault injection for CONFIG=test builds (ENABLE_FAULTS=1).
 * LOOPBOX_FAULT="NAME=ERRNO[@N],..." makes the Nth call (1-based) of NAME
 * fail with ERRNO; "@*" fails every call; no "@" means the first call only.
 * NAME is an ioctl (LOOP_CONFIGURE, LOOP_SET_FD, LOOP_SET_STATUS64,
 * LOOP_SET_BLOCK_SIZE, LOOP_SET_DIRECT_IO, LOOP_CLR_FD, LOOP_CTL_GET_FREE)
 * or "open_dev" (the /dev/loopN node is missing) or "open_ctl"; attach.c
 * also asks "verify" (a 5.8-style misconfiguration) and "dio_off" (the
 * kernel refused DIO). In other builds fault_check() is a constant 0 and
 * the code around it is dropped. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mini.h"

static const struct {
	const char *name;
	int err;
} errnos[] = {
	{"EINVAL", EINVAL}, {"ENOTTY", ENOTTY}, {"EBUSY", EBUSY},
	{"EAGAIN", EAGAIN}, {"ENXIO", ENXIO},   {"ENODEV", ENODEV},
	{"ENOENT", ENOENT}, {"EIO", EIO},       {"EPERM", EPERM},
};

static unsigned calls[16];
static const char *names[16];

static unsigned count(const char *name)
{
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (!names[i])
			names[i] = name;
		if (names[i] == name || !strcmp(names[i], name))
			return ++calls[i];
	}
	return 0;
}

int fault_check(const char *name)
{
	if (!ENABLE_FAULTS)
		return 0;
	const char *spec = getenv("LOOPBOX_FAULT");
	if (!spec || !*spec)
		return 0;
	unsigned n = count(name);
	size_t len = strlen(name);
	for (const char *p = spec; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		if (strncmp(p, name, len) || p[len] != '=')
			continue;
		const char *e = p + len + 1;
		const char *at = strpbrk(e, "@,");
		size_t elen = at ? (size_t)(at - e) : strlen(e);
		int err = 0;
		for (unsigned i = 0; i < ARRAY_SIZE(errnos); i++)
			if (strlen(errnos[i].name) == elen && !strncmp(errnos[i].name, e, elen))
				err = errnos[i].err;
		if (!err)
			continue;
		if (!at || *at == ',')
			return n == 1 ? -err : 0;
		if (at[1] == '*')
			return -err;
		if ((unsigned)atoi(at + 1) == n)
			return -err;
	}
	return 0;
}
