#!/bin/sh
# kernel.sh: a Debian kernel for the test VMs, unpacked under build/kernels/
# rather than installed: installing one adds a kernel to the machine and can
# change the boot loader's default.
#
# usage: kernel.sh [-a ARCH] [FLAVOR]
#   FLAVOR  cloud (default: Debian's linux-image-cloud-ARCH; virtio only,
#           ext4 built in) | generic (linux-image-ARCH: USB, AHCI, NVMe, SD
#           and most filesystems as modules) | armmp (armhf) | any Debian
#           linux-image-* package name
#   ARCH    Debian architecture (default: the machine's); a foreign one
#           must have been added with dpkg --add-architecture
#
# Prints three shell assignments for eval:
#   KERNEL=.../boot/vmlinuz-KVER  KVER=KVER  MODBASE=.../lib/modules/KVER
# MODBASE is a module tree with modules.dep (depmod -b was run) and the
# kernel's config as MODBASE/config, which is what mkinitramfs -b reads.
# The package is fetched once (apt-get download) and kept in build/kernels.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
arch=$(dpkg --print-architecture)
while getopts a:h opt; do
	case $opt in
	a) arch=$OPTARG ;;
	h) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
flavor=${1:-cloud}
die() { echo "kernel.sh: $*" >&2; exit 1; }

case $flavor in
cloud) meta=linux-image-cloud-$arch ;;
generic) meta=linux-image-$arch ;;
armmp) meta=linux-image-armmp ;;
linux-image-*) meta=$flavor ;;
*) die "$flavor: unknown flavor (cloud, generic, armmp or a package name)" ;;
esac
[ "$arch" = "$(dpkg --print-architecture)" ] && q=$meta || q=$meta:$arch

# The meta package names the versioned image package of the archive.
pkg_of() {
	apt-cache depends "$q" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*\).*/\1/p' | head -n 1
}
pkg=$(pkg_of)
case $meta in linux-image-[0-9]*) pkg=$meta ;; esac
if [ -z "$pkg" ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	pkg=$(pkg_of)
fi
[ -n "$pkg" ] || die "$q: not in the package lists (for a foreign ARCH: dpkg --add-architecture $arch && apt-get update)"

dir=$top/build/kernels/${pkg}_$arch
if [ ! -d "$dir" ]; then
	# Unpacked in a directory of its own, renamed into place when complete:
	# two runs at once each unpack, one rename wins, neither sees half a
	# tree.
	mkdir -p "$top/build/kernels"
	new=$(mktemp -d "$dir.XXXXXX")
	trap 'rm -rf "$new"' EXIT
	echo "kernel.sh: fetching $pkg ($arch) into $dir" >&2
	[ "$q" = "$meta" ] && dq=$pkg || dq=$pkg:$arch
	mkdir "$new/deb"
	(cd "$new/deb" && apt-get download -qq "$dq" >/dev/null 2>&1) ||
		{ apt-get update -qq >/dev/null 2>&1 || true
		  (cd "$new/deb" && apt-get download -qq "$dq" >/dev/null); } ||
		die "$dq: apt-get download failed"
	dpkg-deb -x "$new"/deb/*.deb "$new/root"
	rm -rf "$new/deb"
	# Debian's packages before usrmerge put modules in /lib, later ones
	# in /usr/lib; depmod -b wants BASE/lib/modules.
	if [ ! -d "$new/root/lib/modules" ] && [ -d "$new/root/usr/lib/modules" ]; then
		ln -s usr/lib "$new/root/lib"
	fi
	kv=$(ls "$new/root/lib/modules" | head -n 1)
	[ -n "$kv" ] || die "$pkg: no lib/modules in the package"
	depmod -b "$new/root" "$kv" || die "$pkg: depmod failed"
	cp "$new/root/boot/config-$kv" "$new/root/lib/modules/$kv/config"
	# depmod -b wrote absolute paths nowhere: the tree can move.
	mv -T "$new" "$dir" 2>/dev/null || rm -rf "$new"
	trap - EXIT
fi
kv=$(ls "$dir/root/lib/modules" | head -n 1)
k=$(ls "$dir/root/boot/vmlinuz-$kv" "$dir/root/boot/vmlinux-$kv" 2>/dev/null | head -n 1)
[ -n "$k" ] || die "$pkg: no vmlinuz in $dir/root/boot"
printf "KERNEL='%s' KVER='%s' MODBASE='%s'\n" "$k" "$kv" "$dir/root/lib/modules/$kv"
