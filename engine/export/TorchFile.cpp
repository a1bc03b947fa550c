// PyTorch's zip serialization written from C++ (neura/export/TorchFile.h): a stored (uncompressed) zip
// holding a pickle and one raw record per tensor, as torch.save does.
#include "neura/export/TorchFile.h"

#include <zlib.h>

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "neura/core/Error.h"

namespace neura::pytorch {

using detail::concat;

static_assert(std::endian::native == std::endian::little, "the records are written in the machine's byte order");

namespace {

// ---- pickle (protocol 2), only the opcodes a state_dict needs ----
class Pickler {
public:
    std::string bytes;

    void proto() { bytes += "\x80\x02"; }
    void stop() { bytes += '.'; }
    void mark() { bytes += '('; }
    void tuple() { bytes += 't'; }
    void empty_tuple() { bytes += ')'; }
    void reduce() { bytes += 'R'; }
    void setitems() { bytes += 'u'; }
    void binpersid() { bytes += 'Q'; }
    void boolean(bool v) { bytes += v ? '\x88' : '\x89'; }
    void global(const std::string& module, const std::string& name) { bytes += concat('c', module, '\n', name, '\n'); }
    void text(const std::string& s) {  // BINUNICODE: 4-byte length, UTF-8
        bytes += 'X';
        u32(static_cast<std::uint32_t>(s.size()));
        bytes += s;
    }
    void integer(std::int64_t v) {
        if (v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max()) {
            bytes += 'J';  // BININT: 4-byte signed
            u32(static_cast<std::uint32_t>(static_cast<std::int32_t>(v)));
            return;
        }
        bytes += "\x8a\x08";  // LONG1: 8 bytes, two's complement, little-endian
        for (int i = 0; i < 8; ++i) bytes += static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff);
    }
    void int_tuple(const std::vector<std::int64_t>& v) {
        if (v.empty()) return empty_tuple();
        mark();
        for (std::int64_t x : v) integer(x);
        tuple();
    }
    void ordered_dict() {  // collections.OrderedDict()
        global("collections", "OrderedDict");
        empty_tuple();
        reduce();
    }

private:
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) bytes += static_cast<char>((v >> (8 * i)) & 0xff);
    }
};

const char* storage_class(DType d) {
    switch (d) {
        case DType::F32: return "FloatStorage";
        case DType::F64: return "DoubleStorage";
        case DType::I64: return "LongStorage";
    }
    return nullptr;
}

// ---- zip (stored entries, no ZIP64) ----
class ZipWriter {
public:
    // Adds a record whose data starts at a multiple of 64 bytes in the file (PyTorch's writer does the
    // same, padding the local header's extra field, so that readers may map tensors in place).
    void add(const std::string& name, const char* data, std::size_t size) {
        const std::size_t header = 30 + name.size();
        std::size_t pad = (64 - (out_.size() + header + 4) % 64) % 64;  // + 4: the extra field's own header
        auto c = static_cast<std::uint32_t>(crc32(0L, Z_NULL, 0));
        for (std::size_t done = 0; done < size;) {  // crc32 takes at most uInt bytes at a time
            const std::size_t n = std::min<std::size_t>(size - done, 1u << 30);
            c = static_cast<std::uint32_t>(crc32(c, reinterpret_cast<const Bytef*>(data + done), static_cast<uInt>(n)));
            done += n;
        }
        check_fits(name, out_.size() + header + 4 + pad + size);
        entries_.push_back({name, c, static_cast<std::uint32_t>(size), static_cast<std::uint32_t>(out_.size())});
        u32(0x04034b50);
        u16(20);  // version needed: 2.0
        u16(0);   // flags
        u16(0);   // stored
        u16(0);   // time
        u16(0x21);  // date: 1980-01-01
        u32(c);
        u32(static_cast<std::uint32_t>(size));
        u32(static_cast<std::uint32_t>(size));
        u16(static_cast<std::uint16_t>(name.size()));
        u16(static_cast<std::uint16_t>(4 + pad));
        out_ += name;
        u16(0x4246);  // "FB": PyTorch's padding field id
        u16(static_cast<std::uint16_t>(pad));
        out_.append(pad, 'Z');
        out_.append(data, size);
    }

    std::string finish() {
        const std::size_t cd_start = out_.size();
        for (const Entry& e : entries_) {
            u32(0x02014b50);
            u16(20);  // made by
            u16(20);  // needed
            u16(0);
            u16(0);
            u16(0);
            u16(0x21);
            u32(e.crc);
            u32(e.size);
            u32(e.size);
            u16(static_cast<std::uint16_t>(e.name.size()));
            u16(0);  // extra
            u16(0);  // comment
            u16(0);  // disk
            u16(0);  // internal attributes
            u32(0);  // external attributes
            u32(e.offset);
            out_ += e.name;
        }
        const std::size_t cd_size = out_.size() - cd_start;
        check_fits("the central directory", out_.size() + 22);
        NEURA_CHECK(entries_.size() < 0xffff, "PyTorch file: ", entries_.size(), " records are more than a zip without ZIP64 holds");
        u32(0x06054b50);
        u16(0);
        u16(0);
        u16(static_cast<std::uint16_t>(entries_.size()));
        u16(static_cast<std::uint16_t>(entries_.size()));
        u32(static_cast<std::uint32_t>(cd_size));
        u32(static_cast<std::uint32_t>(cd_start));
        u16(0);
        return std::move(out_);
    }

private:
    struct Entry {
        std::string name;
        std::uint32_t crc, size, offset;
    };
    static void check_fits(const std::string& what, std::size_t end) {
        NEURA_CHECK(end < 0xffffffffull, "PyTorch file: ", what, " would end past 4 GiB, more than a zip without ZIP64 holds");
    }
    void u16(std::uint16_t v) {
        out_ += static_cast<char>(v & 0xff);
        out_ += static_cast<char>(v >> 8);
    }
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xff);
    }
    std::string out_;
    std::vector<Entry> entries_;
};

}  // namespace

std::string torch_save_bytes(const NamedTensors& tensors) {
    std::vector<Tensor> host;
    host.reserve(tensors.size());
    Pickler p;
    p.proto();
    p.ordered_dict();
    if (!tensors.empty()) p.mark();
    for (std::size_t k = 0; k < tensors.size(); ++k) {
        const auto& [name, t] = tensors[k];
        NEURA_CHECK(t.defined(), "PyTorch file: tensor '", name, "' is undefined");
        const char* storage = storage_class(t.dtype());
        NEURA_CHECK(storage, "PyTorch file: tensor '", name, "' has dtype ", dtype_name(t.dtype()),
                    "; float32, float64 and int64 are written");
        host.push_back(t.detach().to(Device::cpu()).contiguous());
        const Shape& sizes = host.back().shape();
        std::vector<std::int64_t> strides(sizes.size(), 1);
        for (std::size_t d = sizes.size(); d-- > 1;) strides[d - 1] = strides[d] * sizes[d];
        p.text(name);
        p.global("torch._utils", "_rebuild_tensor_v2");
        p.mark();
        {
            p.mark();  // the storage's persistent id
            p.text("storage");
            p.global("torch", storage);
            p.text(std::to_string(k));
            p.text("cpu");
            p.integer(host.back().numel());
            p.tuple();
            p.binpersid();
        }
        p.integer(0);  // storage offset
        p.int_tuple(std::vector<std::int64_t>(sizes.begin(), sizes.end()));
        p.int_tuple(strides);
        p.boolean(false);  // requires_grad
        p.ordered_dict();  // backward hooks
        p.tuple();
        p.reduce();
    }
    if (!tensors.empty()) p.setitems();
    p.stop();

    ZipWriter zip;
    zip.add("archive/data.pkl", p.bytes.data(), p.bytes.size());
    for (std::size_t k = 0; k < host.size(); ++k) {
        const Tensor& t = host[k];
        const std::size_t bytes = static_cast<std::size_t>(t.numel()) * element_size(t.dtype());
        const char* data = nullptr;
        switch (t.dtype()) {
            case DType::F32: data = reinterpret_cast<const char*>(t.data<float>()); break;
            case DType::F64: data = reinterpret_cast<const char*>(t.data<double>()); break;
            case DType::I64: data = reinterpret_cast<const char*>(t.data<std::int64_t>()); break;
        }
        zip.add(concat("archive/data/", k), bytes ? data : "", bytes);
    }
    zip.add("archive/version", "3\n", 2);
    return zip.finish();
}

void torch_save(const NamedTensors& tensors, const std::string& path) {
    const std::string bytes = torch_save_bytes(tensors);
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        NEURA_CHECK(f, "cannot write '", path, "': ", std::strerror(errno));
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        f.flush();
        if (!f) {
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            throw Error(concat("cannot write '", path, "': ", std::strerror(errno)));
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        throw Error(concat("cannot write '", path, "': ", ec.message()));
    }
}

}  // namespace neura::pytorch
