# neura_add_plugin(<target> <source>...): a NeuraStudio plugin as a MODULE library (<target>.so),
# compiled against the plugin SDK (target NeuraStudio::plugin_sdk) and not linked against the
# engine: its engine symbols resolve against the program that loads it (`neura`, the studio).
# Shared by the source tree (plugins/CMakeLists.txt) and the installed SDK (find_package).
function(neura_add_plugin target)
  if(NOT ARGN)
    message(FATAL_ERROR "neura_add_plugin(${target}): no source files given")
  endif()
  add_library(${target} MODULE ${ARGN})
  target_link_libraries(${target} PRIVATE NeuraStudio::plugin_sdk)
  target_compile_features(${target} PRIVATE cxx_std_20)
  # <target>.so, no "lib" prefix: the file name the Plugins dialog and `neura plugins` show.
  set_target_properties(${target} PROPERTIES PREFIX "" CXX_EXTENSIONS OFF)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC marks some template and inline statics STB_GNU_UNIQUE, which makes dlclose() a no-op:
    # without them a plugin can really be unloaded and reloaded (Plugins ▸ Reload).
    target_compile_options(${target} PRIVATE -fno-gnu-unique)
  endif()
endfunction()
