#include "neura/data/BuiltinDatasets.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "data/TextFile.h"

#if defined(_WIN32)
#include <windows.h>
#endif

namespace neura::data {

namespace {

std::filesystem::path executable_dir() {
    std::error_code ec;
#if defined(_WIN32)
    wchar_t buffer[MAX_PATH];
    const DWORD len = GetModuleFileNameW(nullptr, buffer, MAX_PATH);
    if (len == 0 || len == MAX_PATH) return {};
    return std::filesystem::path(buffer).parent_path();
#else
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    return exe.parent_path();
#endif
}

// Rows of numbers whose last column is an integer class index; `skip_first` lines are headers.
struct Table {
    std::vector<float> features;
    std::vector<std::int64_t> labels;
    std::int64_t rows = 0;
    std::int64_t feature_count = 0;
};

Table parse_labelled_rows(const std::filesystem::path& path, const std::vector<internal::Line>& lines,
                          std::size_t first, std::int64_t feature_count) {
    Table t;
    t.feature_count = feature_count;
    for (std::size_t li = first; li < lines.size(); ++li) {
        const internal::Line& line = lines[li];
        std::vector<std::string> cells;
        try {
            cells = internal::split_csv_row(line.text, ',');
        } catch (const Error& e) {
            throw Error(internal::where(path, line.number) + e.what());
        }
        NEURA_CHECK(static_cast<std::int64_t>(cells.size()) == feature_count + 1, internal::where(path, line.number),
                    cells.size(), " cells, expected ", feature_count + 1, " (", feature_count, " features and the class)");
        for (std::int64_t j = 0; j < feature_count; ++j) {
            const auto v = internal::parse_number(cells[static_cast<std::size_t>(j)]);
            NEURA_CHECK(v, internal::where(path, line.number), "column ", j + 1, ": '", cells[static_cast<std::size_t>(j)],
                        "' is not a number");
            t.features.push_back(static_cast<float>(*v));
        }
        const auto y = internal::parse_integer(cells.back());
        NEURA_CHECK(y && *y >= 0, internal::where(path, line.number), "column ", feature_count + 1, ": '", cells.back(),
                    "' is not a class index");
        t.labels.push_back(*y);
        ++t.rows;
    }
    return t;
}

std::shared_ptr<TensorDataset> to_dataset(const Table& t, Shape feature_shape, std::int64_t num_classes,
                                          std::vector<std::string> class_names) {
    Shape shape = std::move(feature_shape);
    shape.insert(shape.begin(), t.rows);
    Tensor features = Tensor::empty(shape, DType::F32);
    std::copy(t.features.begin(), t.features.end(), features.data<float>());
    Tensor targets = Tensor::empty({t.rows}, DType::I64);
    std::copy(t.labels.begin(), t.labels.end(), targets.data<std::int64_t>());
    return std::make_shared<TensorDataset>(features, targets, num_classes, std::move(class_names));
}

}  // namespace

std::filesystem::path datasets_dir() {
    std::error_code ec;
    if (const char* env = std::getenv("NEURA_DATA_DIR"); env && *env) {
        const std::filesystem::path dir(env);
        NEURA_CHECK(std::filesystem::is_directory(dir, ec), "datasets_dir: NEURA_DATA_DIR is '", env,
                    "', which is not a folder");
        return dir;
    }
    std::string tried = "NEURA_DATA_DIR (not set)";
    if (const auto exe = executable_dir(); !exe.empty()) {
        const auto dir = (exe / ".." / "share" / "neurastudio" / "datasets").lexically_normal();
        if (std::filesystem::is_directory(dir, ec)) return dir;
        tried += ", " + dir.string();
    }
#ifdef NEURA_SOURCE_DATA_DIR
    {
        const std::filesystem::path dir(NEURA_SOURCE_DATA_DIR);
        if (std::filesystem::is_directory(dir, ec)) return dir;
        tried += ", " + dir.string();
    }
#endif
    throw Error("datasets_dir: no datasets folder found; tried " + tried);
}

std::filesystem::path dataset_file(const std::string& file_name) {
    const auto path = datasets_dir() / file_name;
    std::error_code ec;
    NEURA_CHECK(std::filesystem::is_regular_file(path, ec), path.string(), ": dataset file not found");
    return path;
}

std::shared_ptr<TensorDataset> load_sklearn_csv(const std::filesystem::path& path) {
    const std::string text = internal::read_file(path);
    const auto lines = internal::nonblank_lines(text);
    NEURA_CHECK(!lines.empty(), path.string(), ": empty file");
    std::vector<std::string> header;
    try {
        header = internal::split_csv_row(lines[0].text, ',');
    } catch (const Error& e) {
        throw Error(internal::where(path, lines[0].number) + e.what());
    }
    const auto n = header.size() >= 2 ? internal::parse_integer(header[0]) : std::nullopt;
    const auto f = header.size() >= 2 ? internal::parse_integer(header[1]) : std::nullopt;
    NEURA_CHECK(n && f && *n >= 0 && *f >= 1, internal::where(path, lines[0].number),
                "expected a header 'n_samples,n_features,<class names>'");
    std::vector<std::string> class_names(header.begin() + 2, header.end());
    Table t = parse_labelled_rows(path, lines, 1, *f);
    NEURA_CHECK(t.rows == *n, path.string(), ": the header announces ", *n, " rows, the file has ", t.rows);
    const auto k = static_cast<std::int64_t>(class_names.size());
    for (std::int64_t r = 0; r < t.rows; ++r) {
        NEURA_CHECK(k == 0 || t.labels[static_cast<std::size_t>(r)] < k, path.string(), ": row ", r + 1, " has class ",
                    t.labels[static_cast<std::size_t>(r)], " but the header names ", k, " classes");
    }
    return to_dataset(t, {*f}, k > 0 ? k : -1, std::move(class_names));
}

std::shared_ptr<TensorDataset> digits(bool image) {
    const auto path = dataset_file("digits.csv.gz");
    const std::string text = internal::read_file(path);
    const Table t = parse_labelled_rows(path, internal::nonblank_lines(text), 0, 64);
    for (std::int64_t r = 0; r < t.rows; ++r)
        NEURA_CHECK(t.labels[static_cast<std::size_t>(r)] <= 9, path.string(), ": row ", r + 1, " has digit ",
                    t.labels[static_cast<std::size_t>(r)]);
    std::vector<std::string> names;
    for (int d = 0; d < 10; ++d) names.push_back(std::to_string(d));
    return to_dataset(t, image ? Shape{1, 8, 8} : Shape{64}, 10, std::move(names));
}

std::shared_ptr<TensorDataset> iris() { return load_sklearn_csv(dataset_file("iris.csv")); }
std::shared_ptr<TensorDataset> wine() { return load_sklearn_csv(dataset_file("wine_data.csv")); }
std::shared_ptr<TensorDataset> breast_cancer() { return load_sklearn_csv(dataset_file("breast_cancer.csv")); }

}  // namespace neura::data
