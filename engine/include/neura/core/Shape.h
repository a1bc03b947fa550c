#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace neura {

using Shape = std::vector<std::int64_t>;

std::string shape_str(const Shape& s);  // "[2, 3]"
std::int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);
// A contiguous shape seen as [outer, size, inner] around dim d (the indexing kernels' view).
struct DimSplit {
    std::int64_t outer = 1, size = 1, inner = 1;
};
DimSplit split_at_dim(const Shape& s, int d);
// Normalizes a possibly negative dim against rank; throws naming `op` when out of range.
int wrap_dim(std::int64_t dim, std::int64_t rank, const char* op);
// PyTorch broadcasting of two shapes; throws naming `op` and both shapes when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace neura
