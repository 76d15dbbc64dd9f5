#include "catalog/sqlite.h"

#include <sqlite3.h>

namespace kinglet::server::sql {

Statement::Statement(Database* db, sqlite3_stmt* stmt, std::string sql)
    : db_(db), stmt_(stmt), sql_(std::move(sql)) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), sql_(std::move(other.sql_)), bind_status_(other.bind_status_) {
  other.stmt_ = nullptr;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) bind_status_ = Status::Internal("bind failed: " + sql_);
  return *this;
}

Statement& Statement::Bind(int index, double value) {
  if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) bind_status_ = Status::Internal("bind failed: " + sql_);
  return *this;
}

Statement& Statement::Bind(int index, const std::string& value) {
  if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    bind_status_ = Status::Internal("bind failed: " + sql_);
  }
  return *this;
}

Statement& Statement::BindNull(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) bind_status_ = Status::Internal("bind failed: " + sql_);
  return *this;
}

Result<bool> Statement::Step() {
  KINGLET_RETURN_IF_ERROR(bind_status_);
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if (rc == SQLITE_CONSTRAINT) {
    return Status::AlreadyExists("catalog constraint failed (" + db_->LastError() + ")");
  }
  return Status::IOError("catalog " + db_->path() + ": " + db_->LastError() + " (in: " + sql_ + ")");
}

Status Statement::Run() {
  while (true) {
    KINGLET_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_status_ = Status::Ok();
}

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::Double(int column) const { return sqlite3_column_double(stmt_, column); }
bool Statement::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::IOError("cannot open catalog " + path + ": " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Database> database(new Database(db, path));
  KINGLET_RETURN_IF_ERROR(database->Exec("PRAGMA foreign_keys = ON"));
  return database;
}

Database::~Database() { sqlite3_close(db_); }

Result<Statement> Database::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
    return Status::Internal("catalog: cannot prepare '" + sql + "': " + LastError());
  }
  return Statement(this, stmt, sql);
}

Status Database::Exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : LastError();
    sqlite3_free(error);
    return Status::IOError("catalog " + path_ + ": " + message + " (in: " + sql.substr(0, 120) + ")");
  }
  return Status::Ok();
}

int64_t Database::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
int Database::Changes() const { return sqlite3_changes(db_); }
std::string Database::LastError() const { return sqlite3_errmsg(db_); }

Transaction::Transaction(Database* db) : db_(db), begin_(db->Exec("BEGIN IMMEDIATE")) {}

Transaction::~Transaction() {
  if (!done_ && begin_.ok()) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  KINGLET_RETURN_IF_ERROR(begin_);
  KINGLET_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  done_ = true;
  return Status::Ok();
}

}  // namespace kinglet::server::sql
