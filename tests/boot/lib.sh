# Shared by tests/boot/scenarios.sh, tests/demo.sh and tests/bench/boot.sh:
# build the disks and initramfs for boot-mode VMs without touching a loop
# device on the build machine (mkfs -d on plain files, sgdisk on a file,
# dd conv=notrunc to place partitions).
#
# Needs: $TOP (the repository), $BOOTDIR (scratch directory, created).

: "${TOP:?}" "${BOOTDIR:?}"
VM=$TOP/tests/boot/vm.sh
BUSYBOX=${BUSYBOX:-/bin/busybox}
# The kernel: KERNEL (with KVER and MODBASE) from the caller, else Debian's
# kernel of FLAVOR (cloud unless told), unpacked under build/ by kernel.sh.
if [ -z "${KERNEL:-}" ]; then
	eval "$(sh "$TOP/tests/boot/kernel.sh" "${FLAVOR:-cloud}")" || KERNEL=
fi
KVER=${KVER:-${KERNEL##*/vmlinuz-}}
MODBASE=${MODBASE:-/lib/modules/$KVER}
MIB=1048576

# Fixed identities, so cmdlines can name them.
HOST_PARTUUID=6a1e0b2c-0001-4a5b-8c7d-00000000c0de
HOST2_PARTUUID=6a1e0b2c-0002-4a5b-8c7d-00000000c0de
IMGP2_PARTUUID=4b1d0000-0002-4e00-9000-0000000b0071
HOST_UUID=0d3e5c1a-1111-4222-8333-0123456789ab

# The "real init" every image boots: it prints what it sees, then powers
# off. Kernel words "t_write=X" / "t_bench=1" reach it through the
# environment (the kernel hands unknown key=value words to /init, and
# loopbox's /init passes its environment on).
real_init() {
	cat <<'EOF'
#!/bin/sh
export PATH=/bin:/sbin
echo "REAL-INIT pid=$$ args=$*"
if [ -n "${t_bench:-}" ]; then
	dmesg | grep -E 'Run /init as init process|BENCH-END|bb-init:' | sed 's/^/BENCH: /'
fi
awk '{ for (i = 7; $i != "-"; i++); m = $(i + 2) " " $(i + 1) " " substr($6, 1, 2)
       if ($5 == "/") r = m; if ($5 == "/host") h = m }
     END { print "ROOT=" r; print "HOST=" (h == "" ? "none" : h) }' /proc/self/mountinfo
echo "HOST-LS=$(ls /host 2>/dev/null | tr '\n' ' ')"
[ -f /persist ] && echo "PERSIST=$(cat /persist)"
if [ -n "${t_write:-}" ]; then
	echo "$t_write" >/persist && sync && echo "WROTE=$t_write"
	mount -o remount,ro / 2>/dev/null
	sync
fi
echo REAL-INIT-DONE
sync
poweroff -f
EOF
}

# /sbin/init in every image: a tiny static program that stamps the kernel
# log the moment the real init runs (the benchmark's end point, before a
# 2 MiB busybox is paged in from the image), then runs the script.
mk_stamp() {
	[ -x "$BOOTDIR/stamp" ] && return 0
	cat >"$BOOTDIR/stamp.c" <<'EOF'
#include <fcntl.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int fd = open("/dev/kmsg", O_WRONLY);
	if (fd >= 0)
		write(fd, "BENCH-END\n", 10);
	argv[0] = "/sbin/init.sh";
	execv(argv[0], argv);
	return 127;
}
EOF
	musl-gcc -Os -static -o "$BOOTDIR/stamp" "$BOOTDIR/stamp.c" && strip "$BOOTDIR/stamp"
}

# A root tree: static busybox, /sbin/init, the mount points boot needs.
mk_rootdir() { # DIR NAME
	mk_stamp || return 1
	rm -rf "$1"
	mkdir -p "$1/bin" "$1/sbin" "$1/dev" "$1/proc" "$1/sys" "$1/run" \
		"$1/host" "$1/etc" "$1/tmp"
	cp "$BUSYBOX" "$1/bin/busybox"
	for a in sh awk ls cat echo mount sync poweroff dmesg grep sed tr sleep; do
		ln -s busybox "$1/bin/$a"
	done
	real_init >"$1/sbin/init.sh"
	cp "$BOOTDIR/stamp" "$1/sbin/init"
	chmod 755 "$1/sbin/init" "$1/sbin/init.sh"
	echo "$2" >"$1/etc/image-name"
}

mk_ext4() { # FILE SIZE_MIB LABEL DIR [UUID]
	rm -f "$1"
	mkfs.ext4 -q -F -L "$3" ${5:+-U "$5"} -d "$4" "$1" "${2}M" >/dev/null
}

mk_sqfs() { # FILE DIR
	rm -f "$1"
	mksquashfs "$2" "$1" -noappend -quiet -comp gzip -all-root >/dev/null
}

mk_erofs() { # FILE DIR
	rm -f "$1"
	mkfs.erofs -q "$1" "$2" >/dev/null 2>&1 || mkfs.erofs "$1" "$2" >/dev/null
}

# A GPT disk from partition images: mk_gpt DISK "IMG:PARTUUID:NAME" ...
# Partitions start at 1 MiB and are MiB-aligned.
mk_gpt() {
	disk=$1
	shift
	total=2
	for p in "$@"; do
		f=${p%%:*}
		total=$((total + ($(stat -c %s "$f") + MIB - 1) / MIB))
	done
	rm -f "$disk"
	truncate -s $((total * MIB)) "$disk"
	sgdisk -Z "$disk" >/dev/null 2>&1 || true
	n=1 start=1
	for p in "$@"; do
		f=${p%%:*} rest=${p#*:}
		uuid=${rest%%:*} name=${rest#*:}
		mib=$((($(stat -c %s "$f") + MIB - 1) / MIB))
		sgdisk -n "$n:$((start * 2048)):+${mib}M" -u "$n:$uuid" \
			-c "$n:$name" "$disk" >/dev/null
		dd if="$f" of="$disk" bs=1M seek=$start conv=notrunc status=none
		n=$((n + 1)) start=$((start + mib))
	done
}

mk_initrd() { # OUT [mkinitramfs options...]
	o=$1
	shift
	sh "$TOP/initramfs/mkinitramfs" -q -k "$KVER" -b "$MODBASE" -l "$TOP/build/loopbox" \
		-d virtio_pci,virtio_blk -f ext4,squashfs,erofs "$@" -o "$o"
}

# Everything the scenarios boot. Takes a few seconds.
boot_setup() {
	mkdir -p "$BOOTDIR"
	cd "$BOOTDIR" || return 1
	mk_rootdir tree-ext4 ext4-image
	mk_rootdir tree-sqfs squashfs-image
	mk_rootdir tree-erofs erofs-image
	mk_rootdir tree-gpt gpt-partition-image
	mk_rootdir tree-off offset-image
	mk_rootdir tree-rw rw-image
	mk_rootdir host-tree plain-root
	mkdir -p host-tree/images
	mk_ext4 host-tree/images/root.ext4 16 IMGROOT tree-ext4
	mk_sqfs host-tree/images/root.sqfs tree-sqfs
	mk_erofs host-tree/images/root.erofs tree-erofs
	mk_ext4 host-tree/images/rw.ext4 16 RWROOT tree-rw
	: >host-tree/images/empty.img
	# A 1 MiB header, then the filesystem: loopoffset=1048576.
	mk_ext4 off.fs 16 OFFROOT tree-off
	{ head -c $MIB /dev/zero | tr '\0' 'H'; cat off.fs; } >host-tree/images/raw-offset.img
	rm -f off.fs
	# A disk image with the root in partition 2.
	mk_sqfs p2.sqfs tree-gpt
	head -c $MIB /dev/zero >p1.bin
	mk_gpt host-tree/images/disk.img "p1.bin:0b1d0000-0001-4e00-9000-0000000b0071:junk" \
		"p2.sqfs:$IMGP2_PARTUUID:system"
	rm -f p1.bin p2.sqfs
	mk_ext4 host.ext4 96 HOST host-tree "$HOST_UUID"
	mkdir -p host2-tree/images
	cp host-tree/images/root.sqfs host2-tree/images/
	mk_ext4 host2.ext4 24 HOST2 host2-tree
	mk_gpt disk.img "host.ext4:$HOST_PARTUUID:hostfs" "host2.ext4:$HOST2_PARTUUID:second"
	rm -f host.ext4 host2.ext4
	# A disk nobody asked for, for "absent host" (shows in the listing).
	mk_ext4 other.img 8 OTHER tree-ext4
	mk_initrd initrd.img
	rm -rf tree-* host-tree host2-tree
}

# boot NAME APPEND [vm.sh options]: console log in $BOOTDIR/NAME.log.
boot() {
	name=$1 append=$2
	shift 2
	sh "$VM" -k "$KERNEL" -K "$KVER" -M "$MODBASE" -i "${INITRD:-$BOOTDIR/initrd.img}" \
		-a "$append" -o "$BOOTDIR/$name.log" "$@"
}

# expect NAME PATTERN...: every pattern (grep -E) is in the log; prints
# what is missing and the log's tail otherwise.
expect() {
	name=$1
	shift
	bad=
	for pat in "$@"; do
		grep -qE -- "$pat" "$BOOTDIR/$name.log" || bad="$bad
  missing: $pat"
	done
	if [ -n "$bad" ]; then
		echo "$name:$bad"
		tail -n 25 "$BOOTDIR/$name.log" | sed 's/^/  | /'
		return 1
	fi
	return 0
}

# refute NAME PATTERN: the log must not have it.
refute() {
	if grep -qE -- "$2" "$BOOTDIR/$1.log"; then
		echo "$1: unexpected: $2"
		grep -E -- "$2" "$BOOTDIR/$1.log" | head -n 3 | sed 's/^/  | /'
		return 1
	fi
	return 0
}
