#include "neura/core/DType.h"

namespace neura {

const char* dtype_name(DType t) {
    switch (t) {
        case DType::F32: return "float32";
        case DType::F64: return "float64";
        case DType::I64: return "int64";
    }
    return "?";
}

DType promote_types(DType a, DType b) {
    if (a == DType::F64 || b == DType::F64) return DType::F64;
    if (a == DType::F32 || b == DType::F32) return DType::F32;
    return DType::I64;
}

}  // namespace neura
