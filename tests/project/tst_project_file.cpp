// The .neura project file: round trips, and every way a file can be refused with a clear message.
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QtTest>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <random>

#include "neura/project/Project.h"
#include "project/ProjectTestUtil.h"

using namespace neura;
using namespace neura::project;
using namespace neura::project::testutil;

namespace {

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Runs fn and returns the ProjectError it throws; fails the test when it throws nothing or something else.
std::optional<ProjectError> error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const ProjectError& e) {
        return e;
    } catch (const std::exception& e) {
        qWarning("unexpected exception: %s", e.what());
        return std::nullopt;
    }
    qWarning("no exception");
    return std::nullopt;
}

// Runs SQL on a file with the plain sqlite3 API (to build foreign or tampered files).
void sql(const std::string& path, const std::string& statements) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    char* err = nullptr;
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &err);
    const std::string msg = err != nullptr ? err : (db != nullptr ? sqlite3_errmsg(db) : "open failed");
    sqlite3_free(err);
    sqlite3_close(db);
    if (rc != SQLITE_OK) QFAIL(("sqlite: " + msg).c_str());
}

// PRAGMA user_version of a file, read with the plain sqlite3 API; -1 when it cannot be read.
int user_version(const std::string& path) {
    sqlite3* db = nullptr;
    int version = -1;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return version;
}

// Runs fn in a child process that is not root (so permissions apply even when the suite runs as
// root) and returns what fn returned. Empty on failure to run.
std::string run_unprivileged(const std::function<std::string()>& fn) {
    int fds[2];
    if (pipe(fds) != 0) return "pipe failed";
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        std::string out;
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
            out = "setuid failed";
        } else {
            try {
                out = fn();
            } catch (const std::exception& e) {
                out = std::string("unexpected exception: ") + e.what();
            }
        }
        ssize_t ignored = write(fds[1], out.data(), out.size());
        (void)ignored;
        _exit(0);
    }
    close(fds[1]);
    std::string out;
    char buf[512];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return out;
}

std::string kind_and_message(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const ProjectError& e) {
        return std::to_string(static_cast<int>(e.kind())) + "|" + e.what();
    }
    return "no error";
}

}  // namespace

class ProjectFileTest : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    std::string file(const char* name) const { return (dir_.path() + "/" + name).toStdString(); }

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        // Lets the unprivileged child processes reach the files.
        QVERIFY(chmod(dir_.path().toLocal8Bit().constData(), 0777) == 0);
    }

    void roundTripsEveryField() {
        Project p = make_project(3);
        p.model_json = "{\"name\":\"Netz für Übung – 模型 🚀\"}";
        p.layout_json = std::string("with\0nul", 8);
        p.weights.push_back({"卷积.weight", make_tensor({2, 3, 4}, DType::F64, 9)});
        p.weights.push_back({"empty", make_tensor({0, 5}, DType::F32, 10)});
        p.weights.push_back({"", make_tensor({1, 1, 1, 1, 1}, DType::I64, 11)});
        p.optimizer_state.push_back({"ステップ", make_tensor({}, DType::F64, 12)});
        p.metadata["ключ"] = "значение";
        p.metadata[meta::kPlugins] = R"(["my_layers"])";
        RunRecord& run = p.runs.front();
        run.metrics.push_back({7, 700, "loss", std::numeric_limits<double>::quiet_NaN()});
        run.metrics.push_back({7, 701, "loss", std::numeric_limits<double>::infinity()});
        run.metrics.push_back({7, 702, "loss", -std::numeric_limits<double>::infinity()});
        run.metrics.push_back({7, 703, "tiny", 4.9e-324});
        run.metrics.push_back({-1, std::numeric_limits<std::int64_t>::max(), "γ", -1e300});
        const std::string path = file("roundtrip.neura");
        save_project(path, p);
        Project q = load_project(path);
        QCOMPARE(project_diff(p, q), std::string());
        QVERIFY(std::isnan(q.runs.front().metrics[q.runs.front().metrics.size() - 5].value));
        for (const NamedTensor& t : q.weights) {
            QVERIFY(t.tensor.is_contiguous());
            QVERIFY(t.tensor.device() == Device::cpu());
        }

        // Saving a different project over it leaves nothing of the first behind.
        Project other = make_project(4);
        save_project(path, other);
        QCOMPARE(project_diff(other, load_project(path)), std::string());
    }

    void roundTripsEmptyProject() {
        const std::string path = file("empty-project.neura");
        save_project(path, Project{});
        Project q = load_project(path);
        QCOMPARE(project_diff(Project{}, q), std::string());
        QVERIFY(q.weights.empty() && q.runs.empty() && q.metadata.empty());
        // And a full project over an empty one, and back.
        save_project(path, make_project(1));
        QCOMPARE(project_diff(make_project(1), load_project(path)), std::string());
        save_project(path, Project{});
        QCOMPARE(project_diff(Project{}, load_project(path)), std::string());
    }

    void savesNonContiguousTensors() {
        Project p;
        Tensor base = make_tensor({3, 4}, DType::F32, 5);
        p.weights.push_back({"transposed", base.t()});
        const std::string path = file("noncontiguous.neura");
        save_project(path, p);
        Project q = load_project(path);
        QCOMPARE(q.weights.size(), std::size_t(1));
        QCOMPARE(q.weights[0].tensor.shape(), (Shape{4, 3}));
        QVERIFY(same_tensor(q.weights[0].tensor, base.t().contiguous()));
    }

    void assignsRunIds() {
        Project p;
        RunRecord r;
        r.started_at = "2024-01-01T00:00:00.000Z";
        r.metrics.push_back({0, 0, "loss", 1.0});
        p.runs = {r, r};
        p.runs[1].id = 7;
        const std::string path = file("runids.neura");
        save_project(path, p);
        Project q = load_project(path);
        QCOMPARE(q.runs.size(), std::size_t(2));
        // Runs load in id order; the unnumbered run got the next free id when it was inserted.
        QCOMPARE(q.runs[0].id, std::int64_t(1));
        QCOMPARE(q.runs[1].id, std::int64_t(7));
        QCOMPARE(q.runs[0].metrics.size(), std::size_t(1));
        QCOMPARE(q.runs[1].metrics.size(), std::size_t(1));
    }

    void appendsRunHistory() {
        const std::string path = file("append.neura");
        Project p = make_project(2);
        save_project(path, p);
        RunRecord run;
        run.started_at = utc_now_iso8601();
        run.config_json = R"({"epochs":3})";
        run.metrics.push_back({0, 0, "loss", 2.0});
        const std::int64_t id = append_run(path, run);
        QVERIFY(id > 0);
        append_metrics(path, id, {{0, 1, "loss", 1.5}, {1, 2, "loss", std::nan("")}});
        finish_run(path, id, "2030-01-01T00:00:00.000Z", run_status::kStopped, R"({"loss":1.5})");

        Project q = load_project(path);
        QCOMPARE(q.runs.size(), p.runs.size() + 1);
        const RunRecord& r = q.runs.back();
        QCOMPARE(r.id, id);
        QCOMPARE(r.status, std::string(run_status::kStopped));
        QCOMPARE(r.finished_at, std::string("2030-01-01T00:00:00.000Z"));
        QCOMPARE(r.final_metrics_json, std::string(R"({"loss":1.5})"));
        QCOMPARE(r.metrics.size(), std::size_t(3));
        QCOMPARE(r.metrics[1].value, 1.5);
        QVERIFY(std::isnan(r.metrics[2].value));
        q.runs.pop_back();
        QCOMPARE(project_diff(p, q), std::string());  // nothing else changed

        auto e = error_of([&] { append_metrics(path, 9999, {{0, 0, "loss", 1.0}}); });
        QVERIFY(e && e->kind() == ProjectErrorKind::InvalidProject);
        e = error_of([&] { append_run(path, q.runs.front()); });  // that id exists already
        QVERIFY(e && e->kind() == ProjectErrorKind::InvalidProject);
        e = error_of([&] { finish_run(path, 9999, "", run_status::kFailed, ""); });
        QVERIFY(e && e->kind() == ProjectErrorKind::InvalidProject);
        e = error_of([&] { append_run(file("nope.neura"), run); });
        QVERIFY(e && e->kind() == ProjectErrorKind::NotFound);
        QVERIFY(!QFile::exists(QString::fromStdString(file("nope.neura"))));
    }

    void stampsMetadata() {
        Project p;
        stamp_metadata(p);
        QVERIFY(p.metadata.count(meta::kAppVersion) == 1);
        QCOMPARE(p.metadata[meta::kCreatedAt], p.metadata[meta::kModifiedAt]);
        p.metadata[meta::kCreatedAt] = "2000-01-01T00:00:00.000Z";
        stamp_metadata(p);
        QCOMPARE(p.metadata[meta::kCreatedAt], std::string("2000-01-01T00:00:00.000Z"));
        QCOMPARE(p.metadata[meta::kModifiedAt].size(), std::size_t(24));
    }

    void refusesNewerSchema() {
        const std::string path = file("newer.neura");
        save_project(path, make_project(1));
        sql(path, "PRAGMA user_version=" + std::to_string(kSchemaVersion + 1));
        auto e = error_of([&] { load_project(path); });
        QVERIFY(e);
        QCOMPARE(e->kind(), ProjectErrorKind::NewerSchema);
        const std::string expected = "was written by a newer NeuraStudio (schema " + std::to_string(kSchemaVersion + 1) +
                                     ", this build reads up to " + std::to_string(kSchemaVersion) + ")";
        QVERIFY2(std::string(e->what()).find(expected) != std::string::npos, e->what());
        QVERIFY2(std::string(e->what()).find(path) != std::string::npos, e->what());
        QCOMPARE(e->path(), path);

        // The version is checked before the schema is read: a newer schema this SQLite cannot even parse.
        sql(path, "PRAGMA writable_schema=ON; UPDATE sqlite_schema SET sql='CREATE TABLE runs(x FUTURE SYNTAX (' "
                  "WHERE name='runs'; PRAGMA writable_schema=OFF;");
        e = error_of([&] { load_project(path); });
        QVERIFY(e && e->kind() == ProjectErrorKind::NewerSchema);

        // Saving over it is refused and the file is untouched.
        const std::string before = read_bytes(path);
        e = error_of([&] { save_project(path, make_project(2)); });
        QVERIFY(e && e->kind() == ProjectErrorKind::NewerSchema);
        QVERIFY2(std::string(e->what()).find("left unchanged") != std::string::npos, e->what());
        QVERIFY(read_bytes(path) == before);
    }

    // A version-1 file (the schema as released, written here by hand) loads with empty model_json and
    // settings_json; saving over it migrates it to the current version in the same transaction.
    void migratesVersion1() {
        const std::string path = file("version1.neura");
        const std::string v1_schema = R"sql(
CREATE TABLE documents(name TEXT PRIMARY KEY NOT NULL, content TEXT NOT NULL);
CREATE TABLE metadata(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
CREATE TABLE tensors(
  role TEXT NOT NULL CHECK (role IN ('weight', 'optimizer')), position INTEGER NOT NULL, name TEXT NOT NULL,
  dtype TEXT NOT NULL CHECK (dtype IN ('float32', 'float64', 'int64')), shape TEXT NOT NULL, data BLOB NOT NULL,
  PRIMARY KEY (role, name));
CREATE TABLE runs(id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
  config_json TEXT NOT NULL, final_metrics_json TEXT NOT NULL);
CREATE TABLE metrics(id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL, step INTEGER NOT NULL, name TEXT NOT NULL, value REAL);
CREATE INDEX metrics_by_run ON metrics(run_id, id);
)sql";
        sql(path, "PRAGMA application_id=1313166674; PRAGMA user_version=1;" + v1_schema +
                      "INSERT INTO documents VALUES('model', '{\"v\":1}');"
                      "INSERT INTO runs VALUES(4, '2024-01-01T00:00:00.000Z', NULL, 'completed', '{\"lr\":0.1}', '{}');"
                      "INSERT INTO metrics(run_id, epoch, step, name, value) VALUES(4, 0, 0, 'loss', 0.5);");
        Project v1 = load_project(path);
        QCOMPARE(v1.model_json, std::string("{\"v\":1}"));
        QCOMPARE(v1.runs.size(), std::size_t(1));
        QCOMPARE(v1.runs[0].id, std::int64_t(4));
        QCOMPARE(v1.runs[0].config_json, std::string("{\"lr\":0.1}"));
        QVERIFY(v1.runs[0].model_json.empty() && v1.runs[0].settings_json.empty());
        QCOMPARE(v1.runs[0].metrics.size(), std::size_t(1));
        QCOMPARE(user_version(path), 1);  // loading does not migrate

        // A run appended to a version-1 file migrates it too (the new columns are written).
        RunRecord appended;
        appended.started_at = "2024-01-02T00:00:00.000Z";
        appended.model_json = R"({"nodes":[]})";
        appended.settings_json = R"({"lr":0.5})";
        const std::int64_t id = append_run(path, appended);
        QCOMPARE(id, std::int64_t(5));
        QCOMPARE(user_version(path), kSchemaVersion);
        Project q = load_project(path);
        QCOMPARE(q.runs.size(), std::size_t(2));
        QVERIFY(q.runs[0].model_json.empty() && q.runs[0].settings_json.empty());
        QCOMPARE(q.runs[1].model_json, appended.model_json);
        QCOMPARE(q.runs[1].settings_json, appended.settings_json);

        // save_project over a version-1 file: the same round trip as a current one.
        const std::string path2 = file("version1-save.neura");
        sql(path2, "PRAGMA application_id=1313166674; PRAGMA user_version=1;" + v1_schema);
        Project full = make_project(5);
        save_project(path2, full);
        QCOMPARE(user_version(path2), kSchemaVersion);
        QCOMPARE(project_diff(full, load_project(path2)), std::string());
        QCOMPARE(kSchemaVersion, 2);
    }

    void refusesForeignSqliteFile() {
        const std::string path = file("foreign.sqlite");
        sql(path, "CREATE TABLE people(name TEXT, age INTEGER); INSERT INTO people VALUES('Ada', 36);");
        auto e = error_of([&] { load_project(path); });
        QVERIFY(e);
        QCOMPARE(e->kind(), ProjectErrorKind::ForeignDatabase);
        QVERIFY2(std::string(e->what()).find("is an SQLite database but not a NeuraStudio project") != std::string::npos,
                 e->what());

        // Overwriting it is refused too, leaving it as it was.
        const std::string before = read_bytes(path);
        e = error_of([&] { save_project(path, make_project(1)); });
        QVERIFY(e && e->kind() == ProjectErrorKind::ForeignDatabase);
        QVERIFY(read_bytes(path) == before);
        e = error_of([&] { append_run(path, RunRecord{}); });
        QVERIFY(e && e->kind() == ProjectErrorKind::ForeignDatabase);

        // Our application id, but not our tables.
        const std::string fake = file("fake.neura");
        sql(fake, "PRAGMA application_id=" + std::to_string(kApplicationId) + "; PRAGMA user_version=1; CREATE TABLE t(x);");
        e = error_of([&] { load_project(fake); });
        QVERIFY(e && e->kind() == ProjectErrorKind::ForeignDatabase);
        QVERIFY2(std::string(e->what()).find("is missing") != std::string::npos, e->what());

        // Another program's application id, even with our tables.
        const std::string other = file("other-app.neura");
        save_project(other, make_project(1));
        sql(other, "PRAGMA application_id=1234");
        e = error_of([&] { load_project(other); });
        QVERIFY(e && e->kind() == ProjectErrorKind::ForeignDatabase);
        QVERIFY2(std::string(e->what()).find("application_id 0x000004D2") != std::string::npos, e->what());

        // An empty SQLite database.
        const std::string blank = file("blank.sqlite");
        sql(blank, "PRAGMA user_version=0");
        e = error_of([&] { load_project(blank); });
        QVERIFY(e && (e->kind() == ProjectErrorKind::ForeignDatabase || e->kind() == ProjectErrorKind::NotAProject));
    }

    void refusesTruncatedFiles() {
        const std::string path = file("whole.neura");
        save_project(path, make_project(5, 4));
        const std::string bytes = read_bytes(path);
        QVERIFY(bytes.size() > 100000);
        const std::size_t cuts[] = {1, 16, 99, 100, 101, 512, 1024, 4095, 4096, 4097, 8192, 12288,
                                    bytes.size() / 3, bytes.size() / 2, bytes.size() - 4096, bytes.size() - 1};
        const std::string cut_path = file("truncated.neura");
        for (std::size_t n : cuts) {
            write_bytes(cut_path, bytes.substr(0, n));
            auto e = error_of([&] { load_project(cut_path); });
            QVERIFY2(e, ("no ProjectError for " + std::to_string(n) + " bytes").c_str());
            QVERIFY2(e->kind() == ProjectErrorKind::NotAProject || e->kind() == ProjectErrorKind::Damaged,
                     (std::to_string(n) + ": " + e->what()).c_str());
            const std::string msg = e->what();
            QVERIFY2(msg.find("is not a NeuraStudio project file") != std::string::npos ||
                         msg.find("is a damaged") != std::string::npos,
                     msg.c_str());
        }
    }

    void refusesRandomBytes() {
        std::mt19937_64 rng(42);
        const std::string path = file("random.neura");
        for (std::size_t size : {1u, 100u, 4096u, 65536u}) {
            std::string bytes(size, '\0');
            for (char& c : bytes) c = static_cast<char>(rng());
            write_bytes(path, bytes);
            auto e = error_of([&] { load_project(path); });
            QVERIFY(e);
            QCOMPARE(e->kind(), ProjectErrorKind::NotAProject);
            QVERIFY2(std::string(e->what()).find("is not a NeuraStudio project file (") != std::string::npos, e->what());
        }
        write_bytes(path, "just some text\n");
        auto e = error_of([&] { load_project(path); });
        QVERIFY(e && e->kind() == ProjectErrorKind::NotAProject);
        // Never overwritten by a save either.
        e = error_of([&] { save_project(path, make_project(1)); });
        QVERIFY(e && e->kind() == ProjectErrorKind::NotAProject);
        QCOMPARE(read_bytes(path), std::string("just some text\n"));
    }

    void emptyFile() {
        const std::string path = file("zero.neura");
        write_bytes(path, "");
        auto e = error_of([&] { load_project(path); });
        QVERIFY(e && e->kind() == ProjectErrorKind::NotAProject);
        QVERIFY2(std::string(e->what()).find("empty") != std::string::npos, e->what());
        // An empty file (e.g. just created by a file dialog) is a fine place to save to.
        save_project(path, make_project(1));
        QCOMPARE(project_diff(make_project(1), load_project(path)), std::string());
    }

    void refusesDamagedContent() {
        const std::string path = file("damaged.neura");
        save_project(path, make_project(1));
        sql(path, "UPDATE tensors SET data = x'0011' WHERE name = 'fc1.bias'");
        auto e = error_of([&] { load_project(path); });
        QVERIFY(e && e->kind() == ProjectErrorKind::Damaged);
        QVERIFY2(std::string(e->what()).find("fc1.bias") != std::string::npos, e->what());

        save_project(path, make_project(1));
        sql(path, "UPDATE tensors SET shape = '[2,' WHERE name = 'fc1.bias'");
        e = error_of([&] { load_project(path); });
        QVERIFY(e && e->kind() == ProjectErrorKind::Damaged);

        save_project(path, make_project(1));
        sql(path, "UPDATE tensors SET shape = '[0, 9223372036854775807, 9223372036854775807]', data = x'' "
                  "WHERE name = 'fc1.bias'");
        e = error_of([&] { load_project(path); });
        QVERIFY(e && e->kind() == ProjectErrorKind::Damaged);

        save_project(path, make_project(1));
        sql(path, "PRAGMA ignore_check_constraints=ON; UPDATE tensors SET dtype = 'complex128' WHERE name = 'fc1.bias'");
        e = error_of([&] { load_project(path); });
        QVERIFY(e && e->kind() == ProjectErrorKind::Damaged);

        save_project(path, make_project(1));
        sql(path, "PRAGMA foreign_keys=OFF; DELETE FROM runs WHERE id = 11");
        e = error_of([&] { load_project(path); });
        QVERIFY(e && e->kind() == ProjectErrorKind::Damaged);

        // A page overwritten with garbage: quick_check or the reader reports it.
        save_project(path, make_project(1, 8));
        std::string bytes = read_bytes(path);
        for (std::size_t i = 4096 * 3; i < 4096 * 4; ++i) bytes[i] = static_cast<char>(i * 7);
        write_bytes(path, bytes);
        e = error_of([&] { load_project(path); });
        QVERIFY(e && (e->kind() == ProjectErrorKind::Damaged || e->kind() == ProjectErrorKind::NotAProject));
    }

    void missingFile() {
        const std::string path = file("does-not-exist.neura");
        auto e = error_of([&] { load_project(path); });
        QVERIFY(e);
        QCOMPARE(e->kind(), ProjectErrorKind::NotFound);
        QVERIFY2(std::string(e->what()).find(path) != std::string::npos, e->what());
        QVERIFY2(std::string(e->what()).find("does not exist") != std::string::npos, e->what());
        QVERIFY(!QFile::exists(QString::fromStdString(path)));  // loading never creates it

        e = error_of([&] { load_project(dir_.path().toStdString()); });
        QVERIFY(e && e->kind() == ProjectErrorKind::Unreadable);
        e = error_of([&] { load_project(""); });
        QVERIFY(e && e->kind() == ProjectErrorKind::NotFound);

        e = error_of([&] { save_project(file("no/such/folder/p.neura"), Project{}); });
        QVERIFY(e && e->kind() == ProjectErrorKind::Unwritable);
        QVERIFY2(std::string(e->what()).find("does not exist") != std::string::npos, e->what());
    }

    void refusesInvalidProject() {
        const std::string path = file("invalid.neura");
        save_project(path, make_project(1));
        const std::string before = read_bytes(path);
        Project p = make_project(2);
        p.weights.push_back(p.weights.front());
        auto e = error_of([&] { save_project(path, p); });
        QVERIFY(e && e->kind() == ProjectErrorKind::InvalidProject);
        QVERIFY2(std::string(e->what()).find("fc1.weight") != std::string::npos, e->what());
        p = make_project(2);
        p.optimizer_state.push_back({"undefined", Tensor()});
        e = error_of([&] { save_project(path, p); });
        QVERIFY(e && e->kind() == ProjectErrorKind::InvalidProject);
        p = make_project(2);
        p.runs[1].id = p.runs[0].id;
        e = error_of([&] { save_project(path, p); });
        QVERIFY(e && e->kind() == ProjectErrorKind::InvalidProject);
        QVERIFY(read_bytes(path) == before);
    }

    void unwritableDirectoryKeepsOldFile() {
        const QString sub = dir_.path() + "/readonly-dir";
        QVERIFY(QDir().mkpath(sub));
        const std::string path = (sub + "/project.neura").toStdString();
        const Project old_project = make_project(1);
        save_project(path, old_project);
        const std::string before = read_bytes(path);
        QVERIFY(chmod(path.c_str(), 0666) == 0);  // the file itself is writable; only the folder is not
        QVERIFY(chmod(sub.toLocal8Bit().constData(), 0555) == 0);

        const Project new_project = make_project(2);
        const std::string result = run_unprivileged([&] { return kind_and_message([&] { save_project(path, new_project); }); });
        const std::string kind = std::to_string(static_cast<int>(ProjectErrorKind::Unwritable)) + "|";
        QVERIFY2(result.rfind(kind, 0) == 0, result.c_str());
        QVERIFY2(result.find("is not writable") != std::string::npos, result.c_str());
        QVERIFY2(result.find("left unchanged") != std::string::npos, result.c_str());
        QVERIFY2(result.find(path) != std::string::npos, result.c_str());

        // A new file in that folder fails the same way and creates nothing.
        const std::string fresh = (sub + "/new.neura").toStdString();
        const std::string result2 = run_unprivileged([&] { return kind_and_message([&] { save_project(fresh, new_project); }); });
        QVERIFY2(result2.rfind(kind, 0) == 0, result2.c_str());
        QVERIFY(!QFile::exists(QString::fromStdString(fresh)));

        QVERIFY(chmod(sub.toLocal8Bit().constData(), 0755) == 0);
        QVERIFY(read_bytes(path) == before);
        QCOMPARE(project_diff(old_project, load_project(path)), std::string());
        QVERIFY(!QFile::exists(QString::fromStdString(path + "-journal")));
    }

    void readOnlyFileKeepsOldFile() {
        const std::string path = file("readonly.neura");
        const Project old_project = make_project(1);
        save_project(path, old_project);
        const std::string before = read_bytes(path);
        QVERIFY(chmod(path.c_str(), 0444) == 0);
        const Project new_project = make_project(2);
        const std::string result = run_unprivileged([&] { return kind_and_message([&] { save_project(path, new_project); }); });
        const std::string kind = std::to_string(static_cast<int>(ProjectErrorKind::Unwritable)) + "|";
        QVERIFY2(result.rfind(kind, 0) == 0, result.c_str());
        QVERIFY2(result.find("read-only") != std::string::npos, result.c_str());
        // Loading a read-only project works.
        const std::string loaded = run_unprivileged([&] {
            return project_diff(old_project, load_project(path)).empty() ? std::string("same") : std::string("differs");
        });
        QCOMPARE(loaded, std::string("same"));
        QVERIFY(read_bytes(path) == before);

        // Unreadable file.
        QVERIFY(chmod(path.c_str(), 0000) == 0);
        const std::string unreadable = run_unprivileged([&] { return kind_and_message([&] { load_project(path); }); });
        QVERIFY2(unreadable.rfind(std::to_string(static_cast<int>(ProjectErrorKind::Unreadable)) + "|", 0) == 0,
                 unreadable.c_str());
        QVERIFY(chmod(path.c_str(), 0644) == 0);
    }
};

QTEST_APPLESS_MAIN(ProjectFileTest)
#include "tst_project_file.moc"
