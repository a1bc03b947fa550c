#pragma once
// The NeuraStudio engine's public API.
#include "neura/autograd/Autograd.h"
#include "neura/autograd/GradMode.h"
#include "neura/core/DType.h"
#include "neura/core/Device.h"
#include "neura/core/Error.h"
#include "neura/core/Generator.h"
#include "neura/core/Shape.h"
#include "neura/core/Tensor.h"
#include "neura/ops/NnOps.h"
#include "neura/ops/Ops.h"
