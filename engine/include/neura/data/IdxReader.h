#pragma once
// The IDX format of MNIST and its relatives (http://yann.lecun.com/exdb/mnist/): a big-endian
// header 0x00 0x00 <type> <rank>, then rank big-endian uint32 sizes, then the values row-major,
// big-endian. Files may be gzip-compressed (…-ubyte.gz); that is detected, not guessed from the name.
#include <cstdint>
#include <filesystem>
#include <memory>

#include "neura/data/Dataset.h"

namespace neura::data {

enum class IdxType : std::uint8_t {
    UInt8 = 0x08,
    Int8 = 0x09,
    Int16 = 0x0B,
    Int32 = 0x0C,
    Float32 = 0x0D,
    Float64 = 0x0E,
};
const char* idx_type_name(IdxType t);  // "ubyte", "byte", "short", "int", "float", "double"

struct IdxArray {
    IdxType type = IdxType::UInt8;
    Tensor data;  // shape = the file's sizes; I64 for the integer types, F32 for float, F64 for double
};

// Throws neura::Error naming the file for a bad magic number, an unknown type, or a size that does
// not match the header (a truncated file, or bytes left over).
IdxArray read_idx(const std::filesystem::path& path);

// Writes `t` (any dtype, any rank 1..255) as `type`; gzip-compressed when the name ends in ".gz".
// Integer types refuse values that are not whole or out of the type's range.
void write_idx(const std::filesystem::path& path, const Tensor& t, IdxType type);

// An images file [N, H, W] (or [N, F], or [N, C, H, W]) and a labels file [N] of class indices, as
// MNIST's train-images-idx3-ubyte / train-labels-idx1-ubyte. Features are F32, [N, 1, H, W] for 3-D
// images; with scale, unsigned-byte pixels are divided by 255 (to [0, 1]). num_classes < 0 means
// max(label) + 1.
std::shared_ptr<TensorDataset> read_idx_dataset(const std::filesystem::path& images, const std::filesystem::path& labels,
                                                bool scale = true, std::int64_t num_classes = -1);

}  // namespace neura::data
