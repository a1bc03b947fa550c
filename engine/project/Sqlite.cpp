#include "project/Sqlite.h"

#include <cmath>
#include <limits>

namespace neura::project::sqlite {

void throw_error(sqlite3* db, int rc) {
    int code = db != nullptr ? sqlite3_extended_errcode(db) : rc;
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    if ((code & 0xff) != (rc & 0xff)) {  // the connection's message belongs to another call
        code = rc;
        message = sqlite3_errstr(rc);
    }
    throw SqliteError(code, message);
}

Database::Database(const std::string& path, int flags) {
    sqlite3* raw = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    db_.reset(raw);  // even a failed open returns a handle that must be closed
    if (rc != SQLITE_OK) throw_error(raw, rc);
    sqlite3_extended_result_codes(raw, 1);

    // A project file comes from anywhere: treat its schema as hostile.
    sqlite3_db_config(raw, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(raw, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
    sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_VIEW, 0, nullptr);
    sqlite3_db_config(raw, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
    sqlite3_db_config(raw, SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
    sqlite3_db_config(raw, SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
    sqlite3_busy_timeout(raw, 5000);
    exec("PRAGMA trusted_schema=OFF");
}

void Database::exec(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
    sqlite3_free(err);  // the same text is available from sqlite3_errmsg
    if (rc != SQLITE_OK) throw_error(db_.get(), rc);
}

std::int64_t Database::query_int(const char* sql) {
    Statement st(*this, sql);
    return st.step() ? st.column_int64(0) : 0;
}

Statement::Statement(const Database& db, std::string_view sql) : db_(db.get()) {
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt_);
        stmt_ = nullptr;
        throw_error(db_, rc);
    }
}

void Statement::check(int rc) {
    if (rc != SQLITE_OK) throw_error(db_, rc);
}

void Statement::bind_int64(int index, std::int64_t value) { check(sqlite3_bind_int64(stmt_, index, value)); }

void Statement::bind_double(int index, double value) {
    if (std::isnan(value)) return bind_null(index);
    check(sqlite3_bind_double(stmt_, index, value));
}

void Statement::bind_text(int index, std::string_view text) {
    // SQLITE_STATIC: the caller keeps the text alive until the statement is stepped.
    check(sqlite3_bind_text64(stmt_, index, text.empty() ? "" : text.data(), text.size(), SQLITE_STATIC,
                              SQLITE_UTF8));
}

void Statement::bind_blob(int index, const void* data, std::size_t size) {
    // A null pointer would bind NULL; an empty blob needs a non-null pointer.
    check(sqlite3_bind_blob64(stmt_, index, size == 0 ? "" : data, size, SQLITE_STATIC));
}

void Statement::bind_null(int index) { check(sqlite3_bind_null(stmt_, index)); }

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_error(db_, rc);
}

void Statement::reset() {
    sqlite3_reset(stmt_);  // reports the last step's error again, which step() already threw
    sqlite3_clear_bindings(stmt_);
}

double Statement::column_double(int col) const {
    if (column_is_null(col)) return std::numeric_limits<double>::quiet_NaN();
    return sqlite3_column_double(stmt_, col);
}

std::string Statement::column_text(int col) const {
    const unsigned char* text = sqlite3_column_text(stmt_, col);
    if (text == nullptr) return {};
    int n = sqlite3_column_bytes(stmt_, col);
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n));
}

const void* Statement::column_blob(int col, std::size_t& size) const {
    const void* data = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);  // after column_blob, as the SQLite docs require
    size = data == nullptr ? 0 : static_cast<std::size_t>(n);
    return data;
}

Transaction::Transaction(Database& db, const char* begin_sql) : db_(db) {
    db_.exec(begin_sql);
    open_ = true;
}

Transaction::~Transaction() {
    // SQLite may already have rolled back after an I/O error; ROLLBACK then is a harmless no-op.
    if (open_ && sqlite3_get_autocommit(db_.get()) == 0) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

}  // namespace neura::project::sqlite
