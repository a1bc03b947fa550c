# Extra settings for the tests/cuda suite (included from tests/CMakeLists.txt). Without a GPU these suites
# run the checks that need none and exit with 77: CTest reports them as skipped, never as passed.
set_tests_properties(cuda.parity cuda.training PROPERTIES SKIP_RETURN_CODE 77)
# tst_parity checks the whole op table, so it links every object of the engine (neura_enable_plugins does,
# as it exports the engine's symbols to the CUDA module).
neura_enable_plugins(cuda_tst_parity)
