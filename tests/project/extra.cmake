# Extra settings for the tests/project suite (included from tests/CMakeLists.txt).
# tst_project_file builds foreign and tampered files with the sqlite3 API.
target_link_libraries(project_tst_project_file PRIVATE SQLite::SQLite3)
# project.project_crash: 200 kills take ~10 s here; NEURA_CRASH_ITERATIONS=1000 about a minute.
