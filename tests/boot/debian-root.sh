#!/bin/sh
# debian-root.sh: a real Debian bookworm root filesystem with systemd, for
# boot tests that must reach a real multi-user system rather than a toy
# init. Built once with mmdebstrap (about 20 s and 220 MB from Debian's
# archive) and kept as a tarball under build/, so later runs only unpack.
#
# usage: debian-root.sh [-a ARCH] [-i PKG,PKG...] DIR
#   DIR   is created (must not exist) and filled with the root tree
#   -a    Debian architecture (default: the machine's)
#   -i    more packages (each set of packages has its own cached tarball)
# The root: minbase + systemd-sysv + udev, root's password empty, serial
# console getty enabled, hostname "loopbox-test", no network units waiting.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
arch=$(dpkg --print-architecture) more=
while getopts a:i:h opt; do
	case $opt in
	a) arch=$OPTARG ;;
	i) more=$OPTARG ;;
	h) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: debian-root.sh [-a ARCH] [-i PKGS] DIR" >&2; exit 2; }
out=$1
[ ! -e "$out" ] || { echo "debian-root.sh: $out: exists" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "debian-root.sh: mmdebstrap missing (apt-get install mmdebstrap)" >&2; exit 1; }

pkgs=systemd-sysv,udev${more:+,$more}
key=$(printf '%s %s' "$arch" "$pkgs" | md5sum | cut -c1-12)
cache=$top/build/debian-root/bookworm-$arch-$key.tar
if [ ! -f "$cache" ]; then
	mkdir -p "${cache%/*}"
	# mmdebstrap wants a new file whose name ends in .tar.
	tmp=$(mktemp -d "$cache.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	echo "debian-root.sh: mmdebstrap bookworm ($arch: $pkgs) into $cache" >&2
	# The customize hooks run outside the root with $1 = the root.
	mmdebstrap --quiet --variant=minbase --arch="$arch" --include="$pkgs" \
		--customize-hook='passwd --root "$1" -d root >/dev/null' \
		--customize-hook='echo loopbox-test >"$1/etc/hostname"' \
		--customize-hook='ln -sf /lib/systemd/system/serial-getty@.service "$1/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"' \
		--customize-hook='rm -f "$1/etc/machine-id"; : >"$1/etc/machine-id"' \
		bookworm "$tmp/root.tar" >&2
	mv -f "$tmp/root.tar" "$cache"
	rm -rf "$tmp"
	trap - EXIT
fi
mkdir -p "$out"
tar -C "$out" -xf "$cache"
