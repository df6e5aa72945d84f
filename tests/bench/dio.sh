#!/bin/sh
# Page cache and speed of reading an image through a loop device, with the
# backing file opened O_DIRECT (loopbox's --direct-io=auto default, which
# engages here) and without (--direct-io=off, what other losetups do).
#   sh tests/bench/dio.sh [SIZE_MIB [DIR]]      (root; default 1024, /var/tmp)
# For each mode the caches are dropped, the device is read once with dd, and
# the growth of "Cached" (file pages: the backing file) and "Buffers" (block
# device pages: the loop device's own cache) in /proc/meminfo is printed.
# Two ways to read:
#   iflag=direct  the reader bypasses the loop device's own cache, so what
#                 grows is the backing file's cache: the double caching
#                 that DIO removes;
#   buffered      an ordinary reader: the loop device caches the data once
#                 either way, and the backing file a second time without DIO.
# Figures go to tests/bench/RESULTS-attach.md. Drops the page cache of the
# whole machine (echo 1 >/proc/sys/vm/drop_caches) before each run.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
MIB=${1:-1024}
DIR=${2:-/var/tmp}
LB=${LB:-$top/build/loopbox}
W=$(mktemp -d "$DIR/loopbox-dio.XXXXXX")
DEV=
. "$top/tests/loopnodes.sh"
nodes_save "$W/.nodes"
cleanup() {
	[ -n "$DEV" ] && /sbin/losetup -d "$DEV" 2>/dev/null
	sleep 0.2 # the detach above finishes at the device's last close
	nodes_remove_new "$W/.nodes" "$LB"
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Cached: file pages (the backing file); Buffers: block device pages (the
# loop device's own cache).
mem_kib() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }

dd if=/dev/zero of="$W/img" bs=1M count="$MIB" conv=fsync status=none
echo "image: $MIB MiB on $(df -T "$W" | awk 'NR == 2 {print $2, $1}'), kernel $(uname -r)"
printf '%-18s %-9s %4s %11s %12s %6s\n' mode read dio "file cache" "loop cache" "MiB/s"
for read in direct buffered; do
	for mode in auto off; do
		DEV=$("$LB" losetup -f --show --direct-io=$mode "$W/img") || exit 1
		dio=$(cat "/sys/block/${DEV#/dev/}/loop/dio")
		sync
		echo 1 >/proc/sys/vm/drop_caches
		c0=$(mem_kib Cached) b0=$(mem_kib Buffers)
		t0=$(date +%s%N)
		if [ $read = direct ]; then
			dd if="$DEV" of=/dev/null bs=1M iflag=direct status=none
		else
			dd if="$DEV" of=/dev/null bs=1M status=none
		fi
		t1=$(date +%s%N)
		c1=$(mem_kib Cached) b1=$(mem_kib Buffers)
		/sbin/losetup -d "$DEV"
		DEV=
		printf '%-18s %-9s %4s %7d MiB %8d MiB %6d\n' "--direct-io=$mode" "$read" "$dio" \
			$(((c1 - c0) / 1024)) $(((b1 - b0) / 1024)) $((MIB * 1000000000 / (t1 - t0)))
	done
done
