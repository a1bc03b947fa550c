// libFuzzer target: any file read as a CSV dataset gives a dataset or a neura::Error naming the line.
// The first byte picks the options, so every header, label and delimiter mode is reached.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "neura/core/Error.h"
#include "neura/data/CsvReader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    using neura::data::CsvOptions;
    CsvOptions o;
    const std::uint8_t mode = data[0];
    o.header = static_cast<CsvOptions::Header>(mode % 3);
    o.labels = static_cast<CsvOptions::Labels>((mode / 3) % 4);
    static const char kDelimiters[] = {0, ',', ';', '\t'};
    o.delimiter = kDelimiters[(mode / 12) % 4];
    if (mode >= 128) o.label_column = (mode & 1) ? "0" : "label";
    try {
        (void)neura::data::parse_csv(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1), "fuzz.csv", o);
    } catch (const neura::Error&) {
        // Expected for many inputs.
    }
    return 0;
}
