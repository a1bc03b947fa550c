#pragma once
// The data module: datasets, loaders, splits, normalization, built-in sets and file readers.
#include "neura/data/BuiltinDatasets.h"
#include "neura/data/CsvReader.h"
#include "neura/data/DataLoader.h"
#include "neura/data/Dataset.h"
#include "neura/data/DatasetRegistry.h"
#include "neura/data/IdxReader.h"
#include "neura/data/Sequence.h"
#include "neura/data/Split.h"
#include "neura/data/Standardizer.h"
#include "neura/data/Synthetic.h"
