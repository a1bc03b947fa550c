#pragma once
// ProjectError: every failure to load or save a .neura file. The message names the file and the cause;
// kind() lets the GUI pick a dialog without parsing the message.
#include <string>
#include <utility>

#include "neura/core/Error.h"

namespace neura::project {

enum class ProjectErrorKind {
    NotFound,         // the file does not exist
    Unreadable,       // the file exists but cannot be opened or read (permissions, a folder, ...)
    NotAProject,      // not an SQLite database at all (random bytes, empty file, wrong format)
    ForeignDatabase,  // an SQLite database, but not a NeuraStudio project
    NewerSchema,      // written by a newer NeuraStudio whose schema this build cannot read
    Damaged,          // a NeuraStudio project that is corrupt or truncated
    Unwritable,       // saving failed: folder or file not writable, disk full, ...
    Busy,             // another program holds a lock on the file
    InvalidProject,   // the Project given to save cannot be stored (duplicate names, undefined tensor, ...)
    Io,               // any other I/O failure reported by SQLite or the OS
};

class ProjectError : public neura::Error {
public:
    ProjectError(ProjectErrorKind kind, std::string path, const std::string& message)
        : neura::Error(message), kind_(kind), path_(std::move(path)) {}

    ProjectErrorKind kind() const { return kind_; }
    const std::string& path() const { return path_; }

private:
    ProjectErrorKind kind_;
    std::string path_;
};

}  // namespace neura::project
