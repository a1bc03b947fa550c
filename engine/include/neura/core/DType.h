#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace neura {

enum class DType : std::uint8_t { F32, F64, I64 };

constexpr std::size_t element_size(DType t) { return t == DType::F32 ? 4 : 8; }
constexpr bool is_floating(DType t) { return t != DType::I64; }
const char* dtype_name(DType t);   // "float32", "float64", "int64"
DType promote_types(DType a, DType b);

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::F32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::F64; };
template <> struct dtype_of<std::int64_t> { static constexpr DType value = DType::I64; };

// Calls fn(T{}) with T the C++ type of dtype t.
template <class Fn>
decltype(auto) visit_dtype(DType t, Fn&& fn) {
    switch (t) {
        case DType::F32: return fn(float{});
        case DType::F64: return fn(double{});
        case DType::I64: break;
    }
    return fn(std::int64_t{});
}

}  // namespace neura
