#include "plugin/ElfStamp.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

#include "neura/core/Error.h"
#include "neura/plugin/PluginApi.h"

namespace neura::plugin::detail {

namespace {

#if defined(__x86_64__)
constexpr Elf64_Half kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr Elf64_Half kMachine = EM_AARCH64;
#else
constexpr Elf64_Half kMachine = EM_NONE;  // not checked
#endif

const char* machine_name(Elf64_Half m) {
    switch (m) {
        case EM_X86_64: return "x86-64";
        case EM_AARCH64: return "AArch64";
        case EM_386: return "x86 (32-bit)";
        case EM_ARM: return "ARM (32-bit)";
        case EM_RISCV: return "RISC-V";
        case EM_PPC64: return "POWER";
        default: return "another machine";
    }
}

class File {
public:
    explicit File(const std::string& path) : f_(path, std::ios::binary) {
        NEURA_CHECK(f_, "cannot be read");
        f_.seekg(0, std::ios::end);
        size_ = static_cast<std::uint64_t>(f_.tellg());
    }
    std::uint64_t size() const { return size_; }
    // `n` bytes at `offset`; throws naming `what` when they are not all in the file.
    void read(std::uint64_t offset, void* out, std::uint64_t n, const char* what) {
        NEURA_CHECK(offset <= size_ && n <= size_ - offset, "is not a valid ELF file (its ", what, " lies outside the file)");
        f_.seekg(static_cast<std::streamoff>(offset));
        f_.read(static_cast<char*>(out), static_cast<std::streamsize>(n));
        NEURA_CHECK(f_, "cannot be read (", what, ")");
    }

private:
    std::ifstream f_;
    std::uint64_t size_ = 0;
};

}  // namespace

Stamp read_stamp(const std::string& path) {
    File f(path);
    unsigned char ident[EI_NIDENT] = {};
    NEURA_CHECK(f.size() >= SELFMAG, "is not a shared library (", f.size(), " bytes, too small for ELF)");
    f.read(0, ident, std::min<std::uint64_t>(EI_NIDENT, f.size()), "header");
    NEURA_CHECK(std::memcmp(ident, ELFMAG, SELFMAG) == 0, "is not a shared library (not an ELF file)");
    NEURA_CHECK(f.size() >= sizeof(Elf64_Ehdr), "is not a valid ELF file (", f.size(), " bytes, too small for its header)");
    NEURA_CHECK(ident[EI_CLASS] == ELFCLASS64, "is a 32-bit library; NeuraStudio loads 64-bit plugins");
    NEURA_CHECK(ident[EI_DATA] == ELFDATA2LSB, "is a big-endian library; NeuraStudio loads little-endian plugins");
    Elf64_Ehdr eh;
    f.read(0, &eh, sizeof eh, "header");
    NEURA_CHECK(eh.e_type == ET_DYN, "is not a shared library (ELF type ", eh.e_type, ")");
    NEURA_CHECK(kMachine == EM_NONE || eh.e_machine == kMachine, "is built for ", machine_name(eh.e_machine),
                ", not for ", machine_name(kMachine));
    NEURA_CHECK(eh.e_shentsize == sizeof(Elf64_Shdr) && eh.e_shoff != 0,
                "has no section table, so no NeuraStudio plugin stamp");

    // Section count and the section-name table's index may live in section 0 (more than 0xff00 sections).
    Elf64_Shdr first;
    f.read(eh.e_shoff, &first, sizeof first, "section table");
    std::uint64_t count = eh.e_shnum ? eh.e_shnum : first.sh_size;
    std::uint64_t names_index = eh.e_shstrndx == SHN_XINDEX ? first.sh_link : eh.e_shstrndx;
    NEURA_CHECK(count > 0 && count <= (f.size() - std::min<std::uint64_t>(eh.e_shoff, f.size())) / sizeof(Elf64_Shdr),
                "is not a valid ELF file (its section table lies outside the file)");
    NEURA_CHECK(names_index < count, "is not a valid ELF file (bad section-name table index)");
    std::vector<Elf64_Shdr> sections(count);
    f.read(eh.e_shoff, sections.data(), count * sizeof(Elf64_Shdr), "section table");
    const Elf64_Shdr& names = sections[names_index];
    NEURA_CHECK(names.sh_size <= (std::uint64_t{1} << 26), "is not a valid ELF file (section-name table too large)");
    std::vector<char> name_bytes(names.sh_size + 1, '\0');
    f.read(names.sh_offset, name_bytes.data(), names.sh_size, "section-name table");

    for (const Elf64_Shdr& s : sections) {
        if (s.sh_name >= names.sh_size) continue;
        if (std::strcmp(name_bytes.data() + s.sh_name, NEURA_PLUGIN_STAMP_SECTION) != 0) continue;
        NEURA_CHECK(s.sh_type != SHT_NOBITS && s.sh_size > 0 && s.sh_size <= 4096,
                    "has a malformed NeuraStudio plugin stamp (section of ", s.sh_size, " bytes)");
        std::string text(s.sh_size, '\0');
        f.read(s.sh_offset, text.data(), s.sh_size, "plugin stamp");
        text = text.substr(0, text.find('\0'));  // the stamp is one C string
        const std::string prefix = NEURA_PLUGIN_STAMP_PREFIX "api=";
        NEURA_CHECK(text.rfind(prefix, 0) == 0, "has a malformed NeuraStudio plugin stamp");
        const std::size_t tag_at = text.find(" tag=", prefix.size());
        NEURA_CHECK(tag_at != std::string::npos, "has a malformed NeuraStudio plugin stamp (no build tag)");
        const std::string api = text.substr(prefix.size(), tag_at - prefix.size());
        NEURA_CHECK(!api.empty() && api.size() <= 9 && api.find_first_not_of("0123456789") == std::string::npos,
                    "has a malformed NeuraStudio plugin stamp (API version '", api, "')");
        return {std::stoi(api), text.substr(tag_at + 5)};
    }
    throw Error("has no NeuraStudio plugin stamp (section " NEURA_PLUGIN_STAMP_SECTION
                "): it is not a plugin, or it was built without NEURA_PLUGIN from <neura_plugin.h>");
}

}  // namespace neura::plugin::detail
