/* Monotonic time and short sleeps, for the bounded waits and retries.
 * Raw calls: musl's clock_gettime carries its vDSO lookup (about 1 KiB),
 * and loopbox reads the clock a few times per wait, not in a hot loop.
 * These syscalls take the kernel's old timespec, two longs on every ABI
 * (musl's has a 64-bit time_t on 32-bit ABIs too); uptime fits either. */
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mini.h"

uint64_t now_usec(void)
{
	long ts[2];
	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ts);
	return (uint64_t)ts[0] * 1000000 + (uint64_t)ts[1] / 1000;
}

uint64_t now_ms(void)
{
	return now_usec() / 1000;
}

void sleep_ms(unsigned ms)
{
	long ts[2] = {(long)(ms / 1000), (long)(ms % 1000) * 1000000L};
	syscall(SYS_nanosleep, ts, NULL);
}
