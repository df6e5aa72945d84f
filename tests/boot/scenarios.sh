#!/bin/sh
# Boot-mode scenarios under QEMU. Each prints "ok" or what went wrong.
#
# usage: scenarios.sh setup            build disks + initramfs in $BOOTDIR
#        scenarios.sh NAME...          run scenarios (after setup)
#        scenarios.sh list
# BOOTDIR defaults to /tmp/loopbox-boot. tests/boot.test drives this.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BOOTDIR=${BOOTDIR:-/tmp/loopbox-boot}
. "$TOP/tests/boot/lib.sh"

# Common kernel words: our trace, no kernel chatter, no kernel panic reboot
# loops (a crashed /init shows as a timeout, not a reboot).
Q="quiet loopbox.debug"

s_ext4_label() {
	boot ext4_label "$Q root=LABEL=HOST loop=/images/root.ext4" -d disk.img -t 60
	expect ext4_label "host: found /dev/vda1 \(LABEL=HOST\) after [0-9]+ ms" \
		"REAL-INIT pid=1" "ROOT=/dev/loop0 ext4 ro" "HOST=/dev/vda1 ext4 ro" \
		"HOST-LS=.*images" "switch: exec /sbin/init after [0-9]+ ms"
}

s_squashfs_uuid() {
	boot squashfs_uuid "$Q root=UUID=$(echo $HOST_UUID | tr a-f A-F) loop=images/root.sqfs" -d disk.img -t 60
	expect squashfs_uuid "image: probed squashfs" "ROOT=/dev/loop0 squashfs ro" \
		"HOST=/dev/vda1 ext4 ro"
}

s_erofs() {
	boot erofs "$Q root=/dev/vda1 loop=/images/root.erofs loopfstype=erofs loophost=none" -d disk.img -t 60
	expect erofs "ROOT=/dev/loop0 erofs ro" "HOST=none" "module: erofs.ko loaded"
}

s_gpt_part2() {
	boot gpt_part2 "$Q root=LABEL=HOST loop=/images/disk.img looppart=2" -d disk.img -t 60
	expect gpt_part2 "image: /host/images/disk.img attached as /dev/loop0 \(offset 2097152," "ROOT=/dev/loop0 squashfs ro"
}

s_gpt_partuuid() {
	boot gpt_partuuid "$Q root=PARTUUID=$HOST_PARTUUID loop=/images/disk.img looppart=PARTUUID=$IMGP2_PARTUUID" -d disk.img -t 60
	expect gpt_partuuid "host: found /dev/vda1" "ROOT=/dev/loop0 squashfs ro"
}

s_loopoffset() {
	boot loopoffset "$Q root=LABEL=HOST loop=/images/raw-offset.img loopoffset=1M" -d disk.img -t 60
	expect loopoffset "ROOT=/dev/loop0 ext4 ro"
}

s_partnroff() {
	boot partnroff "$Q root=PARTUUID=$HOST_PARTUUID/PARTNROFF=1 loop=/images/root.sqfs" -d disk.img -t 60
	expect partnroff "host: found /dev/vda2" "ROOT=/dev/loop0 squashfs ro" \
		"HOST=/dev/vda2 ext4 ro"
}

s_plain_root() {
	boot plain_root "$Q root=PARTLABEL=hostfs rootfstype=ext4 -- single" -d disk.img -t 60
	expect plain_root "ROOT=/dev/vda1 ext4 ro" "args=single" "HOST=none"
}

s_rw_persists() {
	boot rw_persists "$Q root=LABEL=HOST loop=/images/rw.ext4 rw t_write=boot1-$$" -d disk.img -t 60 &&
		expect rw_persists "ROOT=/dev/loop0 ext4 rw" "HOST=/dev/vda1 ext4 rw" "WROTE=boot1-$$" || return 1
	boot rw_persists2 "$Q root=LABEL=HOST loop=/images/rw.ext4" -d disk.img -t 60
	expect rw_persists2 "ROOT=/dev/loop0 ext4 ro" "PERSIST=boot1-$$"
}

s_hotplug() {
	boot hotplug "$Q root=LABEL=HOST loop=/images/root.sqfs rootdelay=60" -H disk.img -w 3 \
		-W "host: waiting for" -t 90
	expect hotplug "host: waiting for LABEL=HOST" \
		"host: found /dev/vda1 \(LABEL=HOST\) after [0-9]+ ms" \
		"ROOT=/dev/loop0 squashfs ro" || return 1
	# Really late: the host came from the monitor, not at boot.
	ms=$(sed -n 's/.*host: found .* after \([0-9]*\) ms.*/\1/p' "$BOOTDIR/hotplug.log")
	[ "${ms:-0}" -ge 2500 ] || { echo "hotplug: host found after ${ms:-?} ms: not late"; return 1; }
}

s_missing_image() {
	boot missing_image "$Q root=LABEL=HOST loop=/images/nope.img panic=1" -d disk.img -t 60
	expect missing_image \
		"image: loop=/images/nope.img: No such file or directory on the host /dev/vda1 \(ext4\)" \
		"/host/images contains:.*root.sqfs" "rebooting in 1 s" &&
		refute missing_image REAL-INIT
}

s_empty_image() {
	boot empty_image "$Q root=LABEL=HOST loop=/images/empty.img panic=1" -d disk.img -t 60
	expect empty_image "image: loop=/images/empty.img on /dev/vda1 \(ext4\) is 0 bytes" \
		"rebooting in 1 s" && refute empty_image REAL-INIT
}

s_wrong_fstype() {
	boot wrong_fstype "$Q root=LABEL=HOST loop=/images/root.ext4 loopfstype=erofs panic=1" -d disk.img -t 60
	expect wrong_fstype "image: mount /dev/loop0 \(/host/images/root.ext4\) on /root as erofs \(ro\): Invalid argument" \
		"the probe sees ext4 there LABEL=\"IMGROOT\"" "rebooting in 1 s" &&
		refute wrong_fstype REAL-INIT
}

s_missing_init() {
	boot missing_init "$Q root=LABEL=HOST loop=/images/root.sqfs init=/sbin/nope panic=1" -d disk.img -t 60
	expect missing_init "switch: init: /sbin/nope: No such file or directory \(init=/sbin/nope inside /host/images/root.sqfs, /dev/loop0 squashfs\)" \
		"rebooting in 1 s" && refute missing_init REAL-INIT
}

# No panic=: the failure reaches the rescue shell, which we drive: it
# writes a corrected command line and exits, and the boot is retried.
s_absent_host() {
	boot absent_host "$Q root=LABEL=NOPE loop=/images/root.sqfs rootdelay=2" -d other.img -t 60 \
		-e "starting a rescue shell" \
		-S "echo RESCUE-\$((6*7)); echo loopbox.debug root=LABEL=OTHER >/etc/loopbox/cmdline; exit"
	expect absent_host "host: root=LABEL=NOPE did not appear within 2000 ms" \
		"/dev/vda: 8 MiB, ext4 LABEL=\"OTHER\"" "starting a rescue shell" \
		"RESCUE-42" "init: /etc/loopbox/cmdline: loopbox.debug root=LABEL=OTHER" \
		"REAL-INIT pid=1" "ROOT=/dev/vda ext4 ro"
}

# The standalone applet, as a shell /init would use it.
s_switch_root() {
	cat >"$BOOTDIR/sr-init" <<'EOF2'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
cat /etc/loopbox/modules /etc/loopbox/fs/* | while read -r m; do insmod "$m" 2>/dev/null; done
while [ ! -e /dev/vda1 ]; do sleep 0.1; done
mount -t ext4 -o ro /dev/vda1 /root
/bin/loopbox switch_root /root /sbin/init
echo "SR-RC=$?"
exec /bin/loopbox switch_root -c /dev/console /root /sbin/init from-sr
EOF2
	mk_initrd "$BOOTDIR/sr.img" -s "$BOOTDIR/sr-init" -a "$TOP/build/loopbox:/bin/loopbox"
	INITRD=$BOOTDIR/sr.img boot switch_root "quiet" -d disk.img -t 60
	expect switch_root "switch_root: pid 1: not process 1: Operation not permitted" \
		"SR-RC=1" "REAL-INIT pid=1 args=from-sr" "ROOT=/dev/vda1 ext4 ro"
}

# break=switch: a shell with everything mounted; exiting it continues.
s_break_switch() {
	boot break_switch "$Q root=LABEL=HOST loop=/images/root.sqfs break=switch" -d disk.img -t 60 \
		-e "break before switch_root" -S "echo BREAK-\$(cat /root/etc/image-name); exit"
	expect break_switch "break before switch_root \(break=switch\): starting a shell" \
		"BREAK-squashfs-image" "REAL-INIT pid=1" "ROOT=/dev/loop0 squashfs ro"
}

ALL="switch_root break_switch ext4_label squashfs_uuid erofs gpt_part2 gpt_partuuid loopoffset partnroff
plain_root rw_persists hotplug missing_image empty_image wrong_fstype missing_init absent_host"

case ${1:-} in
setup) boot_setup && echo ok ;;
list) echo $ALL ;;
"") echo "usage: $0 setup | list | NAME..." >&2; exit 2 ;;
*)
	cd "$BOOTDIR" || exit 1
	rc=0
	for s in "$@"; do
		if "s_$s"; then echo ok; else rc=1; fi
	done
	exit $rc ;;
esac
