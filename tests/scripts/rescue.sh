#!/bin/sh
# Rescue session on partition 2 of a disk image: check the filesystem,
# look at it read-only and save its logs, then (only if asked) repair it
# read-write. Every device and mount is private to one command and gone,
# with the image flushed, when that command returns.
#
#   usage: rescue.sh DISK [CMD [ARGS...]]
#
# CMD runs with the partition mounted read-write at $LOOPMNT (device in
# $LOOPDEV); for an interactive repair shell: rescue.sh disk.img sh
# RESCUE_OUT is where the logs are saved (default ./rescued).
# LOOPBOX names the loopbox binary (default: loopbox in PATH).
set -eu
LOOPBOX=${LOOPBOX:-loopbox}
disk=$1
shift
out=${RESCUE_OUT:-./rescued}
mnt=$(mktemp -d)
trap 'rmdir "$mnt"' EXIT

# 1. Check it unmounted, changing nothing (-n): 0 clean, 4 errors left.
echo "== e2fsck -n of partition 2"
if "$LOOPBOX" run -r --partition 2 "$disk" -- sh -c 'e2fsck -fn "$LOOPDEV"'; then
	echo "== filesystem is clean"
else
	echo "== e2fsck found problems (exit $?); to repair (unmounted):"
	echo "   $LOOPBOX run --partition 2 $disk -- sh -c 'e2fsck -fy \$LOOPDEV'"
fi

# 2. Look around read-only, and save the logs before anything else.
mkdir -p "$out"
"$LOOPBOX" run -r --partition 2 --mount "$mnt" "$disk" -- sh -c '
	echo "== /etc/fstab"
	cat "$LOOPMNT/etc/fstab"
	echo "== largest files"
	(cd "$LOOPMNT" && du -a . | sort -rn | sed -n 2,6p)
	cp -R "$LOOPMNT/var/log/." "$1"
	echo "== logs saved to $1"' sh "$out"

# 3. Repair, read-write, only with a command. The mount is visible to CMD
#    alone; ^C or kill reaches CMD, and the teardown still happens.
if [ $# -gt 0 ]; then
	echo "== running $* with partition 2 mounted at \$LOOPMNT"
	"$LOOPBOX" run --partition 2 --mount "$mnt" "$disk" -- "$@"
fi
