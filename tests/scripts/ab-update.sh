#!/bin/sh
# A/B update of a disk image: write a new root filesystem image into the
# inactive root slot, verify it from a fresh device, then switch slots.
# Every step has the image on storage when its command returns.
#
#   usage: ab-update.sh DISK NEWROOT
#
# DISK is a GPT disk image with three partitions: PARTLABEL=boot (a small
# filesystem holding the file "slot", A or B: the slot that boots) and the
# two root slots PARTLABEL=rootA and PARTLABEL=rootB.
# LOOPBOX names the loopbox binary (default: loopbox in PATH).
set -eu
LOOPBOX=${LOOPBOX:-loopbox}
disk=$1 new=$2

mnt=$(mktemp -d)
# On any failure: unmount (if mounted) and remove the mount point.
trap '"$LOOPBOX" loopumount "$mnt" 2>/dev/null || :; rmdir "$mnt"' EXIT

# 1. Which slot boots now? Read-only: this step changes nothing.
"$LOOPBOX" loopmount -r --partition PARTLABEL=boot "$disk" "$mnt" >/dev/null
active=$(cat "$mnt/slot")
"$LOOPBOX" loopumount "$mnt"
case $active in
A) target=B ;;
B) target=A ;;
*) echo "ab-update: $disk: boot/slot says '$active', not A or B" >&2; exit 1 ;;
esac
echo "active slot $active, writing $new to slot $target"

# 2. Write the new root into the inactive slot. The device exists for this
#    one command; when run returns it is gone and the image is flushed.
size=$(stat -c %s "$new")
"$LOOPBOX" run --partition "PARTLABEL=root$target" "$disk" -- sh -c '
	room=$(blockdev --getsize64 "$LOOPDEV")
	if [ "$2" -gt "$room" ]; then
		echo "ab-update: $1 ($2 bytes) does not fit in slot $3 ($room bytes)" >&2
		exit 1
	fi
	dd if="$1" of="$LOOPDEV" bs=1M conv=fsync status=none' sh "$new" "$size" "$target"

# 3. Verify from a new read-only device: the bytes, then that it mounts.
"$LOOPBOX" run -r --partition "PARTLABEL=root$target" "$disk" -- \
	sh -c 'cmp -n "$2" "$1" "$LOOPDEV"' sh "$new" "$size"
"$LOOPBOX" run -r --partition "PARTLABEL=root$target" --mount "$mnt" "$disk" -- \
	sh -c 'v=$(sed -n "s/^VERSION=//p" "$LOOPMNT/etc/os-release") && [ -n "$v" ] &&
	       echo "slot $1 verified: version $v"' sh "$target"

# 4. Switch: write the new slot name next to the old one and rename it over
#    (atomic); loopumount returns 0 only once the image is on storage.
"$LOOPBOX" loopmount --partition PARTLABEL=boot "$disk" "$mnt" >/dev/null
echo "$target" >"$mnt/slot.new"
mv "$mnt/slot.new" "$mnt/slot"
"$LOOPBOX" loopumount "$mnt"
echo "slot $target is active"
