# Extra settings for the tests/export suite (included from tests/CMakeLists.txt): the PyTorch export
# test exports a project with the example plugins (Swish has a PyTorch mapping, Mish none), which the
# build-tree `neura` finds in <build>/lib/neurastudio/plugins.
add_dependencies(export_tst_torch_export neura_example_plugins)
