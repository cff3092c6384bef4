// Declarations only: FFTW 3 double precision (GPL-2+).
#pragma once
#include <fftw3.h>
