/* Multi-call dispatch: by the basename of argv[0], or `loopbox APPLET ...`.
 * An applet whose feature is off has a NULL entry: its code is never
 * referenced and --gc-sections drops it. */
#include <stdio.h>
#include <string.h>

#include "mini.h"
#include "applets.h"

#ifndef ENABLE_LOSETUP
#define ENABLE_LOSETUP 0
#endif
#ifndef ENABLE_BLKID
#define ENABLE_BLKID 0
#endif
#ifndef ENABLE_INIT
#define ENABLE_INIT 0
#endif
#ifndef ENABLE_SWITCH_ROOT
#define ENABLE_SWITCH_ROOT 0
#endif
#ifndef ENABLE_LOOPMOUNT
#define ENABLE_LOOPMOUNT 0
#endif
#ifndef ENABLE_RUN
#define ENABLE_RUN 0
#endif

struct applet {
	const char *name;
	int (*main)(int, char **);
};

/* Sorted by name. */
static const struct applet applets[] = {
	{"blkid", ENABLE_BLKID ? blkid_main : NULL},
	{"init", ENABLE_INIT ? init_main : NULL},
	{"loopmount", ENABLE_LOOPMOUNT ? loopmount_main : NULL},
	{"loopumount", ENABLE_LOOPMOUNT ? loopumount_main : NULL},
	{"losetup", ENABLE_LOSETUP ? losetup_main : NULL},
	{"run", ENABLE_RUN ? run_main : NULL},
	{"switch_root", ENABLE_SWITCH_ROOT ? switch_root_main : NULL},
};

static const struct applet *find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(applets); i++)
		if (applets[i].main && !strcmp(applets[i].name, name))
			return &applets[i];
	return NULL;
}

static int usage(int code)
{
	FILE *f = code ? stderr : stdout;
	fprintf(f, "loopbox " LOOPBOX_VERSION
		   ": loop devices without surprises\n"
		   "Usage: loopbox APPLET [ARGS...] | loopbox --list\n"
		   "Applets:");
	for (size_t i = 0; i < ARRAY_SIZE(applets); i++)
		if (applets[i].main)
			fprintf(f, " %s", applets[i].name);
	fputc('\n', f);
	return code;
}

int main(int argc, char **argv)
{
	const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : (argv[0] ? argv[0] : "loopbox");
	/* The kernel runs an initramfs /init with argv[0] "/init". */
	const struct applet *a = find(base);
	if (!a && strcmp(base, "loopbox")) {
		applet_name = base;
		die(EXIT_USAGE, "unknown applet");
	}
	if (!a) {
		if (argc < 2)
			return usage(EXIT_USAGE);
		if (!strcmp(argv[1], "--list")) {
			for (size_t i = 0; i < ARRAY_SIZE(applets); i++)
				if (applets[i].main)
					printf("%s\n", applets[i].name);
			return out_flush() ? EXIT_FAIL : EXIT_OK;
		}
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
			return usage(EXIT_OK);
		if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
			printf("loopbox " LOOPBOX_VERSION "\n");
			return EXIT_OK;
		}
		a = find(argv[1]);
		if (!a)
			die(EXIT_USAGE, "%s: unknown applet (try --list)", argv[1]);
		argc--;
		argv++;
	}
	applet_name = a->name;
	return a->main(argc, argv);
}
