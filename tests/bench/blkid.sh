#!/bin/sh
# loopbox blkid against util-linux blkid, with hyperfine:
#  1. a set of image files (ext4, vfat, xfs, btrfs, iso9660, squashfs, GPT
#     disk) probed by name, `blkid -p` for util-linux;
#  2. every block device (no operand), with a few loop devices attached to
#     those images so there is something to find; util-linux without its
#     cache (-c /dev/null), since we have none either.
# Needs root for part 2 (skipped otherwise). Prints hyperfine's summary,
# which gives the ratio. Usage: sh tests/bench/blkid.sh [RUNS]
top=$(cd "$(dirname "$0")/../.." && pwd)
LB=${LB:-$top/build/loopbox}
UB=$(command -v blkid || echo /sbin/blkid)
runs=${1:-200}
for t in hyperfine "$UB" "$LB"; do
	command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] || { echo "SKIP: $t missing"; exit 0; }
done
tmp=$(mktemp -d /tmp/blkid-bench.XXXXXX)
loops=
. "$top/tests/loopnodes.sh"
nodes_save "$tmp/.nodes"
cleanup() {
	for l in $loops; do losetup -d "$l" 2>/dev/null; done
	sleep 0.2 # the detaches above finish at the devices' last close
	nodes_remove_new "$tmp/.nodes" "$LB"
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
cd "$tmp" || exit 1
mkdir tree && echo x >tree/f
truncate -s 32M ext4.img && mkfs.ext4 -q -L e4 ext4.img
truncate -s 40M vfat.img && mkfs.vfat -F 32 -n V vfat.img >/dev/null 2>&1
truncate -s 300M xfs.img && mkfs.xfs -q -L x xfs.img 2>/dev/null
truncate -s 128M btrfs.img && mkfs.btrfs -q -L b btrfs.img >/dev/null 2>&1
mksquashfs tree sq.img -quiet -noappend >/dev/null 2>&1
xorriso -as mkisofs -quiet -V ISO -o iso.img tree 2>/dev/null
truncate -s 64M gpt.img && sgdisk -n1:2048:0 gpt.img >/dev/null 2>&1
imgs=$(ls *.img)
echo "== image files: $(echo $imgs)"
hyperfine -N -w 20 -r "$runs" --export-markdown files.md \
	"$LB blkid -p $(echo $imgs)" "$UB -p $(echo $imgs)" 2>&1 | grep -v '^ *$'
if [ "$(id -u)" = 0 ] && [ -e /dev/loop-control ]; then
	for i in $imgs; do
		l=$(losetup -f --show -r "$i" 2>/dev/null) && loops="$loops $l"
	done
	echo "== all block devices ($(ls /sys/class/block | wc -l) in /sys/class/block, loops:$loops)"
	hyperfine -N -w 20 -r "$runs" -i --export-markdown all.md \
		"$LB blkid" "$UB -c /dev/null" 2>&1 | grep -v '^ *$'
else
	echo "SKIP: all-devices run needs root and loop devices"
fi
