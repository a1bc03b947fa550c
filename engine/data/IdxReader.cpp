#include "neura/data/IdxReader.h"

#include <zlib.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include "data/TextFile.h"

namespace neura::data {

namespace {

std::size_t idx_element_size(IdxType t) {
    switch (t) {
        case IdxType::UInt8:
        case IdxType::Int8: return 1;
        case IdxType::Int16: return 2;
        case IdxType::Int32:
        case IdxType::Float32: return 4;
        case IdxType::Float64: return 8;
    }
    return 0;
}

bool valid_type(std::uint8_t code) {
    return code == 0x08 || code == 0x09 || code == 0x0B || code == 0x0C || code == 0x0D || code == 0x0E;
}

// Reads an unsigned big-endian integer of `n` bytes.
std::uint64_t read_be(const unsigned char* p, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
}

void write_be(std::string& out, std::uint64_t v, std::size_t n) {
    for (std::size_t i = n; i-- > 0;) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

double decode(IdxType t, const unsigned char* p) {
    switch (t) {
        case IdxType::UInt8: return p[0];
        case IdxType::Int8: return static_cast<std::int8_t>(p[0]);
        case IdxType::Int16: return static_cast<std::int16_t>(static_cast<std::uint16_t>(read_be(p, 2)));
        case IdxType::Int32: return static_cast<std::int32_t>(static_cast<std::uint32_t>(read_be(p, 4)));
        case IdxType::Float32: return std::bit_cast<float>(static_cast<std::uint32_t>(read_be(p, 4)));
        case IdxType::Float64: return std::bit_cast<double>(read_be(p, 8));
    }
    return 0.0;
}

}  // namespace

const char* idx_type_name(IdxType t) {
    switch (t) {
        case IdxType::UInt8: return "ubyte";
        case IdxType::Int8: return "byte";
        case IdxType::Int16: return "short";
        case IdxType::Int32: return "int";
        case IdxType::Float32: return "float";
        case IdxType::Float64: return "double";
    }
    return "?";
}

IdxArray read_idx(const std::filesystem::path& path) {
    // The header's sizes are checked against the file before the data are read: nothing is allocated
    // for what the file merely claims, and a gzip file cannot inflate past what its header declares.
    internal::DataFileReader reader(path);
    const std::string name = path.string();
    std::string bytes;
    reader.read(bytes, 4);
    auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    NEURA_CHECK(bytes.size() >= 4, name, ": not an IDX file (", bytes.size(), " bytes, shorter than the header)");
    NEURA_CHECK(p[0] == 0 && p[1] == 0 && valid_type(p[2]) && p[3] >= 1, name,
                ": not an IDX file (magic number ", read_be(p, 4), "; expected 0x0000TTRR with type TT in 08, 09, 0B, 0C, 0D, 0E)");
    IdxArray out;
    out.type = static_cast<IdxType>(p[2]);
    const std::size_t rank = p[3];
    const std::size_t header = 4 + 4 * rank;
    reader.read(bytes, header - 4);
    p = reinterpret_cast<const unsigned char*>(bytes.data());
    NEURA_CHECK(bytes.size() >= header, name, ": truncated IDX header (", rank, " sizes announced)");
    Shape dims(rank);
    const std::size_t esize = idx_element_size(out.type);
    std::uint64_t count = 1;
    bool overflow = false;
    for (std::size_t d = 0; d < rank; ++d) {
        dims[d] = static_cast<std::int64_t>(read_be(p + 4 + 4 * d, 4));
        overflow = overflow || __builtin_mul_overflow(count, static_cast<std::uint64_t>(dims[d]), &count);
    }
    std::uint64_t expected = 0;
    overflow = overflow || __builtin_mul_overflow(count, esize, &expected) ||
               __builtin_add_overflow(expected, header, &expected);
    std::error_code ec;
    const std::uint64_t on_disk = std::filesystem::file_size(path, ec);
    NEURA_CHECK(!overflow, name, ": IDX sizes ", shape_str(dims), " multiply past 2^64 bytes; the file has ", on_disk,
                " bytes");
    NEURA_CHECK(reader.compressed() || on_disk == expected, name, ": IDX ", idx_type_name(out.type),
                " array of shape ", shape_str(dims), " needs ", expected, " bytes, the file has ", on_disk);
    NEURA_CHECK(expected <= internal::kMaxDataFileBytes, name, ": IDX ", idx_type_name(out.type), " array of shape ",
                shape_str(dims), " needs ", expected, " bytes, more than the ", internal::kMaxDataFileBytes,
                " a data file may hold");
    const std::uint64_t got = reader.read(bytes, expected - header + 1);
    NEURA_CHECK(header + got == expected, name, ": IDX ", idx_type_name(out.type), " array of shape ",
                shape_str(dims), " needs ", expected, " bytes, the file ",
                reader.compressed() ? "decompresses to " : "has ",
                header + got > expected ? std::string("more") : detail::concat(header + got));
    p = reinterpret_cast<const unsigned char*>(bytes.data());

    const unsigned char* v = p + header;
    const auto n = static_cast<std::int64_t>(count);
    // Sizes with a zero among them hold nothing but must still index (strides within 2^63): the
    // tensor's own checks say so, with the file's name in front.
    const DType dtype = out.type == IdxType::Float32   ? DType::F32
                        : out.type == IdxType::Float64 ? DType::F64
                                                       : DType::I64;
    try {
        out.data = Tensor::empty(dims, dtype);
    } catch (const Error& e) {
        throw Error(detail::concat(name, ": IDX sizes ", shape_str(dims), ": ", e.what()));
    }
    switch (out.type) {
        case IdxType::Float32: {
            float* d = out.data.data<float>();
            for (std::int64_t i = 0; i < n; ++i) d[i] = static_cast<float>(decode(out.type, v + i * 4));
            break;
        }
        case IdxType::Float64: {
            double* d = out.data.data<double>();
            for (std::int64_t i = 0; i < n; ++i) d[i] = decode(out.type, v + i * 8);
            break;
        }
        default: {
            auto* d = out.data.data<std::int64_t>();
            for (std::int64_t i = 0; i < n; ++i)
                d[i] = static_cast<std::int64_t>(decode(out.type, v + static_cast<std::size_t>(i) * esize));
            break;
        }
    }
    return out;
}

void write_idx(const std::filesystem::path& path, const Tensor& t, IdxType type) {
    const std::string name = path.string();
    NEURA_CHECK(t.defined(), "write_idx: undefined tensor for ", name);
    NEURA_CHECK(t.dim() >= 1 && t.dim() <= 255, "write_idx: ", name, ": rank ", t.dim(), " outside 1..255");
    NEURA_CHECK(valid_type(static_cast<std::uint8_t>(type)), "write_idx: ", name, ": unknown IDX type ",
                static_cast<int>(type));
    std::string out;
    out.push_back(0);
    out.push_back(0);
    out.push_back(static_cast<char>(type));
    out.push_back(static_cast<char>(t.dim()));
    for (std::int64_t d = 0; d < t.dim(); ++d) {
        NEURA_CHECK(t.size(d) <= std::numeric_limits<std::uint32_t>::max(), "write_idx: ", name, ": size ", t.size(d),
                    " does not fit IDX's uint32");
        write_be(out, static_cast<std::uint64_t>(t.size(d)), 4);
    }
    const std::vector<double> values = t.to_vector<double>();
    double lo = 0.0, hi = 0.0;
    switch (type) {
        case IdxType::UInt8: lo = 0; hi = 255; break;
        case IdxType::Int8: lo = -128; hi = 127; break;
        case IdxType::Int16: lo = -32768; hi = 32767; break;
        case IdxType::Int32: lo = -2147483648.0; hi = 2147483647.0; break;
        default: break;
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double x = values[i];
        switch (type) {
            case IdxType::Float32: write_be(out, std::bit_cast<std::uint32_t>(static_cast<float>(x)), 4); break;
            case IdxType::Float64: write_be(out, std::bit_cast<std::uint64_t>(x), 8); break;
            default:
                NEURA_CHECK(std::floor(x) == x && x >= lo && x <= hi, "write_idx: ", name, ": value ", x, " at element ", i,
                            " is not a whole number in [", lo, ", ", hi, "] for type ", idx_type_name(type));
                write_be(out, static_cast<std::uint64_t>(static_cast<std::int64_t>(x)), idx_element_size(type));
                break;
        }
    }

    if (path.extension() == ".gz") {
        gzFile f = gzopen(name.c_str(), "wb");
        NEURA_CHECK(f, "write_idx: cannot create ", name);
        const int written = gzwrite(f, out.data(), static_cast<unsigned>(out.size()));
        const int closed = gzclose(f);
        NEURA_CHECK(written == static_cast<int>(out.size()) && closed == Z_OK, "write_idx: writing ", name, " failed");
    } else {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        NEURA_CHECK(f, "write_idx: cannot create ", name);
        f.write(out.data(), static_cast<std::streamsize>(out.size()));
        f.close();
        NEURA_CHECK(f, "write_idx: writing ", name, " failed");
    }
}

std::shared_ptr<TensorDataset> read_idx_dataset(const std::filesystem::path& images, const std::filesystem::path& labels,
                                                bool scale, std::int64_t num_classes) {
    IdxArray x = read_idx(images);
    IdxArray y = read_idx(labels);
    NEURA_CHECK(x.data.dim() >= 2 && x.data.dim() <= 4, images.string(), ": expected images [N, H, W], [N, F] or [N, C, H, W], got ",
                shape_str(x.data.shape()));
    NEURA_CHECK(y.data.dim() == 1, labels.string(), ": expected labels [N], got ", shape_str(y.data.shape()));
    NEURA_CHECK(y.type != IdxType::Float32 && y.type != IdxType::Float64, labels.string(),
                ": labels must be an integer IDX type, got ", idx_type_name(y.type));
    NEURA_CHECK(x.data.size(0) == y.data.size(0), images.string(), " has ", x.data.size(0), " images but ", labels.string(),
                " has ", y.data.size(0), " labels");
    Tensor features = x.data.to(DType::F32).contiguous();
    if (features.is_same(x.data)) features = features.clone();
    if (scale && x.type == IdxType::UInt8) {
        float* f = features.data<float>();
        for (std::int64_t i = 0; i < features.numel(); ++i) f[i] /= 255.0f;
    }
    if (features.dim() == 3) features = features.reshape({features.size(0), 1, features.size(1), features.size(2)});
    return std::make_shared<TensorDataset>(features, y.data, num_classes);
}

}  // namespace neura::data
