// Declarations only: ALSA's libasound 1.2 (LGPL-2.1+, Debian bookworm libasound2-dev 1.2.8), PCM and configuration.
#pragma once
#include <alsa/asoundlib.h>
