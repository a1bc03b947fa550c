// TensorProto files: parsed with libonnx's protobuf type, then checked field by field (data type, dims,
// element count against the data actually present) before a single element is copied, so truncated
// or random bytes end as a neura::Error.
#include "neura/onnx/TensorFile.h"

#include <onnx/onnx_pb.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "GraphBuilder.h"
#include "neura/core/Error.h"

namespace neura::onnx {

using neura::detail::concat;

namespace {

const char* type_name(int t) {
    switch (t) {
        case ::onnx::TensorProto::FLOAT: return "FLOAT";
        case ::onnx::TensorProto::UINT8: return "UINT8";
        case ::onnx::TensorProto::INT8: return "INT8";
        case ::onnx::TensorProto::UINT16: return "UINT16";
        case ::onnx::TensorProto::INT16: return "INT16";
        case ::onnx::TensorProto::INT32: return "INT32";
        case ::onnx::TensorProto::INT64: return "INT64";
        case ::onnx::TensorProto::STRING: return "STRING";
        case ::onnx::TensorProto::BOOL: return "BOOL";
        case ::onnx::TensorProto::FLOAT16: return "FLOAT16";
        case ::onnx::TensorProto::DOUBLE: return "DOUBLE";
        case ::onnx::TensorProto::UINT32: return "UINT32";
        case ::onnx::TensorProto::UINT64: return "UINT64";
        case ::onnx::TensorProto::BFLOAT16: return "BFLOAT16";
        case ::onnx::TensorProto::UNDEFINED: return "UNDEFINED";
        default: return nullptr;
    }
}

std::string type_text(int t) {
    const char* n = type_name(t);
    return n ? std::string(n) : concat("unknown (", t, ")");
}

// Copies `count` elements of type T from raw_data or the typed field into a new tensor.
template <class T, class Field>
Tensor take(const ::onnx::TensorProto& p, const Field& field, const Shape& dims, std::int64_t count, DType dtype,
            const std::string& what) {
    // Sizes are checked against the data present before anything is allocated.
    const bool raw = p.has_raw_data();
    if (raw) {
        const std::size_t need = static_cast<std::size_t>(count) * sizeof(T);
        NEURA_CHECK(p.raw_data().size() == need, what, ": raw_data holds ", p.raw_data().size(), " bytes, the shape ",
                    shape_str(dims), " of ", type_text(p.data_type()), " needs ", need, " (truncated file?)");
    } else {
        NEURA_CHECK(field.size() == count, what, ": holds ", field.size(), " values, the shape ", shape_str(dims),
                    " needs ", count, " (truncated file?)");
    }
    Tensor t;
    try {
        t = Tensor::empty(dims, dtype);
    } catch (const Error& e) {  // a zero among huge sizes: no data, but strides past 2^63
        throw Error(concat(what, ": ", e.what()));
    }
    if (count == 0) return t;
    using Out = std::conditional_t<std::is_same_v<T, std::int32_t>, std::int64_t, T>;
    Out* out = t.data<Out>();
    if (raw) {  // little-endian, as this machine
        const char* src = p.raw_data().data();
        for (std::int64_t k = 0; k < count; ++k) {
            T v;
            std::memcpy(&v, src + static_cast<std::size_t>(k) * sizeof(T), sizeof(T));
            out[k] = static_cast<Out>(v);
        }
    } else {
        for (int k = 0; k < field.size(); ++k) out[k] = static_cast<Out>(field.Get(k));
    }
    return t;
}

}  // namespace

Tensor parse_tensor_proto(const std::string& bytes, const std::string& what) {
    static_assert(std::endian::native == std::endian::little, "raw_data is little-endian");
    NEURA_CHECK(!bytes.empty(), what, " is empty, not an ONNX TensorProto");
    ::onnx::TensorProto p;
    NEURA_CHECK(p.ParseFromString(bytes), what, " is not an ONNX TensorProto (truncated or not protobuf)");
    NEURA_CHECK(p.data_location() == ::onnx::TensorProto::DEFAULT, what,
                " keeps its data in an external file; only tensors with their data inside are read");
    NEURA_CHECK(p.has_data_type() && p.data_type() != ::onnx::TensorProto::UNDEFINED, what,
                " has no data type: not an ONNX TensorProto");
    NEURA_CHECK(p.dims_size() <= 16, what, " has ", p.dims_size(), " dimensions; at most 16 are read");
    Shape dims;
    std::int64_t count = 1;
    for (std::int64_t d : p.dims()) {
        NEURA_CHECK(d >= 0, what, " has a negative dimension ", d);
        NEURA_CHECK(d == 0 || count <= std::numeric_limits<std::int32_t>::max() / d, what, " has dims too large (",
                    shape_str(Shape(p.dims().begin(), p.dims().end())), ")");
        count *= d;
        dims.push_back(d);
    }
    switch (p.data_type()) {
        case ::onnx::TensorProto::FLOAT: return take<float>(p, p.float_data(), dims, count, DType::F32, what);
        case ::onnx::TensorProto::DOUBLE: return take<double>(p, p.double_data(), dims, count, DType::F64, what);
        case ::onnx::TensorProto::INT64: return take<std::int64_t>(p, p.int64_data(), dims, count, DType::I64, what);
        case ::onnx::TensorProto::INT32: return take<std::int32_t>(p, p.int32_data(), dims, count, DType::I64, what);
        default:
            throw Error(concat(what, " holds ", type_text(p.data_type()),
                               " values; FLOAT, DOUBLE, INT32 and INT64 tensors are read"));
    }
}

Tensor read_tensor_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    NEURA_CHECK(f, "cannot read '", path, "': ", std::strerror(errno));
    std::ostringstream s;
    s << f.rdbuf();
    return parse_tensor_proto(s.str(), "'" + path + "'");
}

std::string serialize_tensor_proto(const Tensor& tensor, const std::string& name) {
    ::onnx::TensorProto p;
    detail::tensor_to_proto(tensor, p, /*keep_f64=*/true);
    if (!name.empty()) p.set_name(name);
    std::string bytes;
    NEURA_CHECK(p.SerializeToString(&bytes), "cannot serialize a tensor of shape ", shape_str(tensor.shape()));
    return bytes;
}

void write_tensor_file(const std::string& path, const Tensor& tensor, const std::string& name) {
    const std::string bytes = serialize_tensor_proto(tensor, name);
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    NEURA_CHECK(f, "cannot write '", path, "': ", std::strerror(errno));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    NEURA_CHECK(f, "cannot write '", path, "': ", std::strerror(errno));
}

}  // namespace neura::onnx
