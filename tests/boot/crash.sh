#!/bin/sh
# crash.sh: is the data written through a loop device on storage when
# `losetup -d` returns? Crash consistency under QEMU (Debian's 6.1 cloud
# kernel, where a sole opener's LOOP_CLR_FD tears down inside the ioctl).
#
# Each run boots a fresh VM whose /init (busybox sh) mounts the ext4 virtio
# disk, attaches /mnt/img (buffered IO, the util-linux default), writes a
# random pattern through the loop device with dd (no sync), detaches with
# the tool under test and prints a marker. The host SIGKILLs QEMU the moment
# the marker appears: whatever the guest still held in RAM is lost, as in a
# crash of the guest right after detach returned. The host then replays the
# ext4 journal (e2fsck) and compares /img inside the disk image with the
# pattern. QEMU's own writes are in the host's page cache, which the SIGKILL
# does not touch: the virtual disk keeps everything the guest had sent to
# it. So this measures "left the guest's RAM", not a disk's volatile write
# cache (the flush loopbox's fsync sends for that is not observed here).
#
# Scenarios:
#   plain  dd writes and exits, then detach
#   held   a process writes and keeps the device open during the detach
#          (loopbox exits 1 there, naming the holder; the data must still
#          be on disk)
# Tools: ours (build/loopbox losetup -d) and util-linux (/sbin/losetup -d,
# copied into the guest with its libraries). Both attach the same way
# (loopbox, --direct-io=off): only the detach differs.
#
# usage: crash.sh [-n RUNS] [-t "ours util-linux"] [-s "plain held"]
#                 [-o RESULTS.md] [-v]
# Exit: 0 when every "ours" run was intact, 1 otherwise, 2 on missing
# prerequisites (a "SKIP: reason" line says which). util-linux's figures
# are reported, never judged.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
LB=${LB:-$top/build/loopbox}
runs=20 tools="ours util-linux" scens="plain held" results= verbose=
while getopts n:t:s:o:vh opt; do
	case $opt in
	n) runs=$OPTARG ;;
	t) tools=$OPTARG ;;
	s) scens=$OPTARG ;;
	o) results=$OPTARG ;;
	v) verbose=1 ;;
	h) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) exit 2 ;;
	esac
done

skip() { echo "SKIP: $*"; exit 2; }
k=$(sh "$here/kernel.sh" cloud) || skip "no cloud kernel (tests/boot/kernel.sh)"
eval "$k"
kernel=$KERNEL kver=$KVER
for c in qemu-system-x86_64 mkfs.ext4 e2fsck debugfs cpio; do
	command -v $c >/dev/null || skip "$c missing"
done
[ -x "$LB" ] || skip "$LB missing (make)"
busybox=/bin/busybox
# (Debian's static busybox contains the string "ld-linux": ask ldd.)
[ -x $busybox ] && ! ldd $busybox >/dev/null 2>&1 || skip "no static /bin/busybox (busybox-static)"
ul=/sbin/losetup
case " $tools " in *" util-linux "*)
	[ -x $ul ] || skip "$ul (util-linux) missing" ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/crash.XXXXXX")
qpid= wpid=
cleanup() {
	[ -n "$qpid" ] && kill -9 "$qpid" 2>/dev/null
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

MIB=1048576
SIZE=$((4 * MIB))
head -c $SIZE /dev/urandom >"$tmp/pattern"
mkdir "$tmp/fs"
head -c $SIZE /dev/urandom >"$tmp/fs/img" # "old" content: never sparse
cp "$tmp/fs/img" "$tmp/old"
mkfs.ext4 -q -F -d "$tmp/fs" "$tmp/pristine.img" 64M >/dev/null || skip "mkfs.ext4 -d failed"
rm -rf "$tmp/fs"

cat >"$tmp/init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
while read -r m; do insmod "$m" 2>/dev/null; done </etc/loopbox/modules
i=0; while [ ! -e /dev/vda ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
for w in $(cat /proc/cmdline); do
	case $w in lbtool=*) tool=${w#*=} ;; lbscen=*) scen=${w#*=} ;; esac
done
mkdir -p /mnt
mount -t ext4 /dev/vda /mnt || { echo "LBX-FAIL mount"; poweroff -f; }
dev=$(/bin/loopbox losetup -f --show --direct-io=off /mnt/img) || { echo "LBX-FAIL attach"; poweroff -f; }
if [ "$scen" = held ]; then
	(
		exec 3<>"$dev"
		dd if=/pattern bs=65536 2>/dev/null >&3
		: >/held
		exec sleep 1000
	) &
	while [ ! -e /held ]; do sleep 0.01; done
else
	dd if=/pattern of="$dev" bs=65536 2>/dev/null
fi
if [ "$tool" = ours ]; then
	/bin/loopbox losetup -d --timeout 0.2 "$dev"
else
	LD_LIBRARY_PATH=/ul /ul/losetup -d "$dev"
fi
echo "LBX-DETACHED rc=$?"
sleep 1000
EOF

adds="-a $LB:/bin/loopbox -a $tmp/pattern:/pattern"
if [ -x $ul ]; then
	adds="$adds -a $ul:/ul/losetup"
	for lib in $(ldd $ul | awk '/=>/ { print $3 } /ld-linux/ && !/=>/ { print $1 }'); do
		case $lib in
		*ld-linux*) adds="$adds -a $(readlink -f "$lib"):$lib" ;;
		*) adds="$adds -a $(readlink -f "$lib"):/ul/${lib##*/}" ;;
		esac
	done
fi
# shellcheck disable=SC2086
sh "$top/initramfs/mkinitramfs" -q -k "$kver" -b "$MODBASE" -s "$tmp/init" -B $busybox \
	-d virtio_pci,virtio_blk -f ext4 $adds -o "$tmp/initrd.img" ||
	skip "mkinitramfs failed"

# One run: prints "intact", "old" (the writes are lost), "torn" (part of
# them), "nomarker" or "nofile", then the guest's detach exit code.
run() { # TOOL SCENARIO
	cp "$tmp/pristine.img" "$tmp/disk.img"
	rm -f "$tmp/con" "$tmp/log"
	mkfifo "$tmp/con"
	qemu-system-x86_64 -accel tcg -cpu max -m 256M -smp 1 -nodefaults \
		-display none -no-reboot -serial stdio -kernel "$kernel" \
		-initrd "$tmp/initrd.img" \
		-append "console=ttyS0 quiet panic=-1 lbtool=$1 lbscen=$2" \
		-drive "file=$tmp/disk.img,format=raw,if=virtio" \
		</dev/null >"$tmp/con" 2>"$tmp/qemu.err" &
	qpid=$!
	# A watchdog for a guest that never prints the marker. It must not
	# keep our stdout (the caller's $(run)) open, nor outlive the run.
	sh -c 'sleep 120 & s=$!; trap "kill $s; exit 0" TERM; wait $s; kill -9 '$qpid \
		</dev/null >/dev/null 2>&1 &
	wpid=$!
	rc=nomarker
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$tmp/log"
		case $line in
		*LBX-DETACHED*)
			kill -9 $qpid
			rc=${line#*rc=}
			rc=${rc%%[!0-9]*}
			break ;;
		*LBX-FAIL*) break ;;
		esac
	done <"$tmp/con"
	kill -9 $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	kill $wpid 2>/dev/null
	wait $wpid 2>/dev/null
	qpid= wpid=
	[ -n "$verbose" ] && sed 's/^/  | /' "$tmp/log" >&2
	if [ "$rc" = nomarker ]; then
		echo "nomarker -"
		return
	fi
	# The journal replay a real mount would do; exit 1 = "fixed".
	e2fsck -fy "$tmp/disk.img" >/dev/null 2>&1
	rm -f "$tmp/out"
	debugfs -R "dump /img $tmp/out" "$tmp/disk.img" >/dev/null 2>&1
	if [ ! -s "$tmp/out" ]; then
		echo "nofile $rc"
	elif cmp -s "$tmp/out" "$tmp/pattern"; then
		echo "intact $rc"
	elif cmp -s "$tmp/out" "$tmp/old"; then
		echo "old $rc"
	else
		echo "torn $rc"
	fi
}

fail=0
start=$(date +%s)
report=
for scen in $scens; do
	for tool in $tools; do
		intact=0 old=0 torn=0 other=0 rcs=
		i=0
		while [ $i -lt "$runs" ]; do
			set -- $(run "$tool" "$scen")
			case $1 in
			intact) intact=$((intact + 1)) ;;
			old) old=$((old + 1)) ;;
			torn) torn=$((torn + 1)) ;;
			*) other=$((other + 1)) ;;
			esac
			case " $rcs " in *" $2 "*) ;; *) rcs="$rcs $2" ;; esac
			[ -n "$verbose" ] && echo "  $scen $tool run $((i + 1)): $1 (detach exit $2)" >&2
			i=$((i + 1))
		done
		line="| $scen | $tool | $intact/$runs | $old | $torn | $other |${rcs} |"
		echo "$line"
		report="$report
$line"
		if [ "$tool" = ours ] && [ $intact -ne "$runs" ]; then
			fail=1
		fi
	done
done
secs=$(($(date +%s) - start))
echo "($secs s for $(echo $scens | wc -w) scenario(s) x $(echo $tools | wc -w) tool(s) x $runs runs)"

if [ -n "$results" ]; then
	cat >"$results" <<EOF
# Crash consistency of \`losetup -d\` (tests/boot/crash.sh)

Generated by \`sh tests/boot/crash.sh -n $runs -o $results\` on $(date -u +%Y-%m-%d)
(QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p') TCG,
guest kernel $kver, host kernel $(uname -r); $secs s in all).

Each run: boot, mount the ext4 virtio disk, attach a 4 MiB file with
buffered IO, write a random pattern through the loop device with \`dd\`
(no sync), run \`losetup -d\`, print a marker; the host SIGKILLs QEMU as
soon as the marker shows, replays the journal with \`e2fsck\` and compares
the file with the pattern. The virtual disk keeps every write the guest
sent to it (QEMU's writes sit in the host's page cache, which the SIGKILL
does not touch): this models a guest crash, not a disk's volatile cache.
*intact*: the whole pattern is in the file;
*old*: none of it (the writes were lost); *torn*: part of it; *other*: no
marker or no file.

- **plain**: \`dd\` writes and exits, then \`losetup -d\`.
- **held**: a process writes and keeps the device open during
  \`losetup -d\`. loopbox exits 1 there and names the holder (the device
  cannot be unbound while it is open), but has flushed what was written;
  util-linux exits 0 and leaves the data in the guest's page cache.

| scenario | tool | intact | old | torn | other | detach exit codes |
|---|---|---|---|---|---|---|$report

Both tools attach the same way (loopbox, \`--direct-io=off\`): only the
detach differs. util-linux is $($ul --version 2>/dev/null | sed 's/.* //'), run inside the guest
with the host's libraries. Its figures are reported, not asserted: the
test fails only when a loopbox run is not intact.
EOF
fi
exit $fail
