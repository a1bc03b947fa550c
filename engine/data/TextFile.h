#pragma once
// Private helpers of the data readers: whole-file reads (gzip or plain), lines with their numbers,
// CSV cells and strict number parsing.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace neura::data::internal {

// The most bytes a data file may hold once decompressed (a gzip bomb of a few MB would otherwise
// become gigabytes in memory).
inline constexpr std::uint64_t kMaxDataFileBytes = std::uint64_t{2} << 30;  // 2 GiB

// Reads a file, plain or gzip (zlib reads plain files unchanged), piece by piece: nothing is allocated
// beyond what has actually been read. Every method throws neura::Error naming the file.
class DataFileReader {
public:
    explicit DataFileReader(const std::filesystem::path& path);
    ~DataFileReader();
    DataFileReader(const DataFileReader&) = delete;
    DataFileReader& operator=(const DataFileReader&) = delete;

    // Appends up to `n` bytes to `out`; returns how many were read (fewer only at the end of the file).
    std::uint64_t read(std::string& out, std::uint64_t n);
    bool compressed() const;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    void* gz_ = nullptr;  // gzFile
};

// The file's bytes, decompressed. Throws neura::Error naming the file when it cannot be opened or decoded,
// or when it holds (or inflates to) more than `max_bytes`.
std::string read_file(const std::filesystem::path& path, std::uint64_t max_bytes = kMaxDataFileBytes);

struct Line {
    std::int64_t number = 0;  // 1-based, as an editor shows it
    std::string_view text;    // without the line break (\n, \r\n or \r)
};
// The file's lines, blank ones (only spaces or tabs) left out.
std::vector<Line> nonblank_lines(std::string_view text);

// Splits one CSV row on `delimiter`; a field in double quotes may hold the delimiter, "" is a quote.
// Unquoted fields are trimmed of spaces and tabs. Throws (message without a location) on an
// unterminated quote.
std::vector<std::string> split_csv_row(std::string_view line, char delimiter);

std::string_view trim(std::string_view s);
// Whole-cell, finite decimal numbers only ("1", "-2.5e3"; not "", "nan", "1x").
std::optional<double> parse_number(std::string_view cell);
// Whole-cell integers, also written as a float with zero fraction ("3", "3.0").
std::optional<std::int64_t> parse_integer(std::string_view cell);

// "file:line: " for error messages.
std::string where(const std::filesystem::path& path, std::int64_t line);

}  // namespace neura::data::internal
