# Extra settings for the tests/gui suite (included from tests/CMakeLists.txt): the GUI tests drive
# real widgets of the neura_gui library, offscreen.
file(GLOB NEURA_GUI_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/tst_*.cpp)
foreach(src IN LISTS NEURA_GUI_TESTS)
  get_filename_component(name ${src} NAME_WE)
  string(REPLACE "tst_" "" short ${name})
  if(TARGET neura_gui)
    find_package(Qt6 REQUIRED COMPONENTS Widgets)
    target_link_libraries(gui_${name} PRIVATE neura_gui Qt6::Widgets)
  else()  # -DNEURA_BUILD_GUI=OFF: nothing to link against
    set_target_properties(gui_${name} PROPERTIES EXCLUDE_FROM_ALL ON)
    set_tests_properties(gui.${short} PROPERTIES DISABLED ON)
  endif()
endforeach()
