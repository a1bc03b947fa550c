#include "data/TextFile.h"

#include <zlib.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <algorithm>

#include "neura/core/Error.h"

namespace neura::data::internal {

DataFileReader::DataFileReader(const std::filesystem::path& path) : path_(path) {
    std::error_code ec;
    NEURA_CHECK(std::filesystem::is_regular_file(path, ec), path.string(), ": no such file");
    errno = 0;
    gz_ = gzopen(path.string().c_str(), "rb");
    NEURA_CHECK(gz_, path.string(), ": cannot open (", errno != 0 ? std::strerror(errno) : "out of memory", ")");
}

DataFileReader::~DataFileReader() {
    if (gz_) gzclose(static_cast<gzFile>(gz_));
}

bool DataFileReader::compressed() const { return gzdirect(static_cast<gzFile>(gz_)) == 0; }

std::uint64_t DataFileReader::read(std::string& out, std::uint64_t n) {
    const auto f = static_cast<gzFile>(gz_);
    char buffer[1 << 16];
    std::uint64_t total = 0;
    while (total < n) {
        const auto want = static_cast<unsigned>(std::min<std::uint64_t>(sizeof buffer, n - total));
        const int got = gzread(f, buffer, want);
        if (got < 0) {
            int code = 0;
            const char* msg = gzerror(f, &code);
            throw Error(detail::concat(path_.string(), ": read failed (", msg ? msg : "zlib error", ")"));
        }
        if (got == 0) break;
        out.append(buffer, static_cast<std::size_t>(got));
        total += static_cast<std::uint64_t>(got);
    }
    if (total < n) {  // gzread stops quietly at a truncated gzip stream; gzerror reports it.
        int code = Z_OK;
        const char* msg = gzerror(f, &code);
        NEURA_CHECK(code == Z_OK || code == Z_STREAM_END, path_.string(), ": read failed (", msg ? msg : "zlib error",
                    ")");
    }
    return total;
}

std::string read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
    DataFileReader reader(path);
    std::string out;
    const std::uint64_t got = reader.read(out, max_bytes + 1);
    NEURA_CHECK(got <= max_bytes, path.string(), ": ", reader.compressed() ? "decompresses to" : "holds",
                " more than ", max_bytes, " bytes, the most a data file may hold");
    return out;
}

std::vector<Line> nonblank_lines(std::string_view text) {
    std::vector<Line> lines;
    std::int64_t number = 1;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find_first_of("\r\n", pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = text.substr(pos, end - pos);
        if (!trim(line).empty()) lines.push_back({number, line});
        if (end >= text.size()) break;
        pos = end + 1;
        if (text[end] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
        ++number;
    }
    return lines;
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t");
    return s.substr(first, last - first + 1);
}

std::vector<std::string> split_csv_row(std::string_view line, char delimiter) {
    std::vector<std::string> cells;
    std::size_t i = 0;
    for (;;) {
        // Leading blanks before a quote are allowed.
        std::size_t j = i;
        while (j < line.size() && (line[j] == ' ' || line[j] == '\t') && line[j] != delimiter) ++j;
        if (j < line.size() && line[j] == '"') {
            std::string cell;
            std::size_t k = j + 1;
            bool closed = false;
            while (k < line.size()) {
                if (line[k] == '"') {
                    if (k + 1 < line.size() && line[k + 1] == '"') {
                        cell += '"';
                        k += 2;
                        continue;
                    }
                    closed = true;
                    ++k;
                    break;
                }
                cell += line[k++];
            }
            if (!closed) throw Error("unterminated quoted field");
            while (k < line.size() && (line[k] == ' ' || line[k] == '\t')) ++k;
            if (k < line.size() && line[k] != delimiter) throw Error("text after a closing quote");
            cells.push_back(std::move(cell));
            if (k >= line.size()) break;
            i = k + 1;
        } else {
            std::size_t end = line.find(delimiter, i);
            if (end == std::string_view::npos) end = line.size();
            cells.emplace_back(trim(line.substr(i, end - i)));
            if (end >= line.size()) break;
            i = end + 1;
        }
    }
    return cells;
}

std::optional<double> parse_number(std::string_view cell) {
    cell = trim(cell);
    if (cell.empty()) return std::nullopt;
    if (cell.front() == '+') cell.remove_prefix(1);
    double v = 0.0;
    const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (ec != std::errc{} || ptr != cell.data() + cell.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

std::optional<std::int64_t> parse_integer(std::string_view cell) {
    cell = trim(cell);
    if (cell.empty()) return std::nullopt;
    if (cell.front() == '+') cell.remove_prefix(1);
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    if (ec == std::errc{} && ptr == cell.data() + cell.size()) return v;
    const auto d = parse_number(cell);
    if (d && std::floor(*d) == *d && std::abs(*d) < 9.0e15) return static_cast<std::int64_t>(*d);
    return std::nullopt;
}

std::string where(const std::filesystem::path& path, std::int64_t line) {
    return detail::concat(path.string(), ":", line, ": ");
}

}  // namespace neura::data::internal
