#pragma once
// The recording API is public (plugins write custom backward formulas with it): neura/autograd/Function.h.
#include "neura/autograd/Function.h"
