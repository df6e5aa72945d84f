#!/bin/sh
# make demo: on a Debian 12 machine, as root. Installs what is missing,
# builds loopbox and an initramfs, builds a disk whose ext4 filesystem
# holds a squashfs root image, boots it in QEMU with "debug", and lets the
# booted system say where its root came from. Ends by itself (the guest
# powers off; a 3-minute timeout catches a hang).
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BOOTDIR=$TOP/build/demo
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "demo: run as root (it installs packages and makes device nodes)" >&2; exit 1; }

# 1. Packages: only what is missing, only through apt-get.
need=
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in make gcc musl-tools qemu-system-x86 kmod e2fsprogs \
	cpio squashfs-tools gdisk busybox-static; do
	have "$p" || need="$need $p"
done
if [ -n "$need" ]; then
	say "installing:$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $need
else
	say "all packages present"
fi

# 2. loopbox.
say "building loopbox"
make -C "$TOP" -s
ls -l "$TOP/build/loopbox"

# 3. The disk: GPT, partition 1 = ext4 "DEMOHOST" holding images/root.sqfs.
say "building the disk and the initramfs in $BOOTDIR"
rm -rf "$BOOTDIR"
mkdir -p "$BOOTDIR"
. "$TOP/tests/boot/lib.sh"
cd "$BOOTDIR"
mk_rootdir tree demo-image
cat >tree/sbin/init.sh <<'EOF'
#!/bin/sh
# The real init of the demo image: say where / came from, power off.
export PATH=/bin
echo
echo "=== Hello from the real init (pid $$) ==="
set -- $(awk '$2 == "/" { r = $1 " " $3 " " $4 } END { print r }' /proc/mounts)
echo "my root filesystem:   $1, $2, ${3%%,*}"
n=${1#/dev/loop}
d=/sys/block/loop$n/loop
if [ -r $d/backing_file ]; then
	echo "$1 is a loop device over $(cat $d/backing_file)"
	echo "   offset $(cat $d/offset), size limit $(cat $d/sizelimit), direct IO $(cat $d/dio), autoclear $(cat $d/autoclear)"
fi
awk '$2 == "/host" { print "the host filesystem:  " $1 " (" $3 ", " substr($4, 1, 2) ") on /host" }' /proc/mounts
echo "the image, seen from here: $(ls -l /host/images/root.sqfs | awk '{ print $5 " bytes, " $NF }')"
echo "=== demo done: powering off ==="
sync
poweroff -f
EOF
echo "a squashfs root image booted by loopbox" >tree/etc/motd
mkdir -p host/images
mk_sqfs host/images/root.sqfs tree
mk_ext4 host.ext4 32 DEMOHOST host
mk_gpt disk.img "host.ext4:$HOST_PARTUUID:demohost"
rm -rf tree host host.ext4
mk_initrd initrd.img
ls -l disk.img initrd.img

# 4. Boot. "debug" turns on loopbox's trace; loglevel=4 after it keeps the
# kernel's own debug chatter off the console.
APPEND="debug loglevel=4 root=LABEL=DEMOHOST loop=/images/root.sqfs"
say "booting: $KERNEL $APPEND"
rc=0
sh "$TOP/tests/boot/vm.sh" -k "$KERNEL" -K "$KVER" -M "$MODBASE" -i initrd.img -d disk.img \
	-a "$APPEND" -t 180 -o "$BOOTDIR/console.log" -v || rc=$?
if grep -q "demo done" "$BOOTDIR/console.log"; then
	say "demo ok: the root came from $(sed -n 's/.*is a loop device over //p' console.log | tr -d '\r') on LABEL=DEMOHOST"
	exit 0
fi
say "demo FAILED (qemu exit $rc); console log: $BOOTDIR/console.log"
exit 1
