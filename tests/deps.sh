#!/bin/sh
# Installs, with apt-get, what the build and the tests need and this machine
# lacks (a fresh Debian 12 as root). Usage: tests/deps.sh [build|check|demo|bench]
# Each package is checked by a file it provides, so a machine that has
# everything makes no apt call at all.
want=${1:-check}

# FILE PACKAGE: queue PACKAGE unless FILE exists; a bare command name is
# looked up in the sbin and bin directories instead.
need() {
	case $1 in
	/*) [ -e "$1" ] ;;
	*) PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v "$1" >/dev/null ;;
	esac || missing="$missing $2"
}

missing=
need musl-gcc musl-tools
need /usr/include/linux/loop.h linux-libc-dev
need make make
need cc gcc
need losetup mount
need mkfs.ext4 e2fsprogs
case $want in
check|demo|bench)
	need qemu-system-x86_64 qemu-system-x86
	need cpio cpio
	need xz xz-utils
	need mksquashfs squashfs-tools
	need mkfs.erofs erofs-utils
	# The initramfs needs a static busybox; Debian's plain busybox is
	# dynamic (installing busybox-static replaces it).
	{ ldd /bin/busybox 2>&1 | grep -q 'not a dynamic'; } || missing="$missing busybox-static"
	need sgdisk gdisk
	need sfdisk fdisk
	# The VMs' kernels are unpacked under build/ (tests/boot/kernel.sh),
	# never installed: that needs apt-get download, dpkg-deb and depmod.
	need depmod kmod
	# A real Debian root with systemd for the boot tests (debian-root.sh).
	need mmdebstrap mmdebstrap
	;;
esac
case $want in
check|bench)
	need clang clang
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
		missing="$missing libclang-rt-14-dev"
	need mkfs.vfat dosfstools
	need mkfs.exfat exfatprogs
	need mkfs.btrfs btrfs-progs
	need mkfs.xfs xfsprogs
	need xorriso xorriso
	need genisoimage genisoimage
	need mkfs.f2fs f2fs-tools
	need blkid util-linux
	;;
esac
case $want in
bench)
	need hyperfine hyperfine
	need toybox toybox
	need /usr/bin/time time
	need perf linux-perf
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
