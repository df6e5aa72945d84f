/* loopbox run: a loop device (and optionally a mount) that belongs to one
 * command and never outlives it.
 *
 * usage: loopbox run [-r] [--ref TAG] [--partition N|PARTUUID=..|PARTLABEL=..]
 *                    [--offset B] [--sizelimit B] [--mount DIR [-t TYPE]
 *                    [-o OPTS]] [--timeout S] IMAGE -- CMD [ARGS...]
 *
 * The device is attached with autoclear and loopbox holds it open, so the
 * kernel frees it when loopbox and CMD are gone, even if loopbox is
 * SIGKILLed. The mount lives in a private mount namespace shared only
 * with CMD: when the last process in it exits, the mount goes, and with it
 * the device. Normally loopbox tears down itself, synchronously: unmount,
 * free the device, fsync the image and syncfs its filesystem. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mini.h"
#include "applets.h"

/* The attach options' lines follow (attach_usage). */
static const char usage_text[] =
	"Usage: loopbox run [options] IMAGE -- CMD [ARGS...]\n"
	"Run CMD with IMAGE on $LOOPDEV (and $LOOPMNT), then unmount, free and\n"
	"flush, however CMD ends. Exit: CMD's (128+N: signal N; 1: teardown\n"
	"failed). SIGINT, SIGTERM, SIGHUP go to CMD.\n"
	" -r --read-only  read-only\n"
	"    --mount DIR  mount it on DIR, for CMD only\n"
	" -t --types TYPE  filesystem type (probed)\n"
	" -o --options OPTS  mount options\n"
	"    --timeout S  teardown waits S seconds (5)\n";

struct run {
	struct attach_req req;
	const char *dir, *type, *opts;
	uint64_t timeout_ms;
	char **cmd;
};

static void parse(struct run *r, int argc, char **argv)
{
	/* CMD's own options must not be read as ours: only what precedes
	 * "--" is parsed. */
	int dash = 1;
	while (dash < argc && strcmp(argv[dash], "--"))
		dash++;
	struct optstate st;
	struct optfail f;
	int c;
	opt_init(&st);
	while ((c = attach_opt_next(&st, dash, argv, attach_opts, &r->req, &f)) > 0) {
		switch (c) {
		case 't': r->type = st.arg; break;
		case 'o': r->opts = st.arg; break;
		case AO_MOUNT: r->dir = st.arg; break;
		case AO_TIMEOUT:
			if (parse_msec(st.arg, &r->timeout_ms) < 0)
				die(EXIT_USAGE, "invalid timeout '%s' (seconds, e.g. 5 "
				    "or 0.5)", st.arg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			usage_exit(attach_usage, 1);
		}
	}
	if (c < 0)
		die(EXIT_USAGE, "%s%s%s", f.pre, f.word, f.post);
	if (st.nopnd != 1 || dash + 1 >= argc)
		die(EXIT_USAGE, "need IMAGE -- CMD [ARGS...] (try --help)");
	if ((r->type || r->opts) && !r->dir)
		die(EXIT_USAGE, "-t and -o need --mount DIR");
	r->req.file = argv[0];
	r->cmd = argv + dash + 1;
}

/* ---- CMD ---------------------------------------------------------------- */

static volatile pid_t child;

/* A terminal's ^C (or hangup) reaches CMD directly when it shares our
 * process group; the kernel marks those SI_KERNEL. Only what was sent to
 * loopbox alone (kill(1), a supervisor) is passed on, so CMD sees each
 * signal once. */
static void forward(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (child > 0 && si->si_code != SI_KERNEL)
		kill(child, sig);
}

static const int fwd_sigs[] = {SIGINT, SIGTERM, SIGHUP};

/* CMD's environment: ours without any LOOPDEV/LOOPMNT, plus this run's.
 * Built by hand rather than with setenv, which would pull realloc into a
 * binary that otherwise never grows memory. */
#define ENV_MAX 4096
static char *cmd_env[ENV_MAX + 3];
static char env_dev[48], env_mnt[PATH_MAX + 8];

static int make_env(const char *dev, const char *mnt)
{
	extern char **environ;
	int n = 0;
	for (char **e = environ; *e; e++) {
		if (!strncmp(*e, "LOOPDEV=", 8) || !strncmp(*e, "LOOPMNT=", 8))
			continue;
		if (n >= ENV_MAX)
			return -E2BIG;
		cmd_env[n++] = *e;
	}
	snprintf(env_dev, sizeof(env_dev), "LOOPDEV=%s", dev);
	cmd_env[n++] = env_dev;
	if (mnt) {
		snprintf(env_mnt, sizeof(env_mnt), "LOOPMNT=%s", mnt);
		cmd_env[n++] = env_mnt;
	}
	cmd_env[n] = NULL;
	return 0;
}

static int spawn(char **cmd, const sigset_t *old)
{
	pid_t parent = getpid();
	pid_t pid = _Fork(); /* see mini.h */
	if (pid != 0)
		return pid < 0 ? -errno : pid;
	for (size_t i = 0; i < ARRAY_SIZE(fwd_sigs); i++)
		signal(fwd_sigs[i], SIG_DFL);
	sigprocmask(SIG_SETMASK, old, NULL);
	/* If loopbox dies (SIGKILL), CMD is told to stop: nobody would tear
	 * down after it, and a CMD holding the private mount namespace
	 * would keep the device alive. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(128 + SIGTERM);
	execvpe(cmd[0], cmd, cmd_env);
	int err = errno;
	msg_errno(err, "%s", cmd[0]);
	_exit(err == ENOENT ? 127 : 126);
}

static int run_cmd(char **cmd)
{
	sigset_t set, old;
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(fwd_sigs); i++)
		sigaddset(&set, fwd_sigs[i]);
	/* Blocked until child is known, so no signal is lost in between. */
	sigprocmask(SIG_BLOCK, &set, &old);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigfillset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(fwd_sigs); i++)
		sigaction(fwd_sigs[i], &sa, NULL);
	int pid = spawn(cmd, &old);
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		msg_errno(pid, "fork");
		return -1;
	}
	child = pid;
	/* The handlers stay: a second ^C must not kill loopbox during the
	 * teardown that follows. */
	sigprocmask(SIG_SETMASK, &old, NULL);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			msg_errno(errno, "waitpid");
			return -1;
		}
	child = 0;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* ---- setup and teardown ------------------------------------------------- */

static int unmount(const char *dir)
{
	struct mount_ent m;
	int have = mount_lookup(0, dir, &m) > 0;
	if (umount(dir) == 0)
		return 0;
	int err = errno;
	struct users u;
	if (err == EBUSY && have && proc_users(m.dev, 0, &u) > 0)
		msg_users(dir, "umount: busy: still in use by process", &u);
	else
		msg_errno(err, "%s: umount", dir);
	/* Detached now, it goes (and frees the device) when they do. */
	umount2(dir, MNT_DETACH);
	return -1;
}

/* Free the device: flush what CMD wrote through it, drop our fd, and wait
 * for the kernel's autoclear. Never LOOP_CLR_FD: once our fd is closed the
 * number may already belong to someone else. */
static int release(int fd, int nr, dev_t dev, uint64_t timeout_ms)
{
	char name[32];
	struct loop_bind b;
	int rc = 0;
	loop_path(nr, name, sizeof(name));
	if (fsync(fd) < 0) {
		msg_errno(errno, "%s: fsync", name);
		rc = -1;
	}
	int bound = loop_bind_id(nr, &b) == 0;
	close(fd);
	if (bound && loop_wait_free(nr, &b, timeout_ms) < 0) {
		struct users u;
		if (proc_users(0, dev, &u) > 0)
			msg_users(name, "not freed: still open in process", &u);
		else
			msg("%s: not freed after %llu ms", name,
			    (unsigned long long)timeout_ms);
		rc = -1;
	}
	return rc;
}

static int private_mounts(void)
{
	/* Slave, not private: the host's later mounts still show inside,
	 * ours never leak out. */
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return -errno;
	return 0;
}

int run_main(int argc, char **argv)
{
	struct run r;
	memset(&r, 0, sizeof(r));
	r.req.nr = -1;
	r.req.dio = DIO_AUTO;
	r.timeout_ms = 5000;
	parse(&r, argc, argv);
	const char *image = r.req.file;

	char mnt[PATH_MAX];
	if (r.dir) {
		struct stat sb;
		int e = path_resolve(r.dir, mnt, sizeof(mnt));
		if (!e && stat(mnt, &sb) < 0)
			e = -errno;
		if (e < 0)
			die_errno(e, "%s", r.dir);
		if (!S_ISDIR(sb.st_mode))
			die(EXIT_FAIL, "%s: not a directory", r.dir);
		if ((e = private_mounts()) < 0)
			die_errno(e, "unshare(CLONE_NEWNS)");
	}

	struct attach_res res;
	r.req.autoclear = 1;
	r.req.keep_fd = 1;
	if (attach_reported(&r.req, &res, AW_RO_FALLBACK | AW_ALIAS) < 0)
		return EXIT_FAIL;
	char dev[32];
	loop_path(res.nr, dev, sizeof(dev));
	int bfd = backing_open(&res.st);
	if (make_env(dev, r.dir ? mnt : NULL) < 0) {
		msg("too many environment variables for CMD (%d at most)", ENV_MAX);
		release(res.fd, res.nr, res.st.dev, r.timeout_ms);
		return EXIT_FAIL;
	}

	if (r.dir) {
		struct mount_req mreq = {
			.fd = res.fd, .dev = dev, .dir = mnt, .type = r.type,
			.opts = r.opts, .ro = r.req.ro || (res.warn & AW_RO_FALLBACK),
		};
		struct mount_res mres;
		if (loop_mount(&mreq, &mres) < 0) {
			msg("%s: %s", image, mres.why);
			release(res.fd, res.nr, res.st.dev, r.timeout_ms);
			return EXIT_FAIL;
		}
	}

	int status = run_cmd(r.cmd);
	int bad = status < 0;
	if (r.dir && unmount(mnt) < 0)
		bad = 1;
	if (release(res.fd, res.nr, res.st.dev, r.timeout_ms) < 0)
		bad = 1;
	if (bfd < 0) {
		msg_errno(bfd == -ESTALE ? 0 : bfd, "%s: cannot flush it%s", image,
			  bfd == -ESTALE ? ": the path now names another file" : "");
		bad = 1;
	} else {
		int e = backing_sync(bfd);
		if (e < 0) {
			msg_errno(e, "%s: fsync", image);
			bad = 1;
		}
		close(bfd);
	}
	if (status > 0)
		return status;
	return bad ? EXIT_FAIL : EXIT_OK;
}
