/* cycle: one attach+detach cycle as a script runs it (one process per
 * step), without a shell, so that hyperfine -N times the tools and not sh.
 *
 * usage: cycle CMD... [-- CMD...]...
 *
 * The commands run one after the other. The first line the first command
 * prints is the device name: every later "{}" argument is replaced by it,
 * as d=$(losetup -f --show IMG) && losetup -d "$d" would. Exits 1 when a
 * command fails or the first one prints nothing. */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(char **argv, int out)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (out >= 0 && dup2(out, 1) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char dev[256];
	size_t n = 0;
	int first = 1;

	for (int i = 1; i < argc;) {
		int j = i;
		while (j < argc && strcmp(argv[j], "--"))
			j++;
		argv[j < argc ? j : argc] = NULL;
		for (int k = i; k < j; k++)
			if (!first && !strcmp(argv[k], "{}"))
				argv[k] = dev;
		if (first) {
			int p[2];
			if (pipe(p) < 0)
				return 1;
			int r = run(argv + i, p[1]);
			close(p[1]);
			ssize_t m;
			while (n < sizeof(dev) - 1 &&
			       (m = read(p[0], dev + n, sizeof(dev) - 1 - n)) > 0)
				n += (size_t)m;
			close(p[0]);
			dev[n] = 0;
			dev[strcspn(dev, "\n")] = 0;
			if (r < 0 || !dev[0])
				return 1;
			first = 0;
		} else if (run(argv + i, -1) < 0) {
			return 1;
		}
		i = j + 1;
	}
	return 0;
}
