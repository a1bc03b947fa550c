#pragma once
// RAII wrappers over the sqlite3 C API, used only by the project module. Failures throw SqliteError,
// which the public functions translate into a ProjectError that names the file.
#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace neura::project::sqlite {

class SqliteError : public std::exception {
public:
    SqliteError(int code, std::string message) : code_(code), message_(std::move(message)) {}
    int code() const { return code_; }              // extended result code
    int primary() const { return code_ & 0xff; }    // primary result code
    const char* what() const noexcept override { return message_.c_str(); }

private:
    int code_;
    std::string message_;
};

// Throws SqliteError with the connection's message for a failed call.
[[noreturn]] void throw_error(sqlite3* db, int rc);

struct DatabaseCloser {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};

class Database {
public:
    // flags: SQLITE_OPEN_READWRITE [| SQLITE_OPEN_CREATE]. Turns on SQLite's defensive settings
    // (no schema tampering, no triggers or views from the file, untrusted schema).
    Database(const std::string& path, int flags);

    sqlite3* get() const { return db_.get(); }
    void exec(const char* sql);
    std::int64_t query_int(const char* sql);  // first column of the first row
    bool read_only() const { return sqlite3_db_readonly(db_.get(), "main") == 1; }

private:
    std::unique_ptr<sqlite3, DatabaseCloser> db_;
};

class Statement {
public:
    Statement(const Database& db, std::string_view sql);
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Binding: index is 1-based. Text and blobs are copied by SQLite only when needed: the caller keeps
    // the bytes alive until the next step() or reset().
    void bind_int64(int index, std::int64_t value);
    void bind_double(int index, double value);  // NaN binds NULL
    void bind_text(int index, std::string_view text);
    void bind_blob(int index, const void* data, std::size_t size);
    void bind_null(int index);

    bool step();   // true when a row is ready, false when done
    void reset();  // ready to bind and step again

    int column_type(int col) const { return sqlite3_column_type(stmt_, col); }
    std::int64_t column_int64(int col) const { return sqlite3_column_int64(stmt_, col); }
    double column_double(int col) const;  // NULL reads as NaN
    std::string column_text(int col) const;  // NULL reads as ""
    bool column_is_null(int col) const { return column_type(col) == SQLITE_NULL; }
    const void* column_blob(int col, std::size_t& size) const;

private:
    void check(int rc);
    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() succeeded.
class Transaction {
public:
    Transaction(Database& db, const char* begin_sql);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& db_;
    bool open_ = false;
};

}  // namespace neura::project::sqlite
