/* switch_root: leave an initramfs for the real root.
 *
 * usage: switch_root [-c CONSOLE] NEWROOT INIT [ARGS...]
 *
 * Checks first (PID 1, "/" is ramfs/tmpfs, NEWROOT is another mount, INIT
 * is executable inside it, the mount points exist), then moves /dev /proc
 * /sys /run into NEWROOT, deletes the initramfs without crossing mounts,
 * moves NEWROOT onto "/", chroots and execs INIT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mini.h"
#include "boot.h"
#include "applets.h"

static const char usage_text[] = "usage: switch_root [-c CONSOLE] NEWROOT INIT [ARGS...]";

static _Noreturn void usage(int asked)
{
	usage_exit(usage_text, asked);
}

int switch_root_main(int argc, char **argv)
{
	struct sroot r;
	int i = 1;

	memset(&r, 0, sizeof(r));
	/* Options end at NEWROOT: INIT's own arguments may look like ours,
	 * so the table parser (which permutes) is not used here. */
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-c") || !strcmp(a, "--console")) {
			if (++i >= argc)
				usage(0);
			r.console = argv[i];
		} else if (!strncmp(a, "--console=", 10)) {
			r.console = a + 10;
		} else if (!strncmp(a, "-c", 2)) {
			r.console = a + 2;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(1);
		} else {
			msg("%s: unknown option", a);
			usage(0);
		}
	}
	if (argc - i < 2)
		usage(0);
	r.newroot = argv[i];
	r.init = argv[i + 1];
	r.argv = argv + i + 1;

	int e = sroot_check(&r);
	if (e < 0)
		die_errno(e, "%s: %s", r.step, r.what);
	e = sroot_switch(&r);
	die_errno(e, "%s: %s%s", r.step, r.what,
		  r.keep_going ? " (the initramfs is already deleted)" : "");
}
