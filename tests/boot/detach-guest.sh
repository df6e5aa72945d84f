# Run inside a VM by tests/crash.test (through vm.sh -s): losetup -d and
# --flush on the guest's kernel (Debian 6.1, where a sole opener's
# LOOP_CLR_FD still tears down inside the ioctl). Prints "RESULT name
# value" lines that the host compares.
L="/bin/loopbox losetup"
r() { echo "RESULT $1 $2"; }
bound() { [ -e "/sys/block/${1#/dev/}/loop" ] && echo yes || echo no; }
settle() { i=0; while [ "$(bound "$1")" = yes ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i + 1)); done; }
mkdir -p /t && mount -t tmpfs tmpfs /t && cd /t || exit 1
dd if=/dev/urandom of=img bs=1M count=4 2>/dev/null
dd if=/dev/urandom of=pat bs=1M count=1 2>/dev/null

# A writer holds the device: exit 1, holder named, its data in the file.
dev=$($L -f --show --direct-io=off img)
(exec 3<>"$dev"; dd if=pat bs=65536 >&3 2>/dev/null; : >held; exec sleep 2) &
while [ ! -e held ]; do sleep 0.05; done
$L -d --timeout 0.3 "$dev"
r held-rc $?
head -c 1048576 img | cmp -s - pat && r held-data ok || r held-data lost
r held-autoclear "$(cat /sys/block/${dev#/dev/}/loop/autoclear)"
wait
settle "$dev"
[ "$(bound "$dev")" = no ] && r held-freed-later yes || r held-freed-later no

# A reader that goes away within --timeout: detach waits and succeeds.
dev=$($L -f --show img)
(exec 3<"$dev"; : >held2; exec sleep 1) &
while [ ! -e held2 ]; do sleep 0.05; done
$L -d --timeout 5 "$dev"
r wait-rc $?
r wait-bound "$(bound "$dev")"
wait

# --flush on a held device whose file was rewritten directly.
dev=$($L -f --show img)
(exec 3<"$dev"; : >held3; exec sleep 2) &
while [ ! -e held3 ]; do sleep 0.05; done
dd if="$dev" bs=4096 count=1 2>/dev/null >/dev/null
dd if=/dev/urandom of=new bs=4096 count=1 2>/dev/null
dd if=new of=img bs=4096 conv=notrunc 2>/dev/null
dd if="$dev" bs=4096 count=1 2>/dev/null | cmp -s - new && r before-flush fresh || r before-flush stale
$L --flush "$dev"
r flush-rc $?
dd if="$dev" bs=4096 count=1 2>/dev/null | cmp -s - new && r after-flush fresh || r after-flush stale
wait
$L -d "$dev"

# Mounted: refused; --lazy: the old behaviour; freed at umount.
dev=$($L -f --show img)
mke2fs -q "$dev" >/dev/null 2>&1 || mke2fs "$dev" >/dev/null 2>&1
mkdir -p m
mount "$dev" m
$L -d "$dev"
r mounted-rc $?
$L -d --lazy "$dev"
r lazy-rc $?
umount m
settle "$dev"
r lazy-bound-after-umount "$(bound "$dev")"

# --remove deletes the device.
dev=$($L -f --show img)
$L -d --remove "$dev"
r remove-rc $?
[ -e "/sys/block/${dev#/dev/}" ] && r removed no || r removed yes
