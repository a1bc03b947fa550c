#pragma once
// Shared by the binding files of the `neura` Python module (neura._C): the conversions every part needs.
// The bindings stay thin: each wraps one engine call; PyTorch's calling conventions (keyword names,
// *sizes, None) are adapted in the Python package (python/neura), not here.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <vector>

#include "neura/neura.h"

namespace neura::python {

namespace py = pybind11;

// The GIL is released around engine calls that may take long (products, convolutions, backward,
// layer forwards, training); short pointwise ops keep it (releasing costs more than they do).
using ReleaseGil = py::call_guard<py::gil_scoped_release>;

DType dtype_from(const py::handle& obj);  // neura.float32 or a name ("float32", "float", "int64", ...)
Device device_from(const py::handle& obj);  // "cpu", "cuda:0", a Device

void bind_tensor(py::module_& m);
void bind_nn(py::module_& m);
void bind_train(py::module_& m);

}  // namespace neura::python
