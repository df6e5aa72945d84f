/* Every applet's entry point. The table in main.c is written by hand. */
#ifndef LOOPBOX_APPLETS_H
#define LOOPBOX_APPLETS_H

int blkid_main(int argc, char **argv);
int init_main(int argc, char **argv);
int losetup_main(int argc, char **argv);
int loopmount_main(int argc, char **argv);
int loopumount_main(int argc, char **argv);
int run_main(int argc, char **argv);
int switch_root_main(int argc, char **argv);

#endif
