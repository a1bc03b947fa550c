#pragma once
// Optimizers and learning-rate schedulers (torch.optim).
#include "neura/optim/Adam.h"
#include "neura/optim/AdamW.h"
#include "neura/optim/Optimizer.h"
#include "neura/optim/RMSprop.h"
#include "neura/optim/SGD.h"
#include "neura/optim/Schedulers.h"
