# Extra settings for the tests/cuda suite (included from tests/CMakeLists.txt). Without a GPU these suites
# run the checks that need none and exit with 77: CTest reports them as skipped, never as passed.
set_tests_properties(cuda.parity cuda.training PROPERTIES SKIP_RETURN_CODE 77)
# tst_parity checks the whole op table; the engine is a static library, so link every object of it (a
# program otherwise holds only the op files it calls).
target_link_options(cuda_tst_parity PRIVATE "LINKER:--whole-archive" "$<TARGET_FILE:neura_engine>"
                    "LINKER:--no-whole-archive")
