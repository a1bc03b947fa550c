# Extra settings for the tests/engine suite (included from tests/CMakeLists.txt).
# tst_formulas checks the CPU column of the whole op table; the engine is a static library, so link every
# object of it (a program otherwise holds only the op files it calls).
target_link_options(engine_tst_formulas PRIVATE "LINKER:--whole-archive" "$<TARGET_FILE:neura_engine>"
                    "LINKER:--no-whole-archive")
# tst_ops requires every kernel slot of the registry to be reached by a case: it must see every slot.
target_link_options(engine_tst_ops PRIVATE "LINKER:--whole-archive" "$<TARGET_FILE:neura_engine>"
                    "LINKER:--no-whole-archive")
