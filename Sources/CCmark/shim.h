#ifndef QUANTLAB_CCMARK_SHIM_H
#define QUANTLAB_CCMARK_SHIM_H
#include <cmark.h>
#endif
