# The Python module's tests (pytest, Debian's python3 with torch and NumPy): one CTest test per file,
# python.<name>, run against the module in <build>/python.
if(TARGET neura_python AND NEURA_DEBIAN_PYTHON)
  file(GLOB NEURA_PYTHON_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/test_*.py)
  foreach(test IN LISTS NEURA_PYTHON_TESTS)
    get_filename_component(name ${test} NAME_WE)
    string(REPLACE "test_" "" short ${name})
    add_test(NAME python.${short}
             COMMAND ${NEURA_DEBIAN_PYTHON} -m pytest -q -p no:cacheprovider ${test}
             WORKING_DIRECTORY ${CMAKE_CURRENT_LIST_DIR})
    set_tests_properties(python.${short} PROPERTIES
      ENVIRONMENT "PYTHONPATH=${CMAKE_BINARY_DIR}/python;NEURA_CLI=$<TARGET_FILE:neura>;NEURA_SOURCE_DIR=${PROJECT_SOURCE_DIR};OMP_NUM_THREADS=1;PYTHONDONTWRITEBYTECODE=1"
      TIMEOUT 1800)
  endforeach()
endif()
# tst_install checks the installed module too.
if(TARGET neura_python AND TARGET install_tst_install)
  target_compile_definitions(install_tst_install PRIVATE NEURA_WITH_PYTHON=1)
endif()
