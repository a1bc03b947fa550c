#pragma once
// The model graph module: description, layer registry, validation, shape inference, compilation, JSON.
#include "neura/graph/Ids.h"
#include "neura/graph/LayerRegistry.h"
#include "neura/graph/ModelGraph.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/Network.h"
#include "neura/graph/ShapeReport.h"
#include "neura/graph/Validate.h"
