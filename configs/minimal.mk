# losetup alone: for firmware images that only need to attach and detach.
ENABLE_LOSETUP = 1
ENABLE_BLKID = 0
ENABLE_INIT = 0
ENABLE_SWITCH_ROOT = 0
ENABLE_LOOPMOUNT = 0
ENABLE_RUN = 0
ENABLE_FAULTS = 0
