#pragma once
// TorchFile: tensors in PyTorch's own file format, so that `torch.load(path)` reads them with no
// NeuraStudio code: the zip archive torch.save writes since PyTorch 1.6 (no compression),
//
//   archive/data.pkl    a protocol-2 pickle of an OrderedDict {name: tensor}, each tensor as
//                       torch._utils._rebuild_tensor_v2(storage, 0, sizes, strides, False, OrderedDict())
//                       with the storage a persistent id ('storage', torch.FloatStorage, "<k>", 'cpu', numel)
//   archive/data/<k>    the k-th tensor's values, raw little-endian, each record 64-byte aligned
//   archive/version     "3"
//
// as torch/serialization.py (_save, _load) of PyTorch 1.13 writes and reads it. A state_dict saved this
// way loads with module.load_state_dict(torch.load(path)). F32, F64 and I64 tensors are written as
// FloatStorage, DoubleStorage and LongStorage; each tensor gets its own contiguous storage.
#include <string>
#include <utility>
#include <vector>

#include "neura/core/Tensor.h"

namespace neura::pytorch {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// The file's bytes. Throws neura::Error naming the tensor for an undefined one, another dtype, or an
// archive past what a zip without ZIP64 holds (4 GiB).
std::string torch_save_bytes(const NamedTensors& tensors);

// Writes torch_save_bytes() to `path` (through "<path>.tmp", then renamed); throws neura::Error
// naming the path when it cannot be written.
void torch_save(const NamedTensors& tensors, const std::string& path);

}  // namespace neura::pytorch
