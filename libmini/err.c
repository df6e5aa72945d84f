/* The one message shape: "loopbox: APPLET: what: why". This is the only
 * file in libmini that writes; library functions never call it, applets do.
 * A message is formatted into one buffer and written with a single
 * write(2), so it never interleaves with another process's. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mini.h"

const char *applet_name = "loopbox";

static void vsay(int err, const char *prefix, const char *fmt, va_list ap)
{
	char text[1024], buf[1024];
	int top = !strcmp(applet_name, "loopbox");
	vsnprintf(text, sizeof(text), fmt, ap);
	int n = snprintf(buf, sizeof(buf), "loopbox: %s%s%s%s%s%s",
			 top ? "" : applet_name, top ? "" : ": ", prefix, text,
			 err ? ": " : "", err ? strerror(err) : "");
	if ((unsigned)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* Flush our stdout first so the order on a shared terminal is ours. */
	fflush(stdout);
	(void)!write(2, buf, n);
}

void msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(0, "", fmt, ap);
	va_end(ap);
}

void msg_errno(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(err < 0 ? -err : err, "", fmt, ap);
	va_end(ap);
}

void msg_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(0, "warning: ", fmt, ap);
	va_end(ap);
}

void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(0, "", fmt, ap);
	va_end(ap);
	exit(code);
}

void die_errno(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(err < 0 ? -err : err, "", fmt, ap);
	va_end(ap);
	exit(EXIT_FAIL);
}

static int out_failed;

int out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintf(fmt, ap);
	va_end(ap);
	if (n < 0)
		out_failed = 1;
	return n;
}

/* A full disk or closed pipe on stdout is a failure the caller must see. */
int out_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || out_failed)
		return -(errno ? errno : EIO);
	return 0;
}

/* --help asked for the usage: stdout, exit 0; a usage error: stderr, 2. */
void usage_exit(const char *text, int asked)
{
	if (!asked)
		die(EXIT_USAGE, "%s", text);
	out("%s\n", text);
	exit(out_flush() < 0 ? EXIT_FAIL : EXIT_OK);
}

int attach_reported(const struct attach_req *req, struct attach_res *res,
		    unsigned warn)
{
	int r = loop_attach(req, res);
	if (r < 0 && res->why[0])
		msg("%s: %s", req->file, res->why);
	else if (r < 0)
		msg_errno(r, "%s: %s", req->file,
			  res->failed_step ? res->failed_step : "attach");
	char why[256];
	while (r >= 0 && attach_warning(res, &warn, why, sizeof(why)))
		msg_warn("%s: %s", req->file, why);
	return r;
}

void msg_users(const char *obj, const char *what, const struct users *u)
{
	char list[512];
	pids_words(u->n, u->pid, u->comm, USERS_MAX, list, sizeof(list));
	msg("%s: %s %s", obj, what, list);
}
