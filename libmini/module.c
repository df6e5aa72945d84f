/* Kernel modules for boot mode: finit_module(2) on the files the initramfs
 * lists, in the order the builder resolved from modules.dep. No modprobe,
 * no aliases: the builder already knows which drivers the boot needs. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mini.h"
#include "boot.h"

#ifndef MODULE_INIT_COMPRESSED_FILE
#define MODULE_INIT_COMPRESSED_FILE 4 /* 5.17 */
#endif

static int compressed(const char *path)
{
	size_t l = strlen(path);
	static const char *ext[] = {".xz", ".zst", ".gz"};
	for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
		size_t e = strlen(ext[i]);
		if (l > e && !strcmp(path + l - e, ext[i]))
			return 1;
	}
	return 0;
}

int module_load(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int flags = compressed(path) ? MODULE_INIT_COMPRESSED_FILE : 0;
	long r = syscall(SYS_finit_module, fd, params ? params : "", flags);
	int err = r < 0 ? errno : 0;
	close(fd);
	/* Built in, or loaded earlier (a retry after the rescue shell). */
	if (err == EEXIST)
		return 0;
	/* A compressed module on a kernel that cannot decompress it: the
	 * builder should have unpacked it (mkinitramfs checks the config). */
	return -err;
}

int module_load_list(const char *listfile, module_cb cb, void *ctx)
{
	struct lines l; /* not stdio: fopen mallocs */
	char *line;
	int failed = 0, err = lines_open(&l, AT_FDCWD, listfile);

	if (err < 0)
		return err;
	while ((line = lines_next(&l))) {
		if (!line[0] || line[0] == '#')
			continue;
		/* "path [params]": parameters after the first blank. */
		char *params = strchr(line, ' ');
		if (params)
			*params++ = 0;
		uint64_t t = now_usec();
		int r = module_load(line, params);
		if (r < 0)
			failed++;
		if (cb)
			cb(line, r, now_usec() - t, ctx);
	}
	lines_close(&l);
	return failed;
}
