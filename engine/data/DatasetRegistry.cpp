#include "neura/data/DatasetRegistry.h"

#include <algorithm>
#include <filesystem>
#include <functional>

#include "data/TextFile.h"
#include "neura/data/BuiltinDatasets.h"
#include "neura/data/CsvReader.h"
#include "neura/data/IdxReader.h"
#include "neura/data/Sequence.h"
#include "neura/data/Synthetic.h"

namespace neura::data {

namespace {

using Kind = DatasetParam::Kind;

// The validated parameters of one make_dataset call: user values over defaults.
class Args {
public:
    Args(const DatasetInfo& info, const DatasetParams& given) : info_(info) {
        for (const auto& [key, value] : given) {
            const auto it = std::find_if(info.params.begin(), info.params.end(),
                                         [&key = key](const DatasetParam& p) { return p.name == key; });
            if (it == info.params.end()) {
                std::string known;
                for (const auto& p : info.params) known += (known.empty() ? "" : ", ") + p.name;
                throw Error(detail::concat("make_dataset(", info.name, "): unknown parameter '", key, "'",
                                           known.empty() ? std::string("; it takes none") : "; it takes " + known));
            }
        }
        for (const auto& p : info.params) {
            const auto it = given.find(p.name);
            values_[p.name] = it != given.end() ? it->second : p.default_value;
            check(p, values_[p.name]);
        }
    }

    std::int64_t integer(const std::string& name) const { return *internal::parse_integer(values_.at(name)); }
    double number(const std::string& name) const { return *internal::parse_number(values_.at(name)); }
    bool flag(const std::string& name) const { return *parse_bool(values_.at(name)); }
    const std::string& text(const std::string& name) const { return values_.at(name); }

    static std::optional<bool> parse_bool(std::string_view s) {
        std::string v(internal::trim(s));
        std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
        if (v == "false" || v == "0" || v == "no" || v == "off") return false;
        return std::nullopt;
    }

private:
    [[noreturn]] void fail(const DatasetParam& p, const std::string& value, const std::string& why) const {
        throw Error(detail::concat("make_dataset(", info_.name, "): parameter '", p.name, "' = '", value, "' ", why));
    }

    void check(const DatasetParam& p, const std::string& value) const {
        std::optional<double> numeric;
        switch (p.kind) {
            case Kind::Int: {
                const auto v = internal::parse_integer(value);
                if (!v) fail(p, value, "is not an integer");
                numeric = static_cast<double>(*v);
                break;
            }
            case Kind::Float:
                numeric = internal::parse_number(value);
                if (!numeric) fail(p, value, "is not a number");
                break;
            case Kind::Bool:
                if (!parse_bool(value)) fail(p, value, "is not a boolean (true/false)");
                break;
            case Kind::Path:
                if (internal::trim(value).empty()) fail(p, value, "is required (a file path)");
                break;
            case Kind::String:
                if (!p.choices.empty() && std::find(p.choices.begin(), p.choices.end(), value) == p.choices.end()) {
                    std::string list;
                    for (const auto& c : p.choices) list += (list.empty() ? "" : ", ") + c;
                    fail(p, value, "is not one of " + list);
                }
                break;
        }
        if (numeric) {
            if (p.min && *numeric < *p.min) fail(p, value, detail::concat("is below the minimum ", *p.min));
            if (p.max && *numeric > *p.max) fail(p, value, detail::concat("is above the maximum ", *p.max));
        }
    }

    const DatasetInfo& info_;
    std::map<std::string, std::string> values_;
};

struct Entry {
    DatasetInfo info;
    std::function<DatasetPtr(const Args&)> build;
};

DatasetParam n_param(const char* def) { return {"n", Kind::Int, def, "number of samples", 1.0, 10'000'000.0, {}}; }
DatasetParam noise_param(const char* def) {
    return {"noise", Kind::Float, def, "standard deviation of the Gaussian noise", 0.0, std::nullopt, {}};
}
DatasetParam seed_param() { return {"seed", Kind::Int, "0", "random seed (same seed, same data)", 0.0, std::nullopt, {}}; }

constexpr const char* kShippedText = "tinyshakespeare.txt.gz";

// A bare file name that names no file here is one of the shipped datasets (the text set's default).
std::filesystem::path resolve_text_path(const std::string& value) {
    const std::filesystem::path path(value);
    std::error_code ec;
    if (std::filesystem::exists(path, ec) || path.has_parent_path()) return path;
    try {
        const auto shipped = datasets_dir() / path;
        if (std::filesystem::is_regular_file(shipped, ec)) return shipped;
    } catch (const Error&) {
        // no shipped datasets folder: the reader reports the path as given
    }
    return path;
}

const std::vector<Entry>& entries() {
    static const std::vector<Entry> table = [] {
        std::vector<Entry> t;
        t.push_back({{"spiral", "k interleaved spiral arms in 2-D; class = arm", Task::Classification,
                      {n_param("300"), noise_param("0.2"), seed_param(),
                       {"classes", Kind::Int, "3", "number of arms (classes)", 2.0, 100.0, {}}}},
                     [](const Args& a) -> DatasetPtr {
                         return spiral(a.integer("n"), a.number("noise"), static_cast<std::uint64_t>(a.integer("seed")),
                                       a.integer("classes"));
                     }});
        t.push_back({{"moons", "two interleaving half circles (sklearn make_moons)", Task::Classification,
                      {n_param("200"), noise_param("0.1"), seed_param()}},
                     [](const Args& a) -> DatasetPtr {
                         return moons(a.integer("n"), a.number("noise"), static_cast<std::uint64_t>(a.integer("seed")));
                     }});
        t.push_back({{"circles", "a small circle inside a large one (sklearn make_circles)", Task::Classification,
                      {n_param("200"), noise_param("0.05"), seed_param(),
                       {"factor", Kind::Float, "0.5", "inner radius / outer radius", 0.0, 0.999, {}}}},
                     [](const Args& a) -> DatasetPtr {
                         return circles(a.integer("n"), a.number("noise"), static_cast<std::uint64_t>(a.integer("seed")),
                                        a.number("factor"));
                     }});
        t.push_back({{"xor", "four quadrants, class = sign(x) xor sign(y)", Task::Classification,
                      {n_param("200"), noise_param("0.1"), seed_param()}},
                     [](const Args& a) -> DatasetPtr {
                         return xor_quadrants(a.integer("n"), a.number("noise"),
                                              static_cast<std::uint64_t>(a.integer("seed")));
                     }});
        t.push_back({{"blobs", "isotropic Gaussian clusters (sklearn make_blobs); class = cluster", Task::Classification,
                      {n_param("300"),
                       {"cluster_std", Kind::Float, "1.0", "standard deviation of each cluster", 0.0, std::nullopt, {}},
                       seed_param(), {"centers", Kind::Int, "3", "number of clusters (classes)", 1.0, 1000.0, {}},
                       {"features", Kind::Int, "2", "number of features (dimensions)", 1.0, 10000.0, {}}}},
                     [](const Args& a) -> DatasetPtr {
                         return blobs(a.integer("n"), a.number("cluster_std"), static_cast<std::uint64_t>(a.integer("seed")),
                                      a.integer("centers"), a.integer("features"));
                     }});
        t.push_back({{"sine", "regression: x uniform in [-pi, pi], y = sin x + noise", Task::Regression,
                      {n_param("200"), noise_param("0.1"), seed_param()}},
                     [](const Args& a) -> DatasetPtr {
                         return sine(a.integer("n"), a.number("noise"), static_cast<std::uint64_t>(a.integer("seed")));
                     }});
        t.push_back({{"sine-forecast", "next values of noisy sums of sines; features [length, 1]",
                      Task::Regression,
                      {{"n", Kind::Int, "1000", "number of samples (windows of one series, in time order)", 1.0,
                        1'000'000.0, {}},
                       {"length", Kind::Int, "32", "time steps per sample (features [length, 1])", 1.0, 4096.0, {}},
                       {"horizon", Kind::Int, "1", "future values to predict (target [horizon])", 1.0, 1024.0, {}},
                       {"waves", Kind::Int, "3", "sines summed (random amplitude, frequency, phase each)", 1.0, 64.0,
                        {}},
                       noise_param("0.05"), seed_param()}},
                     [](const Args& a) -> DatasetPtr {
                         return sine_forecast(a.integer("n"), a.integer("length"), a.integer("horizon"),
                                              a.integer("waves"), a.number("noise"),
                                              static_cast<std::uint64_t>(a.integer("seed")));
                     }});
        for (const TokenTask task : {TokenTask::Copy, TokenTask::Reverse, TokenTask::Sort}) {
            static const char* const kWhat[] = {"the same tokens", "the tokens in reverse order",
                                                "the tokens sorted ascending"};
            t.push_back({{token_task_name(task),
                          detail::concat("token task: random tokens in, ", kWhat[static_cast<int>(task)],
                                         " out (a class per step); features [length] token indices"),
                          Task::Classification,
                          {n_param("5000"),
                           {"length", Kind::Int, "8", "tokens per sample", 1.0, 4096.0, {}},
                           {"vocab", Kind::Int, "10", "distinct tokens (classes)", 2.0, 100'000.0, {}},
                           {"min_length", Kind::Int, "0",
                            "shortest sample: below length, samples vary in length, padded with the token vocab "
                            "(0: all samples are length tokens)",
                            0.0, 4096.0, {}},
                           seed_param()}},
                         [task](const Args& a) -> DatasetPtr {
                             return std::make_shared<TokenTaskDataset>(
                                 task, a.integer("n"), a.integer("length"), a.integer("vocab"),
                                 static_cast<std::uint64_t>(a.integer("seed")), a.integer("min_length"));
                         }});
        }
        t.push_back({{"digits", "UCI handwritten digits: 1797 8x8 images, pixels 0-16, 10 classes", Task::Classification,
                      {{"image", Kind::Bool, "false", "features as [1, 8, 8] images instead of 64 values", {}, {}, {}}}},
                     [](const Args& a) -> DatasetPtr { return digits(a.flag("image")); }});
        t.push_back({{"iris", "UCI iris: 150 flowers, 4 features, 3 classes", Task::Classification, {}},
                     [](const Args&) -> DatasetPtr { return iris(); }});
        t.push_back({{"wine", "UCI wine recognition: 178 wines, 13 features, 3 classes", Task::Classification, {}},
                     [](const Args&) -> DatasetPtr { return wine(); }});
        t.push_back({{"breast_cancer", "UCI breast cancer Wisconsin (diagnostic): 569 samples, 30 features, 2 classes",
                      Task::Classification, {}},
                     [](const Args&) -> DatasetPtr { return breast_cancer(); }});
        t.push_back({{"csv", "your own CSV file: numeric features and one label column", Task::Classification,
                      {{"path", Kind::Path, "", "the CSV file", {}, {}, {}},
                       {"label", Kind::String, "", "label column: header name or 0-based index (-1 = last); empty = last", {}, {}, {}},
                       {"header", Kind::String, "auto", "whether the first row is a header", {}, {}, {"auto", "yes", "no"}},
                       {"labels", Kind::String, "auto",
                        "label kind: integer class indices, class names, or a numeric regression target", {}, {},
                        {"auto", "integer", "names", "regression"}},
                       {"delimiter", Kind::String, "auto", "cell separator", {}, {}, {"auto", ",", ";", "tab"}}}},
                     [](const Args& a) -> DatasetPtr {
                         CsvOptions o;
                         o.label_column = a.text("label");
                         const std::string& h = a.text("header");
                         o.header = h == "yes" ? CsvOptions::Header::Present
                                               : h == "no" ? CsvOptions::Header::Absent : CsvOptions::Header::Auto;
                         const std::string& l = a.text("labels");
                         o.labels = l == "integer"  ? CsvOptions::Labels::Integer
                                    : l == "names"  ? CsvOptions::Labels::Names
                                    : l == "regression" ? CsvOptions::Labels::Regression
                                                        : CsvOptions::Labels::Auto;
                         const std::string& d = a.text("delimiter");
                         o.delimiter = d == "auto" ? '\0' : d == "tab" ? '\t' : d[0];
                         return read_csv(a.text("path"), o).dataset;
                     }});
        t.push_back({{"csv-series",
                      "forecasting windows over a time series in your own CSV file (one row per step); features "
                      "[window, columns]",
                      Task::Regression,
                      {{"path", Kind::Path, "", "the CSV file: one row per time step, oldest first", {}, {}, {}},
                       {"columns", Kind::String, "",
                        "input columns: header names or 0-based indices joined by + (e.g. temp+humidity); empty = "
                        "every column whose first value is a number",
                        {}, {}, {}},
                       {"target", Kind::String, "",
                        "columns to forecast, named the same way; empty = the input columns", {}, {}, {}},
                       {"window", Kind::Int, "24", "time steps per sample (features [window, columns])", 1.0,
                        100'000.0, {}},
                       {"horizon", Kind::Int, "1", "future steps to predict (target [horizon x targets])", 1.0,
                        10'000.0, {}},
                       {"stride", Kind::Int, "1", "rows between the starts of consecutive samples", 1.0, 100'000.0,
                        {}}}},
                     [](const Args& a) -> DatasetPtr {
                         CsvSeriesOptions o;
                         o.columns = split_column_list(a.text("columns"));
                         o.targets = split_column_list(a.text("target"));
                         o.window = a.integer("window");
                         o.horizon = a.integer("horizon");
                         o.stride = a.integer("stride");
                         return std::make_shared<CsvSeriesDataset>(a.text("path"), o);
                     }});
        t.push_back({{"idx", "IDX files (MNIST format): an images file and a labels file", Task::Classification,
                      {{"images", Kind::Path, "", "images file, e.g. train-images-idx3-ubyte(.gz)", {}, {}, {}},
                       {"labels", Kind::Path, "", "labels file, e.g. train-labels-idx1-ubyte(.gz)", {}, {}, {}},
                       {"scale", Kind::Bool, "true", "divide unsigned-byte pixels by 255", {}, {}, {}}}},
                     [](const Args& a) -> DatasetPtr {
                         return read_idx_dataset(a.text("images"), a.text("labels"), a.flag("scale"));
                     }});
        t.push_back({{"text",
                      "next-character prediction on a UTF-8 text (default: Tiny Shakespeare); features [length] "
                      "character indices",
                      Task::Classification,
                      {{"path", Kind::Path, kShippedText,
                        "UTF-8 text file, plain or .gz; a bare file name that is not in the working folder is "
                        "looked up among the shipped datasets",
                        {}, {}, {}},
                       {"length", Kind::Int, "64", "characters per sample (the context)", 1.0, 100'000.0, {}},
                       {"stride", Kind::Int, "3", "characters between the starts of consecutive samples", 1.0,
                        100'000.0, {}},
                       {"max_samples", Kind::Int, "20000", "the most samples kept (the first windows of the text)",
                        1.0, 10'000'000.0, {}}}},
                     [](const Args& a) -> DatasetPtr {
                         TextOptions o;
                         o.length = a.integer("length");
                         o.stride = a.integer("stride");
                         o.max_samples = a.integer("max_samples");
                         return std::make_shared<TextDataset>(resolve_text_path(a.text("path")), o);
                     }});
        return t;
    }();
    return table;
}

const Entry& find_entry(const std::string& name) {
    for (const auto& e : entries())
        if (e.info.name == name) return e;
    std::string known;
    for (const auto& e : entries()) known += (known.empty() ? "" : ", ") + e.info.name;
    throw Error(detail::concat("make_dataset: unknown dataset '", name, "'; known datasets are ", known));
}

}  // namespace

const char* param_kind_name(DatasetParam::Kind k) {
    switch (k) {
        case Kind::Int: return "int";
        case Kind::Float: return "float";
        case Kind::Bool: return "bool";
        case Kind::String: return "string";
        case Kind::Path: return "path";
    }
    return "?";
}

const std::vector<DatasetInfo>& dataset_names() {
    static const std::vector<DatasetInfo> infos = [] {
        std::vector<DatasetInfo> v;
        for (const auto& e : entries()) v.push_back(e.info);
        return v;
    }();
    return infos;
}

const DatasetInfo& dataset_info(const std::string& name) { return find_entry(name).info; }

DatasetPtr make_dataset(const std::string& name, const DatasetParams& params) {
    const Entry& entry = find_entry(name);
    const Args args(entry.info, params);
    return entry.build(args);
}

}  // namespace neura::data
