#!/bin/sh
# Installs, with apt-get, what the build and the tests need and this machine
# lacks (a fresh Debian 12 as root). Usage: tests/deps.sh [build|check|demo|bench]
# Each package is checked by a file it provides, so a machine that has
# everything makes no apt call at all.
want=${1:-check}

need() { # FILE PACKAGE: queue PACKAGE unless FILE exists
	[ -e "$1" ] || missing="$missing $2"
}

missing=
need /usr/bin/musl-gcc musl-tools
need /usr/include/linux/loop.h linux-libc-dev
need /usr/bin/make make
need /usr/bin/cc gcc
need /sbin/losetup mount
need /sbin/mkfs.ext4 e2fsprogs
case $want in
check|demo|bench)
	need /usr/bin/qemu-system-x86_64 qemu-system-x86
	need /usr/bin/cpio cpio
	need /usr/bin/xz xz-utils
	need /usr/bin/mksquashfs squashfs-tools
	need /usr/bin/mkfs.erofs erofs-utils
	need /bin/busybox busybox-static
	need /usr/sbin/sgdisk gdisk
	need /sbin/sfdisk fdisk
	ls /boot/vmlinuz-*-cloud-amd64 >/dev/null 2>&1 || missing="$missing linux-image-cloud-amd64"
	;;
esac
case $want in
check|bench)
	need /usr/bin/clang clang
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
		missing="$missing libclang-rt-14-dev"
	need /sbin/mkfs.vfat dosfstools
	need /sbin/mkfs.exfat exfatprogs
	need /bin/mkfs.btrfs btrfs-progs
	need /sbin/mkfs.xfs xfsprogs
	need /usr/bin/xorriso xorriso
	need /usr/bin/genisoimage genisoimage
	need /usr/sbin/mkfs.f2fs f2fs-tools
	need /sbin/blkid util-linux
	;;
esac
case $want in
bench)
	need /usr/bin/hyperfine hyperfine
	need /usr/bin/toybox toybox
	need /usr/bin/time time
	;;
esac
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing:$missing (run as root to install them)" >&2
	exit 0
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null &&
	apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "deps: apt-get install$missing failed" >&2; exit 1; }
