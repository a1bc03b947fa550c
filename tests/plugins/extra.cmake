# Extra settings for the tests/plugins suite (included from tests/CMakeLists.txt): the example
# plugins, and test-only plugins that must be refused (wrong API version or build tag, a throwing
# registration, a missing entry point, an undefined symbol, a type clash) or marked (a wrong
# gradient), built into <build>/tests/plugins/lib.
set(NEURA_TEST_PLUGIN_DIR ${CMAKE_CURRENT_BINARY_DIR}/plugins/lib)
set(NEURA_TEST_PLUGINS bad_api bad_tag throwing throwing_int missing_symbol unresolved conflict bad_gradient)
foreach(p IN LISTS NEURA_TEST_PLUGINS)
  neura_add_plugin(test_plugin_${p} ${CMAKE_CURRENT_LIST_DIR}/testplugins/${p}.cpp)
  set_target_properties(test_plugin_${p} PROPERTIES OUTPUT_NAME ${p} LIBRARY_OUTPUT_DIRECTORY ${NEURA_TEST_PLUGIN_DIR}
                                                    AUTOMOC OFF)
endforeach()

foreach(t plugins_tst_plugins plugins_tst_plugins_gui)
  foreach(p IN LISTS NEURA_TEST_PLUGINS)
    add_dependencies(${t} test_plugin_${p})
  endforeach()
  add_dependencies(${t} neura_example_plugins)
  # The suite loads plugins in-process: the test program exports the whole engine, as `neura` does.
  neura_enable_plugins(${t})
  target_compile_definitions(${t} PRIVATE
    NEURA_EXAMPLE_PLUGIN_DIR="${PROJECT_BINARY_DIR}/lib/neurastudio/plugins"
    NEURA_TEST_PLUGIN_DIR="${NEURA_TEST_PLUGIN_DIR}")
endforeach()

# The studio's side (palette, Plugins dialog) drives the real widgets of neura_gui.
if(TARGET neura_gui)
  find_package(Qt6 REQUIRED COMPONENTS Widgets)
  target_link_libraries(plugins_tst_plugins_gui PRIVATE neura_gui Qt6::Widgets)
else()  # -DNEURA_BUILD_GUI=OFF
  set_target_properties(plugins_tst_plugins_gui PROPERTIES EXCLUDE_FROM_ALL ON)
  set_tests_properties(plugins.plugins_gui PROPERTIES DISABLED ON)
endif()
