// load_project / save_project and the cheaper run-history writes. The schema is in docs/project-file.md.
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "neura/core/JsonText.h"
#include "neura/autograd/GradMode.h"
#include "neura/graph/ModelGraph.h"
#include "neura/project/Project.h"
#include "project/Sqlite.h"

#ifndef NEURA_VERSION
#define NEURA_VERSION "unknown"
#endif

namespace neura::project {
namespace {

namespace fs = std::filesystem;
using sqlite::Database;
using sqlite::SqliteError;
using sqlite::Statement;
using sqlite::Transaction;

// Schema version 1. Never edit a released version: add a new one and a migration (see the docs).
// Kept as the record of what version-1 files hold; new files get the newest version.
[[maybe_unused]] constexpr const char* kCreateSchemaV1 = R"sql(
CREATE TABLE documents(
  name    TEXT PRIMARY KEY NOT NULL,
  content TEXT NOT NULL);
CREATE TABLE metadata(
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL);
CREATE TABLE tensors(
  role     TEXT NOT NULL CHECK (role IN ('weight', 'optimizer')),
  position INTEGER NOT NULL,
  name     TEXT NOT NULL,
  dtype    TEXT NOT NULL CHECK (dtype IN ('float32', 'float64', 'int64')),
  shape    TEXT NOT NULL,
  data     BLOB NOT NULL,
  PRIMARY KEY (role, name));
CREATE TABLE runs(
  id                 INTEGER PRIMARY KEY,
  started_at         TEXT NOT NULL,
  finished_at        TEXT,
  status             TEXT NOT NULL,
  config_json        TEXT NOT NULL,
  final_metrics_json TEXT NOT NULL);
CREATE TABLE metrics(
  id     INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch  INTEGER NOT NULL,
  step   INTEGER NOT NULL,
  name   TEXT NOT NULL,
  value  REAL);
CREATE INDEX metrics_by_run ON metrics(run_id, id);
)sql";

// Schema version 2: version 1 with each run's trained model and the settings a sweep varied.
constexpr const char* kCreateSchemaV2 = R"sql(
CREATE TABLE documents(
  name    TEXT PRIMARY KEY NOT NULL,
  content TEXT NOT NULL);
CREATE TABLE metadata(
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL);
CREATE TABLE tensors(
  role     TEXT NOT NULL CHECK (role IN ('weight', 'optimizer')),
  position INTEGER NOT NULL,
  name     TEXT NOT NULL,
  dtype    TEXT NOT NULL CHECK (dtype IN ('float32', 'float64', 'int64')),
  shape    TEXT NOT NULL,
  data     BLOB NOT NULL,
  PRIMARY KEY (role, name));
CREATE TABLE runs(
  id                 INTEGER PRIMARY KEY,
  started_at         TEXT NOT NULL,
  finished_at        TEXT,
  status             TEXT NOT NULL,
  config_json        TEXT NOT NULL,
  final_metrics_json TEXT NOT NULL,
  model_json         TEXT,
  settings_json      TEXT);
CREATE TABLE metrics(
  id     INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch  INTEGER NOT NULL,
  step   INTEGER NOT NULL,
  name   TEXT NOT NULL,
  value  REAL);
CREATE INDEX metrics_by_run ON metrics(run_id, id);
)sql";
static_assert(kSchemaVersion == 2, "a new schema version needs its kCreateSchemaV<N> and migration here");

// Version 1 → 2: runs gain model_json and settings_json (NULL for the runs already there). Runs inside
// the write transaction that also sets the new user_version, so a crash leaves version 1 intact.
constexpr const char* kMigrateV1ToV2 = R"sql(
ALTER TABLE runs ADD COLUMN model_json TEXT;
ALTER TABLE runs ADD COLUMN settings_json TEXT;
)sql";

constexpr const char* kRequiredTables[] = {"documents", "metadata", "tensors", "runs", "metrics"};
constexpr const char* kRoleWeight = "weight";
constexpr const char* kRoleOptimizer = "optimizer";
constexpr std::size_t kMaxRank = 64;

struct DocumentField {
    const char* name;
    std::string Project::*field;
};
constexpr DocumentField kDocuments[] = {
    {"model", &Project::model_json},
    {"layout", &Project::layout_json},
    {"train_config", &Project::train_config_json},
    {"dataset", &Project::dataset_json},
    {"optimizer", &Project::optimizer_json},
};

enum class Op { Load, Save, Append };

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

[[noreturn]] void fail(ProjectErrorKind kind, const std::string& path, const std::string& message) {
    throw ProjectError(kind, path, message);
}

// A problem with what the file at `path` holds, worded for the operation that ran into it.
[[noreturn]] void file_problem(Op op, ProjectErrorKind kind, const std::string& path, const std::string& reason) {
    if (op == Op::Load) fail(kind, path, quoted(path) + " " + reason);
    const char* verb = op == Op::Save ? "cannot save " : "cannot add the run history to ";
    fail(kind, path, verb + quoted(path) + ": the file " + reason + "; it was left unchanged");
}

std::string errno_text(int err) { return std::strerror(err); }

fs::path parent_folder(const std::string& path) {
    fs::path dir = fs::path(path).parent_path();
    return dir.empty() ? fs::path(".") : dir;
}

// SQLite treats a file shorter than one page as an empty database, so a file that is not SQLite at all
// or that was cut to a few bytes must be recognised here, before SQLite would happily "open" it.
constexpr char kSqliteMagic[] = "SQLite format 3";  // 16 bytes with the terminating NUL
constexpr std::uintmax_t kMinPageSize = 512;

struct HeaderProblem {
    ProjectErrorKind kind;
    std::string reason;  // completes "<path> ..." or "the file ..."
};

// `head`: the file's first bytes (up to 16); `size`: its size, > 0.
std::optional<HeaderProblem> header_problem(const std::string& head, std::uintmax_t size) {
    if (head.size() < sizeof kSqliteMagic || std::memcmp(head.data(), kSqliteMagic, sizeof kSqliteMagic) != 0)
        return HeaderProblem{ProjectErrorKind::NotAProject, "is not a NeuraStudio project file (file is not a database)"};
    if (size < kMinPageSize)
        return HeaderProblem{ProjectErrorKind::Damaged, "is a damaged or truncated NeuraStudio project file (only " +
                                                            std::to_string(size) + " bytes)"};
    return std::nullopt;
}

// Reads up to 16 bytes; sets `error` (errno) when the file cannot be opened or read.
std::string read_head(const std::string& path, int& error) {
    error = 0;
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        error = errno;
        return {};
    }
    char buf[sizeof kSqliteMagic];
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    if (std::ferror(f) != 0) error = EIO;
    std::fclose(f);
    return std::string(buf, n);
}

// ---- file-system checks that give clearer messages than SQLite's "unable to open database file" ----

void check_readable(const std::string& path) {
    if (path.empty()) fail(ProjectErrorKind::NotFound, path, "cannot open a project: no file name given");
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (!fs::exists(st)) {
        if (ec && ec != std::errc::no_such_file_or_directory)
            fail(ProjectErrorKind::Unreadable, path, "cannot open " + quoted(path) + " (" + ec.message() + ")");
        fail(ProjectErrorKind::NotFound, path, "cannot open " + quoted(path) + ": the file does not exist");
    }
    if (fs::is_directory(st))
        fail(ProjectErrorKind::Unreadable, path, "cannot open " + quoted(path) + ": it is a folder, not a project file");
    if (!fs::is_regular_file(st))
        fail(ProjectErrorKind::Unreadable, path, "cannot open " + quoted(path) + ": it is not a regular file");
    int error = 0;
    const std::string head = read_head(path, error);
    if (error != 0)
        fail(ProjectErrorKind::Unreadable, path, "cannot read " + quoted(path) + " (" + errno_text(error) + ")");
    if (head.empty())
        fail(ProjectErrorKind::NotAProject, path, quoted(path) + " is not a NeuraStudio project file (the file is empty)");
    if (auto problem = header_problem(head, fs::file_size(path, ec)))
        fail(problem->kind, path, quoted(path) + " " + problem->reason);
}

// Returns whether the file exists. Fails early, before anything is opened, when it could not be written.
bool check_writable(Op op, const std::string& path) {
    const std::string head = (op == Op::Save ? "cannot save " : "cannot add the run history to ") + quoted(path);
    if (path.empty()) fail(ProjectErrorKind::Unwritable, path, "cannot save a project: no file name given");
    const fs::path dir = parent_folder(path);
    std::error_code ec;
    fs::file_status dst = fs::status(dir, ec);
    if (!fs::exists(dst)) fail(ProjectErrorKind::Unwritable, path, head + ": the folder " + quoted(dir.string()) + " does not exist");
    if (!fs::is_directory(dst)) fail(ProjectErrorKind::Unwritable, path, head + ": " + quoted(dir.string()) + " is not a folder");
    fs::file_status fst = fs::status(path, ec);
    const bool exists = fs::exists(fst);
    if (!exists && op == Op::Append)
        fail(ProjectErrorKind::NotFound, path, head + ": the file does not exist");
    if (exists && fs::is_directory(fst)) fail(ProjectErrorKind::Unwritable, path, head + ": it is a folder");
    if (exists && !fs::is_regular_file(fst)) fail(ProjectErrorKind::Unwritable, path, head + ": it is not a regular file");
    const std::string kept = exists ? "; the existing file was left unchanged" : "";
    if (exists && fs::file_size(path, ec) > 0) {
        int error = 0;
        const std::string head_bytes = read_head(path, error);
        if (error != 0)
            fail(ProjectErrorKind::Unwritable, path, head + ": the file cannot be read (" + errno_text(error) + ")" + kept);
        if (auto problem = header_problem(head_bytes, fs::file_size(path, ec)))
            file_problem(op, problem->kind, path, problem->reason);
    }
    // The rollback journal is created next to the file, so the folder must be writable even to update it.
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        fail(ProjectErrorKind::Unwritable, path,
             head + ": the folder " + quoted(dir.string()) + " is not writable (" + errno_text(errno) + ")" + kept);
    if (exists && ::access(path.c_str(), R_OK | W_OK) != 0)
        fail(ProjectErrorKind::Unwritable, path, head + ": the file is read-only (" + errno_text(errno) + ")" + kept);
    return exists;
}

// Explains why saving failed when SQLite only says "unable to open database file" or "disk I/O error".
std::string why_unwritable(const std::string& path) {
    const fs::path dir = parent_folder(path);
    if (::access(dir.c_str(), W_OK | X_OK) != 0)
        return "the folder " + quoted(dir.string()) + " is not writable (" + errno_text(errno) + ")";
    std::error_code ec;
    if (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0)
        return "the file is read-only (" + errno_text(errno) + ")";
    return {};
}

ProjectError translate(const SqliteError& e, Op op, const std::string& path, bool existed) {
    const std::string sq = e.what();
    const std::string kept = existed ? "; the existing file was left unchanged" : "";
    const std::string head = op == Op::Load ? "cannot read " + quoted(path)
                           : op == Op::Save ? "cannot save " + quoted(path)
                                            : "cannot add the run history to " + quoted(path);
    switch (e.primary()) {
        case SQLITE_NOTADB:
            if (op == Op::Load)
                return {ProjectErrorKind::NotAProject, path, quoted(path) + " is not a NeuraStudio project file (" + sq + ")"};
            return {ProjectErrorKind::NotAProject, path,
                    head + ": the file there is not a NeuraStudio project file (" + sq + "); it was left unchanged"};
        case SQLITE_CORRUPT:
            if (op == Op::Load)
                return {ProjectErrorKind::Damaged, path,
                        quoted(path) + " is a damaged or truncated NeuraStudio project file (" + sq + ")"};
            return {ProjectErrorKind::Damaged, path,
                    head + ": the file there is damaged or truncated (" + sq + "); it was left unchanged"};
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return {ProjectErrorKind::Busy, path, head + ": the file is locked by another program (" + sq + ")" + kept};
        case SQLITE_READONLY:
            if (e.code() == SQLITE_READONLY_ROLLBACK)
                return {ProjectErrorKind::Unreadable, path,
                        head + ": an interrupted save must be rolled back first, but the file or its folder is read-only"};
            return {ProjectErrorKind::Unwritable, path, head + ": the file is read-only (" + sq + ")" + kept};
        case SQLITE_FULL:
            return {ProjectErrorKind::Unwritable, path, head + ": the disk is full (" + sq + ")" + kept};
        case SQLITE_NOMEM:
            return {ProjectErrorKind::Io, path, head + ": out of memory (" + sq + ")" + kept};
        case SQLITE_CANTOPEN:
        case SQLITE_PERM:
        case SQLITE_IOERR:
        case SQLITE_AUTH: {
            if (op == Op::Load)
                return {e.primary() == SQLITE_IOERR ? ProjectErrorKind::Io : ProjectErrorKind::Unreadable, path,
                        head + " (" + sq + ")"};
            std::string why = why_unwritable(path);
            return {ProjectErrorKind::Unwritable, path, head + ": " + (why.empty() ? sq : why + " (" + sq + ")") + kept};
        }
        default:
            if (op == Op::Load)
                return {ProjectErrorKind::Damaged, path,
                        quoted(path) + " is a damaged NeuraStudio project file (" + sq + ")"};
            return {ProjectErrorKind::Io, path, head + " (" + sq + ")" + kept};
    }
}

// ---- format checks: application id and schema version first, then the tables ----

// What check_format() found: a new (empty) database, or a project of schema `version`.
struct FileState {
    bool empty = false;
    int version = kSchemaVersion;
};

std::string hex32(std::int64_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(static_cast<std::uint32_t>(v)));
    return buf;
}

FileState check_format(Database& db, Op op, const std::string& path) {
    // Header values: read without parsing the schema, so a newer schema never gets parsed.
    const std::int64_t app_id = db.query_int("PRAGMA application_id");
    const std::int64_t version = db.query_int("PRAGMA user_version");
    if (app_id == 0 && version == 0 && db.query_int("SELECT count(*) FROM sqlite_schema") == 0) {
        if (op == Op::Save) return FileState{true, 0};
        file_problem(op, ProjectErrorKind::ForeignDatabase, path,
                     "is an SQLite database but not a NeuraStudio project (it is empty)");
    }
    if (app_id != kApplicationId)
        file_problem(op, ProjectErrorKind::ForeignDatabase, path,
                     "is an SQLite database but not a NeuraStudio project (application_id " + hex32(app_id) +
                         ", NeuraStudio writes " + hex32(kApplicationId) + ")");
    if (version > kSchemaVersion)
        file_problem(op, ProjectErrorKind::NewerSchema, path,
                     "was written by a newer NeuraStudio (schema " + std::to_string(version) +
                         ", this build reads up to " + std::to_string(kSchemaVersion) + ")");
    if (version < 1)
        file_problem(op, ProjectErrorKind::Damaged, path,
                     "is a damaged NeuraStudio project file (schema version " + std::to_string(version) + ")");
    // Versions 1..kSchemaVersion are read with their own queries and migrated when written (migrate()).

    std::set<std::string> tables;
    Statement st(db, "SELECT name FROM sqlite_schema WHERE type = 'table'");
    while (st.step()) tables.insert(st.column_text(0));
    for (const char* t : kRequiredTables)
        if (!tables.contains(t))
            file_problem(op, ProjectErrorKind::ForeignDatabase, path,
                         std::string("is an SQLite database but not a NeuraStudio project (table \"") + t +
                             "\" is missing)");
    return FileState{false, static_cast<int>(version)};
}

void quick_check(Database& db, const std::string& path) {
    Statement st(db, "PRAGMA quick_check(5)");
    std::string report;
    while (st.step()) {
        std::string line = st.column_text(0);
        if (line == "ok") continue;
        if (!report.empty()) report += "; ";
        report += line;
    }
    if (report.empty()) return;
    if (report.size() > 400) report = report.substr(0, 400) + "...";
    fail(ProjectErrorKind::Damaged, path,
         quoted(path) + " is a damaged or truncated NeuraStudio project file (quick_check: " + report + ")");
}

// ---- tensors: dtype name, shape as a JSON array of sizes, raw little-endian bytes ----

std::optional<DType> parse_dtype(const std::string& s) {
    if (s == "float32") return DType::F32;
    if (s == "float64") return DType::F64;
    if (s == "int64") return DType::I64;
    return std::nullopt;
}

const char* dtype_text(DType t) {
    switch (t) {
        case DType::F32: return "float32";
        case DType::F64: return "float64";
        case DType::I64: return "int64";
    }
    return "?";
}

std::string shape_text(const Shape& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) s += ",";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

// Strict parser for what shape_text writes (whitespace allowed): "[]", "[3]", "[2, 3]".
std::optional<Shape> parse_shape(const std::string& s) {
    std::size_t i = 0;
    auto skip = [&] {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    };
    Shape shape;
    skip();
    if (i >= s.size() || s[i++] != '[') return std::nullopt;
    skip();
    if (i < s.size() && s[i] == ']') {
        ++i;
    } else {
        while (true) {
            skip();
            if (i >= s.size() || s[i] < '0' || s[i] > '9') return std::nullopt;
            std::int64_t v = 0;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
                if (v > (std::numeric_limits<std::int64_t>::max() - (s[i] - '0')) / 10) return std::nullopt;
                v = v * 10 + (s[i++] - '0');
            }
            shape.push_back(v);
            if (shape.size() > kMaxRank) return std::nullopt;
            skip();
            if (i >= s.size()) return std::nullopt;
            if (s[i] == ']') {
                ++i;
                break;
            }
            if (s[i++] != ',') return std::nullopt;
        }
    }
    skip();
    if (i != s.size()) return std::nullopt;
    return shape;
}

// Number of bytes of a tensor of this shape and dtype, or nullopt when a size is negative or the shape
// is so large (even with a zero size somewhere) that its element count or strides would overflow.
std::optional<std::size_t> byte_size(const Shape& shape, DType dtype) {
    std::int64_t span = static_cast<std::int64_t>(element_size(dtype));
    bool zero = false;
    for (std::int64_t d : shape) {
        if (d < 0) return std::nullopt;
        if (d == 0) zero = true;
        else if (__builtin_mul_overflow(span, d, &span)) return std::nullopt;
    }
    return zero ? 0 : static_cast<std::size_t>(span);
}

// Copies element bytes between the file's little-endian order and the host's.
void copy_little_endian(void* dst, const void* src, std::size_t nbytes, std::size_t elem) {
    if constexpr (std::endian::native == std::endian::little) {
        if (nbytes > 0) std::memcpy(dst, src, nbytes);
    } else {
        auto* d = static_cast<unsigned char*>(dst);
        const auto* s = static_cast<const unsigned char*>(src);
        for (std::size_t i = 0; i < nbytes; i += elem)
            for (std::size_t b = 0; b < elem; ++b) d[i + b] = s[i + elem - 1 - b];
    }
}

// A tensor's bytes as the file stores them; keeps the contiguous CPU copy alive while SQLite reads it.
struct EncodedTensor {
    Tensor source;
    std::vector<unsigned char> swapped;
    const void* data = nullptr;
    std::size_t size = 0;
};

EncodedTensor encode(const Tensor& t) {
    NoGradGuard no_grad;
    EncodedTensor e;
    e.source = t.detach();
    if (e.source.device().type != DeviceType::CPU) e.source = e.source.to(Device::cpu());
    e.source = e.source.contiguous();
    e.size = static_cast<std::size_t>(e.source.numel()) * element_size(e.source.dtype());
    e.data = e.size > 0 ? e.source.raw_data() : nullptr;
    if constexpr (std::endian::native != std::endian::little) {
        e.swapped.resize(e.size);
        copy_little_endian(e.swapped.data(), e.data, e.size, element_size(e.source.dtype()));
        e.data = e.swapped.data();
    }
    return e;
}

// ---- reading ----

[[noreturn]] void damaged(const std::string& path, const std::string& why) {
    fail(ProjectErrorKind::Damaged, path, quoted(path) + " is a damaged NeuraStudio project file (" + why + ")");
}

Tensor decode_tensor(const Statement& st, const std::string& path, const std::string& role, const std::string& name) {
    const std::string where = role + " tensor \"" + name + "\": ";
    const std::string dtype_string = st.column_text(2);
    const std::string shape_string = st.column_text(3);
    std::optional<DType> dtype = parse_dtype(dtype_string);
    if (!dtype) damaged(path, where + "unknown dtype \"" + dtype_string.substr(0, 40) + "\"");
    std::optional<Shape> shape = parse_shape(shape_string);
    if (!shape) damaged(path, where + "invalid shape \"" + shape_string.substr(0, 80) + "\"");
    std::optional<std::size_t> expected = byte_size(*shape, *dtype);
    if (!expected) damaged(path, where + "shape " + shape_text(*shape) + " is too large");
    std::size_t size = 0;
    const void* bytes = st.column_blob(4, size);
    if (size != *expected)
        damaged(path, where + "holds " + std::to_string(size) + " bytes but shape " + shape_text(*shape) + " of " +
                dtype_text(*dtype) + " needs " + std::to_string(*expected));
    Tensor t = Tensor::empty(*shape, *dtype);
    if (size > 0) copy_little_endian(t.raw_data(), bytes, size, element_size(*dtype));
    return t;
}

Project read_project(Database& db, const std::string& path, int version) {
    Project p;
    {
        Statement st(db, "SELECT name, content FROM documents");
        while (st.step()) {
            const std::string name = st.column_text(0);
            for (const DocumentField& d : kDocuments)
                if (name == d.name) p.*(d.field) = st.column_text(1);
        }
    }
    {
        Statement st(db, "SELECT key, value FROM metadata");
        while (st.step()) p.metadata[st.column_text(0)] = st.column_text(1);
    }
    {
        Statement st(db, "SELECT role, name, dtype, shape, data FROM tensors ORDER BY role, position, name");
        while (st.step()) {
            const std::string role = st.column_text(0);
            std::string name = st.column_text(1);
            std::vector<NamedTensor>* list = role == kRoleWeight      ? &p.weights
                                           : role == kRoleOptimizer ? &p.optimizer_state
                                                                    : nullptr;
            if (list == nullptr) damaged(path, "tensor \"" + name + "\" has an unknown role \"" + role.substr(0, 40) + "\"");
            Tensor t = decode_tensor(st, path, role, name);
            list->push_back({std::move(name), std::move(t)});
        }
    }
    std::map<std::int64_t, std::size_t> run_index;
    {
        // Version 1 has no model_json / settings_json columns: those stay empty.
        Statement st(db, version >= 2 ? "SELECT id, started_at, finished_at, status, config_json, final_metrics_json, "
                                        "model_json, settings_json FROM runs ORDER BY id"
                                      : "SELECT id, started_at, finished_at, status, config_json, final_metrics_json "
                                        "FROM runs ORDER BY id");
        while (st.step()) {
            RunRecord r;
            r.id = st.column_int64(0);
            r.started_at = st.column_text(1);
            r.finished_at = st.column_text(2);
            r.status = st.column_text(3);
            r.config_json = st.column_text(4);
            r.final_metrics_json = st.column_text(5);
            if (version >= 2) {
                r.model_json = st.column_text(6);
                r.settings_json = st.column_text(7);
            }
            if (!run_index.emplace(r.id, p.runs.size()).second) damaged(path, "run " + std::to_string(r.id) + " appears twice");
            p.runs.push_back(std::move(r));
        }
    }
    {
        Statement st(db, "SELECT run_id, epoch, step, name, value FROM metrics ORDER BY run_id, id");
        while (st.step()) {
            const std::int64_t run_id = st.column_int64(0);
            auto it = run_index.find(run_id);
            if (it == run_index.end()) damaged(path, "metrics refer to run " + std::to_string(run_id) + ", which does not exist");
            p.runs[it->second].metrics.push_back(
                {st.column_int64(1), st.column_int64(2), st.column_text(3), st.column_double(4)});
        }
    }
    return p;
}

// ---- writing ----

void validate_for_save(const std::string& path, const Project& p) {
    auto invalid = [&](const std::string& why) {
        fail(ProjectErrorKind::InvalidProject, path, "cannot save " + quoted(path) + ": " + why);
    };
    auto check_tensors = [&](const std::vector<NamedTensor>& list, const char* what) {
        std::set<std::string_view> names;
        for (const NamedTensor& nt : list) {
            if (!names.insert(nt.name).second) invalid(std::string(what) + " contain the name \"" + nt.name + "\" twice");
            if (!nt.tensor.defined()) invalid(std::string(what) + " tensor \"" + nt.name + "\" is undefined");
        }
    };
    check_tensors(p.weights, "the weights");
    check_tensors(p.optimizer_state, "the optimizer state");
    std::set<std::int64_t> ids;
    for (const RunRecord& r : p.runs) {
        if (r.id < 0) invalid("run id " + std::to_string(r.id) + " is negative");
        if (r.id > 0 && !ids.insert(r.id).second) invalid("two runs have the id " + std::to_string(r.id));
    }
}

void write_tensors(Database& db, const std::string& path, Statement& st, const char* role,
                   const std::vector<NamedTensor>& list) {
    const auto max_blob = static_cast<std::size_t>(sqlite3_limit(db.get(), SQLITE_LIMIT_LENGTH, -1));
    std::int64_t position = 0;
    for (const NamedTensor& nt : list) {
        EncodedTensor e = encode(nt.tensor);
        if (e.size > max_blob)
            fail(ProjectErrorKind::InvalidProject, path,
                 "cannot save " + quoted(path) + ": tensor \"" + nt.name + "\" has " + std::to_string(e.size) +
                     " bytes; a project file stores at most " + std::to_string(max_blob) + " bytes per tensor");
        const std::string shape = shape_text(e.source.shape());
        st.bind_text(1, role);
        st.bind_int64(2, position++);
        st.bind_text(3, nt.name);
        st.bind_text(4, dtype_text(e.source.dtype()));
        st.bind_text(5, shape);
        st.bind_blob(6, e.data, e.size);
        st.step();
        st.reset();
    }
}

std::int64_t insert_run(Database& db, const RunRecord& r) {
    Statement st(db,
                 "INSERT INTO runs(id, started_at, finished_at, status, config_json, final_metrics_json, model_json, "
                 "settings_json) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
    if (r.id > 0) st.bind_int64(1, r.id); else st.bind_null(1);
    st.bind_text(2, r.started_at);
    if (r.finished_at.empty()) st.bind_null(3); else st.bind_text(3, r.finished_at);
    st.bind_text(4, r.status);
    st.bind_text(5, r.config_json);
    st.bind_text(6, r.final_metrics_json);
    if (r.model_json.empty()) st.bind_null(7); else st.bind_text(7, r.model_json);
    if (r.settings_json.empty()) st.bind_null(8); else st.bind_text(8, r.settings_json);
    st.step();
    return sqlite3_last_insert_rowid(db.get());
}

void insert_metrics(Database& db, std::int64_t run_id, const std::vector<MetricPoint>& points) {
    Statement st(db, "INSERT INTO metrics(run_id, epoch, step, name, value) VALUES(?, ?, ?, ?, ?)");
    for (const MetricPoint& m : points) {
        st.bind_int64(1, run_id);
        st.bind_int64(2, m.epoch);
        st.bind_int64(3, m.step);
        st.bind_text(4, m.name);
        st.bind_double(5, m.value);
        st.step();
        st.reset();
    }
}

void write_project(Database& db, const std::string& path, const Project& p) {
    db.exec("DELETE FROM metrics; DELETE FROM runs; DELETE FROM tensors; DELETE FROM metadata; DELETE FROM documents;");
    {
        Statement st(db, "INSERT INTO documents(name, content) VALUES(?, ?)");
        for (const DocumentField& d : kDocuments) {
            st.bind_text(1, d.name);
            st.bind_text(2, p.*(d.field));
            st.step();
            st.reset();
        }
    }
    {
        Statement st(db, "INSERT INTO metadata(key, value) VALUES(?, ?)");
        for (const auto& [key, value] : p.metadata) {
            st.bind_text(1, key);
            st.bind_text(2, value);
            st.step();
            st.reset();
        }
    }
    {
        Statement st(db, "INSERT INTO tensors(role, position, name, dtype, shape, data) VALUES(?, ?, ?, ?, ?, ?)");
        write_tensors(db, path, st, kRoleWeight, p.weights);
        write_tensors(db, path, st, kRoleOptimizer, p.optimizer_state);
    }
    for (const RunRecord& r : p.runs) insert_metrics(db, insert_run(db, r), r.metrics);
}

// Brings a file of schema `from` (1 ≤ from < kSchemaVersion) to kSchemaVersion, one step at a time,
// inside the caller's write transaction: the new user_version commits with the save, or not at all.
void migrate(Database& db, int from) {
    if (from < 2) db.exec(kMigrateV1ToV2);
    db.exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
}

// An open connection inside BEGIN IMMEDIATE on a file check_format() accepted, set up for a durable
// write; the caller writes and commits. `fresh`: the file is missing or empty, so this write creates it.
struct WriteSession {
    Database db;
    std::optional<Transaction> tx;
    FileState state;

    WriteSession(const std::string& path, int flags, bool fresh, Op op) : db(path, flags) {
        db.exec("PRAGMA foreign_keys=ON");
        // Must precede the first page of a new database (BEGIN IMMEDIATE creates it): the file then
        // shrinks at each commit instead of keeping the pages a larger earlier save freed.
        if (fresh) db.exec("PRAGMA auto_vacuum=FULL");
        {
            // Version at the door: PRAGMA synchronous reads the schema, which a newer NeuraStudio may
            // have written in a form this build cannot parse; and it cannot be set inside a transaction.
            Transaction peek(db, "BEGIN");
            check_format(db, op, path);
            peek.commit();
        }
        db.exec("PRAGMA synchronous=FULL");
        tx.emplace(db, "BEGIN IMMEDIATE");
        state = check_format(db, op, path);  // again: another program may have written in between
        if (state.empty) {
            db.exec(kCreateSchemaV2);
            db.exec(("PRAGMA application_id=" + std::to_string(kApplicationId) +
                     "; PRAGMA user_version=" + std::to_string(kSchemaVersion))
                        .c_str());
        } else if (state.version < kSchemaVersion) {
            migrate(db, state.version);
        }
    }
};

bool missing_or_empty(const std::string& path) {
    std::error_code ec;
    return !fs::exists(path, ec) || fs::file_size(path, ec) == 0;
}

// SQLite creates the file when it opens it; a first save that failed must not leave an empty file behind.
// The connection is closed by then (stack unwinding), and a rolled-back first save leaves 0 bytes.
void remove_if_created(bool existed, const std::string& path) {
    std::error_code ec;
    if (!existed && fs::exists(path, ec) && fs::file_size(path, ec) == 0 && !ec) fs::remove(path, ec);
}

template <class Fn>
auto run_append(const std::string& path, Fn&& fn) {
    check_writable(Op::Append, path);
    try {
        WriteSession s(path, SQLITE_OPEN_READWRITE, false, Op::Append);
        auto result = fn(s.db);
        s.tx->commit();
        return result;
    } catch (const SqliteError& e) {
        throw translate(e, Op::Append, path, true);
    }
}

}  // namespace

Project load_project(const std::string& path) {
    check_readable(path);
    try {
        // Read-write (when permitted) so that SQLite can roll back a save a crash interrupted.
        Database db(path, SQLITE_OPEN_READWRITE);
        db.exec("PRAGMA cell_size_check=ON");
        Transaction tx(db, "BEGIN");  // one consistent snapshot, even while another program saves
        const FileState state = check_format(db, Op::Load, path);
        quick_check(db, path);
        Project p = read_project(db, path, state.version);
        tx.commit();
        return p;
    } catch (const SqliteError& e) {
        throw translate(e, Op::Load, path, true);
    } catch (const ProjectError&) {
        throw;
    } catch (const neura::Error& e) {
        throw ProjectError(ProjectErrorKind::Damaged, path,
                           quoted(path) + " is a damaged NeuraStudio project file (" + e.what() + ")");
    }
}

void save_project(const std::string& path, const Project& project) {
    validate_for_save(path, project);
    const bool existed = check_writable(Op::Save, path);
    try {
        WriteSession s(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, missing_or_empty(path), Op::Save);
        if (s.db.read_only())
            fail(ProjectErrorKind::Unwritable, path, "cannot save " + quoted(path) + ": the file is read-only" +
                                                         (existed ? "; it was left unchanged" : ""));
        write_project(s.db, path, project);
        s.tx->commit();
        return;
    } catch (const SqliteError& e) {
        remove_if_created(existed, path);
        throw translate(e, Op::Save, path, existed);
    } catch (const ProjectError&) {
        remove_if_created(existed, path);
        throw;
    } catch (const neura::Error& e) {  // e.g. a tensor on a device this build cannot copy from
        remove_if_created(existed, path);
        throw ProjectError(ProjectErrorKind::InvalidProject, path,
                           "cannot save " + quoted(path) + ": " + e.what() + (existed ? "; the file was left unchanged" : ""));
    }
}

std::int64_t append_run(const std::string& path, const RunRecord& run) {
    if (run.id < 0)
        fail(ProjectErrorKind::InvalidProject, path, "cannot add run " + std::to_string(run.id) + ": ids are positive");
    return run_append(path, [&](Database& db) {
        if (run.id > 0) {
            Statement st(db, "SELECT 1 FROM runs WHERE id = ?");
            st.bind_int64(1, run.id);
            if (st.step())
                fail(ProjectErrorKind::InvalidProject, path,
                     "cannot add run " + std::to_string(run.id) + " to " + quoted(path) + ": it already has that run");
        }
        std::int64_t id = insert_run(db, run);
        insert_metrics(db, id, run.metrics);
        return id;
    });
}

void append_metrics(const std::string& path, std::int64_t run_id, const std::vector<MetricPoint>& points) {
    run_append(path, [&](Database& db) {
        Statement st(db, "SELECT 1 FROM runs WHERE id = ?");
        st.bind_int64(1, run_id);
        if (!st.step())
            fail(ProjectErrorKind::InvalidProject, path,
                 "cannot add metrics to " + quoted(path) + ": it has no run " + std::to_string(run_id));
        insert_metrics(db, run_id, points);
        return 0;
    });
}

void finish_run(const std::string& path, std::int64_t run_id, const std::string& finished_at,
                const std::string& status, const std::string& final_metrics_json) {
    run_append(path, [&](Database& db) {
        Statement st(db, "UPDATE runs SET finished_at = ?, status = ?, final_metrics_json = ? WHERE id = ?");
        if (finished_at.empty()) st.bind_null(1); else st.bind_text(1, finished_at);
        st.bind_text(2, status);
        st.bind_text(3, final_metrics_json);
        st.bind_int64(4, run_id);
        st.step();
        if (sqlite3_changes(db.get()) == 0)
            fail(ProjectErrorKind::InvalidProject, path,
                 "cannot finish run " + std::to_string(run_id) + " in " + quoted(path) + ": there is no such run");
        return 0;
    });
}

namespace {
// The plugins the model's nodes name ("plugin" records, docs/model-format.md), one entry per plugin
// with the highest version asked for: [{"name": "swish", "version": "1.0.0"}]. Empty text when the
// model is not readable JSON (the model's own loader reports that).
std::string plugins_of(const std::string& model_json) {
    using nlohmann::json;
    const std::optional<json> parsed = try_parse_json(model_json);
    if (!parsed || !parsed->is_object()) return {};
    const json& root = *parsed;
    std::map<std::string, std::string> versions;
    if (auto nodes = root.find("nodes"); nodes != root.end() && nodes->is_array())
        for (const json& n : *nodes) {
            if (!n.is_object()) continue;
            auto p = n.find("plugin");
            if (p == n.end() || !p->is_object()) continue;
            auto name = p->find("name"), version = p->find("version");
            if (name == p->end() || !name->is_string() || version == p->end() || !version->is_string()) continue;
            auto [it, fresh] = versions.emplace(name->get<std::string>(), version->get<std::string>());
            if (!fresh && graph::compare_versions(it->second, version->get<std::string>()) < 0) it->second = version->get<std::string>();
        }
    json out = json::array();
    for (const auto& [name, version] : versions) out.push_back({{"name", name}, {"version", version}});
    return out.dump();
}
}  // namespace

void stamp_metadata(Project& project) {
    const std::string now = utc_now_iso8601();
    project.metadata[meta::kAppVersion] = NEURA_VERSION;
    project.metadata[meta::kModifiedAt] = now;
    project.metadata.try_emplace(meta::kCreatedAt, now);
    if (std::string plugins = plugins_of(project.model_json); !plugins.empty())
        project.metadata[meta::kPlugins] = std::move(plugins);
}

std::string utc_now_iso8601() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t secs = system_clock::to_time_t(now);
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

}  // namespace neura::project
