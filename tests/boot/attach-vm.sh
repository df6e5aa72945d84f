#!/bin/sh
# The attach engine's checks on Debian's 6.1 kernel (issue 3): builds two
# ext4 disks (one with 4096-byte logical sectors) holding the test images
# and build/test/loopbox, boots tests/boot/vm.sh with
# tests/boot/attach-vm.inner.sh as the script, and reports its PASS/FAIL
# lines.   sh tests/boot/attach-vm.sh [-v]     (root: one host loop device
# is used, and detached, to write the 4Kn GPT image)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ -x "$top/build/loopbox" ] || { echo "attach-vm: build/loopbox missing (make)" >&2; exit 2; }
[ -x "$top/build/test/loopbox" ] || { echo "attach-vm: build/test/loopbox missing (make CONFIG=test)" >&2; exit 2; }
W=$(mktemp -d /tmp/attach-vm.XXXXXX)
g4=
cleanup() {
	[ -n "$g4" ] && /sbin/losetup -d "$g4" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

S=$W/stage
mkdir -p "$S" "$W/stage4"
mkdir -p "$S/t"
cp "$top/build/test/loopbox" "$S/t/loopbox" # argv[0] must be loopbox
head -c 33554432 /dev/urandom >"$S/plain"
truncate -s 64M "$S/gpt.img" "$S/mbr.img" "$S/g4.img"
printf 'label: gpt\nstart=2048, size=16384, type=L, name="alpha"\nstart=18432, size=32768, type=L, name="beta"\n' |
	sfdisk -q "$S/gpt.img" >/dev/null
printf 'label: dos\nstart=2048, size=8192, type=83\nstart=10240, size=40960, type=5\nstart=12288, size=4096, type=83\nstart=18432, size=8192, type=83\n' |
	sfdisk -q "$S/mbr.img" >/dev/null
# sfdisk 2.38 has no --sector-size: a 4Kn table is written through a
# 4096-byte-sector loop device.
g4=$(/sbin/losetup -f --show -b 4096 "$S/g4.img")
printf 'label: gpt\nstart=256, size=2048, type=L\nstart=2304, size=4096, type=L\n' |
	sfdisk -q "$g4" >/dev/null
/sbin/losetup -d "$g4"
g4=
head -c 8388608 /dev/urandom >"$W/stage4/img"
mkfs.ext4 -q -F -d "$S" "$W/a.raw" 384M
mkfs.ext4 -q -F -b 4096 -d "$W/stage4" "$W/k.raw" 64M

# vda: 4096-byte logical sectors; vdb: 512.
rc=0
sh "$here/vm.sh" -s "$here/attach-vm.inner.sh" -m 512M -t 400 -o "$W/log" ${1:+-v} -- \
	-drive "file=$W/k.raw,format=raw,if=none,id=k" \
	-device "virtio-blk-pci,drive=k,logical_block_size=4096,physical_block_size=4096" \
	-drive "file=$W/a.raw,format=raw,if=none,id=a" \
	-device "virtio-blk-pci,drive=a" || rc=$?
grep -E '^(kernel |PASS|FAIL|  |ATTACH-VM|vm.sh)' "$W/log" | tr -d '\r'
if ! grep -q '^ATTACH-VM: [0-9]* passed, 0 failed' "$W/log"; then
	[ $rc -ne 0 ] && echo "attach-vm: vm.sh exited $rc"
	grep -q '^ATTACH-VM' "$W/log" || tail -30 "$W/log"
	exit 1
fi
