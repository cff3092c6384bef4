// Declarations only: libgpiod v1.6 (Debian bookworm).
#pragma once
#include <gpiod.h>
