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

enum { O_OFFSET = 256, O_SIZELIMIT, O_DIO, O_PARTITION, O_REF, O_TIMEOUT };

static const struct opt mount_tab[] = {
	{"direct-io", O_DIO, OPT_OPTIONAL},
	{"help", 'h', OPT_NONE},
	{"offset", O_OFFSET, OPT_REQ},
	{"options", 'o', OPT_REQ},
	{"partition", O_PARTITION, OPT_REQ},
	{"read-only", 'r', OPT_NONE},
	{"ref", O_REF, OPT_REQ},
	{"sizelimit", O_SIZELIMIT, OPT_REQ},
	{"types", 't', OPT_REQ},
	{NULL, 0, 0},
};

static const char mount_usage[] =
	"Usage: loopmount [options] IMAGE DIR\n"
	"\n"
	"Attach IMAGE to a loop device that frees itself when unmounted, mount\n"
	"it on DIR and print the device.\n"
	"\n"
	" -r, --read-only           attach and mount read-only\n"
	" -t, --types TYPE          filesystem type (default: probed)\n"
	" -o, --options OPTS        mount options (ro, noatime, fs options...)\n"
	"     --partition N|PARTUUID=..|PARTLABEL=..  mount one partition\n"
	"     --offset B            start at byte B of IMAGE\n"
	"     --sizelimit B         use at most B bytes of IMAGE\n"
	"     --direct-io[=on|off|auto]  direct IO to IMAGE (auto)\n"
	"     --ref TAG             tag the device (losetup -l --ref TAG)\n";

static const struct opt umount_tab[] = {
	{"help", 'h', OPT_NONE},
	{"timeout", O_TIMEOUT, OPT_REQ},
	{NULL, 0, 0},
};

static const char umount_usage[] =
	"Usage: loopumount [--timeout S] DIR|DEV\n"
	"\n"
	"Unmount a loop-mounted filesystem, wait until its loop device is free\n"
	"and flush the image to storage. Exits 0 only when all of that is done.\n"
	"\n"
	"     --timeout S           wait at most S seconds for the device (5)\n";

static int opt_error(int c, const struct optstate *st)
{
	if (c == -ENOENT)
		msg("unrecognized option '%s' (try --help)", st->bad);
	else if (c == -E2BIG)
		msg("option '%s' takes no value", st->bad);
	else
		msg("option '%s' requires a value", st->bad);
	return EXIT_USAGE;
}

static int bad_size(const char *what, const char *s)
{
	msg("invalid %s '%s' (examples: 512, 1M, 0x200)", what, s);
	return EXIT_USAGE;
}

static void attach_warnings(const char *file, const struct attach_res *res)
{
	if (res->warn & AW_RO_FALLBACK)
		msg_warn("%s: attached read-only: opening it read-write failed: %s",
			 file, strerror(res->ro_errno));
	if (res->warn & AW_ALIAS)
		msg_warn("%s: /dev/loop%d maps an overlapping range of the same "
			 "file: writes through both will corrupt it", file,
			 res->alias_nr);
	if (res->warn & AW_WRITERS)
		msg_warn("%s: process %d has the file open for writing", file,
			 (int)res->writer_pid);
	if (res->warn & AW_NOT_512)
		msg_warn("%s: file size is not a multiple of 512; the end of the "
			 "file will be ignored", file);
}

static void attach_error(const char *file, int r, const struct attach_res *res)
{
	if (res->why[0])
		msg("%s: %s", file, res->why);
	else if (res->failed_step)
		msg_errno(r, "%s: %s", file, res->failed_step);
	else
		msg_errno(r, "%s", file);
}

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
	struct attach_req req;
	struct optstate st;
	const char *type = NULL, *opts = NULL;
	int c, r;
	memset(&req, 0, sizeof(req));
	req.nr = -1;
	req.dio = DIO_AUTO;
	opt_init(&st);
	while ((c = opt_next(&st, argc, argv, mount_tab)) > 0) {
		switch (c) {
		case 'r': req.ro = 1; break;
		case 't': type = st.arg; break;
		case 'o': opts = st.arg; break;
		case O_PARTITION: req.partition = st.arg; break;
		case O_REF: req.ref = st.arg; break;
		case O_OFFSET:
			if (parse_size(st.arg, &req.offset) < 0)
				return bad_size("offset", st.arg);
			break;
		case O_SIZELIMIT:
			if (parse_size(st.arg, &req.sizelimit) < 0)
				return bad_size("size limit", st.arg);
			break;
		case O_DIO:
			if (!st.arg || !strcmp(st.arg, "on"))
				req.dio = DIO_ON;
			else if (!strcmp(st.arg, "off"))
				req.dio = DIO_OFF;
			else if (!strcmp(st.arg, "auto"))
				req.dio = DIO_AUTO;
			else
				die(EXIT_USAGE, "invalid --direct-io '%s': on, off or auto",
				    st.arg);
			break;
		case 'h':
			fputs(mount_usage, stdout);
			return out_flush() ? EXIT_FAIL : EXIT_OK;
		}
	}
	if (c < 0)
		return opt_error(c, &st);
	if (st.nopnd != 2) {
		msg("need IMAGE and DIR (try --help)");
		return EXIT_USAGE;
	}
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
	if ((r = loop_attach(&req, &res)) < 0) {
		attach_error(image, r, &res);
		return EXIT_FAIL;
	}
	attach_warnings(image, &res);

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

static void say_users(const char *what, const char *obj, const struct users *u)
{
	char list[512];
	size_t o = 0;
	for (int i = 0; i < u->n && i < USERS_MAX && o < sizeof(list) - 40; i++)
		o += snprintf(list + o, sizeof(list) - o, "%s%d (%s)", i ? ", " : "",
			      (int)u->pid[i], u->comm[i]);
	if (u->n > USERS_MAX)
		snprintf(list + o, sizeof(list) - o, " and %d more", u->n - USERS_MAX);
	msg("%s: %s %s", obj, what, list);
}

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
	if (!realpath(arg, real))
		die_errno(errno, "%s", arg);
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
		say_users("umount: busy: in use by process", m->dir, &u);
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
		if (c == O_TIMEOUT && parse_msec(st.arg, &timeout_ms) < 0) {
			msg("invalid timeout '%s' (seconds, e.g. 5 or 0.5)", st.arg);
			return EXIT_USAGE;
		}
		if (c == 'h') {
			fputs(umount_usage, stdout);
			return out_flush() ? EXIT_FAIL : EXIT_OK;
		}
	}
	if (c < 0)
		return opt_error(c, &st);
	if (st.nopnd != 1) {
		msg("need one DIR or DEV (try --help)");
		return EXIT_USAGE;
	}
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
			say_users("unmounted, but not freed: still open in process", dev, &u);
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
