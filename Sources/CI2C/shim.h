// Declarations only: the Linux i2c-dev uapi and libi2c (i2c-tools 4.x).
#pragma once
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <i2c/smbus.h>
#include <sys/ioctl.h>
#include <errno.h>
