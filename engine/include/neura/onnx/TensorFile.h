#pragma once
// ONNX TensorProto files (.pb), as in ONNX's backend tests (test_data_set_0/input_0.pb): the inputs
// `neura run` reads and the outputs it writes. Every malformed file is a neura::Error naming the
// file and what is wrong with it — never a crash.
#include <string>

#include "neura/core/Tensor.h"

namespace neura::onnx {

// FLOAT, DOUBLE, INT32 and INT64 tensors, from float_data/double_data/int32_data/int64_data or raw_data
// (little-endian). `what` names the source in messages ("'in.pb'"). The tensor has the file's dtype
// (INT32 loads as I64).
Tensor parse_tensor_proto(const std::string& bytes, const std::string& what);
Tensor read_tensor_file(const std::string& path);

// F32 as FLOAT, F64 as DOUBLE, I64 as INT64, in raw_data.
std::string serialize_tensor_proto(const Tensor& tensor, const std::string& name = {});
void write_tensor_file(const std::string& path, const Tensor& tensor, const std::string& name = {});

}  // namespace neura::onnx
