// SPDX-License-Identifier: GPL-2.0
/*
 * Tern: the one place the tracepoints of module/trace.h are defined (the
 * "tern" trace system). The other files include trace.h for the
 * trace_tern_*() calls alone.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
