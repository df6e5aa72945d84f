/* loopmount / loopumount: mount an image (or one partition of it) through
 * an autoclear loop device, and unmount it so that the device is gone and
 * the image is on storage when the command returns.
 *
 * usage: loopmount [-r] [-t TYPE] [-o OPTS] [--partition N|PARTUUID=..|
 *                  PARTLABEL=..] [--offset B] [--sizelimit B]
 *                  [--direct-io[=on|off|auto]] [--ref TAG] IMAGE DIR
 *        loopumount [--timeout S] DIR|DEV */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mini.h"
#include "applets.h"

static const char mount_usage[] =
	"Usage: loopmount [options] IMAGE DIR\n"
	"Mount IMAGE on DIR via an autoclear loop device; print the device.\n"
	" -r --read-only  read-only\n"
	" -t --types TYPE  filesystem type (probed)\n"
	" -o --options OPTS  mount options\n";

static const struct opt umount_tab[] = {
	{"help", 'h', OPT_NONE},
	{"timeout", AO_TIMEOUT, OPT_REQ},
	{NULL, 0, 0},
};

static const char umount_usage[] =
	"Usage: loopumount [--timeout S] DIR|DEV\n"
	"Unmount, wait until the device is free, flush the image.\n"
	"    --timeout S  wait S seconds (5)";

/* Close our fd of an autoclear device and wait until the kernel has freed
 * it. Never LOOP_CLR_FD: once our fd is closed the number may already be
 * someone else's. */
static int release(int fd, int nr, uint64_t timeout_ms)
{
	struct loop_bind b;
	int r = loop_bind_id(nr, &b);
	close(fd);
	if (r < 0)
		return 0;
	return loop_wait_free(nr, &b, timeout_ms);
}

int loopmount_main(int argc, char **argv)
{
	struct attach_req req = {.nr = -1, .dio = DIO_AUTO};
	struct optstate st;
	struct optfail f;
	const char *type = NULL, *opts = NULL;
	int c, r;
	opt_init(&st);
	while ((c = attach_opt_next(&st, argc, argv, attach_opts + 2, &req, &f)) > 0) {
		if (c == 't') {
			type = st.arg;
		} else if (c == 'o') {
			opts = st.arg;
		} else { /* -h */
			fputs(mount_usage, stdout);
			usage_exit(attach_usage, 1);
		}
	}
	if (c < 0)
		die(EXIT_USAGE, "%s%s%s", f.pre, f.word, f.post);
	if (st.nopnd != 2)
		die(EXIT_USAGE, "need IMAGE and DIR (try --help)");
	const char *image = argv[0], *dir = argv[1];
	struct stat sb;
	if (stat(dir, &sb) < 0)
		die_errno(errno, "%s", dir);
	if (!S_ISDIR(sb.st_mode))
		die(EXIT_FAIL, "%s: not a directory", dir);

	/* Autoclear: the mount is then the device's only user, and
	 * unmounting frees it. Our fd keeps it alive until the mount holds
	 * it, so a loopmount killed in between leaves nothing behind. */
	struct attach_res res;
	req.file = image;
	req.autoclear = 1;
	req.keep_fd = 1;
	if (attach_reported(&req, &res, AW_RO_FALLBACK | AW_ALIAS | AW_WRITERS |
					   AW_NOT_512) < 0)
		return EXIT_FAIL;

	char dev[32];
	loop_path(res.nr, dev, sizeof(dev));
	struct mount_req mreq = {
		.fd = res.fd, .dev = dev, .dir = dir, .type = type, .opts = opts,
		.ro = req.ro || (res.warn & AW_RO_FALLBACK),
	};
	struct mount_res mres;
	if ((r = loop_mount(&mreq, &mres)) < 0) {
		msg("%s: %s", image, mres.why);
		if (release(res.fd, res.nr, 5000) < 0)
			msg("%s: still bound after the failed mount: another "
			    "process has it open", dev);
		return EXIT_FAIL;
	}
	close(res.fd);
	out("%s\n", dev);
	return out_flush() ? EXIT_FAIL : EXIT_OK;
}

/* ---- loopumount -------------------------------------------------------- */

/* The mount named by arg: a mountpoint, or a loop device's top mount.
 * Returns 1 for a device (all its mounts go), 0 for a directory. */
static int find_target(const char *arg, struct mount_ent *m)
{
	struct stat sb;
	if (stat(arg, &sb) < 0)
		die_errno(errno, "%s", arg);
	if (S_ISBLK(sb.st_mode)) {
		if (mount_lookup(sb.st_rdev, NULL, m) <= 0)
			die(EXIT_FAIL, "%s: not mounted", arg);
		return 1;
	}
	char real[PATH_MAX];
	int r = path_resolve(arg, real, sizeof(real));
	if (r < 0)
		die_errno(r, "%s", arg);
	if (mount_lookup(0, real, m) <= 0)
		die(EXIT_FAIL, "%s: not a mount point", arg);
	return 0;
}

static int unmount(const struct mount_ent *m)
{
	if (umount(m->dir) == 0)
		return 0;
	int err = errno;
	if (err != EBUSY) {
		msg_errno(err, "%s: umount", m->dir);
		return -1;
	}
	struct users u;
	if (proc_users(m->dev, 0, &u) > 0)
		msg_users(m->dir, "umount: busy: in use by process", &u);
	else
		msg("%s: umount: busy (no process found here: a mount below it, "
		    "or a user in another mount namespace)", m->dir);
	return -1;
}

int loopumount_main(int argc, char **argv)
{
	struct optstate st;
	uint64_t timeout_ms = 5000;
	int c;
	opt_init(&st);
	while ((c = opt_next(&st, argc, argv, umount_tab)) > 0) {
		if (c == 'h')
			usage_exit(umount_usage, 1);
		if (parse_msec(st.arg, &timeout_ms) < 0)
			die(EXIT_USAGE, "invalid timeout '%s' (seconds, e.g. 5 or 0.5)", st.arg);
	}
	if (c < 0) {
		struct optfail f;
		optfail_of(c, &st, &f);
		die(EXIT_USAGE, "%s%s%s", f.pre, f.word, f.post);
	}
	if (st.nopnd != 1)
		die(EXIT_USAGE, "need one DIR or DEV (try --help)");
	const char *arg = argv[0];
	struct mount_ent m;
	int all = find_target(arg, &m);
	int part, nr = loop_of_dev(m.dev, &part);
	if (nr < 0)
		die(EXIT_FAIL, "%s: mounted from %s, not a loop device", arg, m.src);
	char dev[32];
	loop_path(nr, dev, sizeof(dev));

	/* Everything needed after the unmount is read before it: once the
	 * device is freed, sysfs no longer knows its backing file. */
	struct loop_state ls;
	struct loop_bind bind;
	int sysfd = sysfs_open();
	int r = loop_state_get(sysfd, nr, -1, &ls);
	if (sysfd >= 0)
		close(sysfd);
	if (r < 0 || loop_bind_id(nr, &bind) < 0)
		die_errno(r < 0 ? r : ENXIO, "%s", dev);
	int bfd = backing_open(&ls);

	if (unmount(&m) < 0)
		return EXIT_FAIL;
	struct mount_ent other;
	/* Bounded: a mount that comes back as fast as we remove it is not
	 * ours to fight. */
	for (int i = 0; all && i < 64 && mount_lookup(m.dev, NULL, &other) > 0; i++)
		if (unmount(&other) < 0)
			return EXIT_FAIL;
	if (mount_lookup(m.dev, NULL, &other) > 0) {
		msg("%s: still mounted on %s: unmount it too", dev, other.dir);
		return EXIT_FAIL;
	}

	int rc = EXIT_OK;
	if (ls.flags & LO_FLAGS_AUTOCLEAR) {
		r = loop_wait_free(nr, &bind, timeout_ms);
	} else {
		/* Mounted by hand without autoclear: it would stay bound. */
		struct detach_req dreq = {.nr = nr, .timeout_ms = timeout_ms};
		struct detach_res dres;
		r = loop_detach(&dreq, &dres);
		if (r == -ENXIO || r == -ENODEV)
			r = 0;
		else if (r < 0 && r != -EBUSY) {
			msg_errno(r, "%s: %s", dev, dres.failed_step ? dres.failed_step : "detach");
			rc = EXIT_FAIL;
			r = 0;
		}
	}
	if (r < 0) {
		struct users u;
		if (proc_users(0, ls.dev, &u) > 0)
			msg_users(dev, "unmounted, but not freed: still open in process", &u);
		else
			msg("%s: unmounted, but not freed after %llu ms", dev,
			    (unsigned long long)timeout_ms);
		rc = EXIT_FAIL;
	}

	if (bfd < 0) {
		msg_errno(bfd == -ESTALE ? 0 : bfd, "%s: cannot flush the backing "
			  "file %s%s", dev, ls.back_file,
			  bfd == -ESTALE ? ": the path now names another file" : "");
		return EXIT_FAIL;
	}
	if ((r = backing_sync(bfd)) < 0) {
		msg_errno(r, "%s: fsync", ls.back_file);
		rc = EXIT_FAIL;
	}
	close(bfd);
	return rc;
}
