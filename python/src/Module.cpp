// The `neura` Python module's native part, neura._C. Engine errors become Python exceptions with the
// engine's message: a shape that does not fit → ValueError, a dtype an op does not take → TypeError,
// anything else → RuntimeError (PyTorch's mapping).
#include "Bindings.h"
#include "neura/backend/Cuda.h"

PYBIND11_MODULE(_C, m) {
    namespace py = pybind11;
    using namespace neura;
    m.doc() = "NeuraStudio's engine (wrapped by the neura package)";
    m.attr("__version__") = NEURA_VERSION;
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const ShapeError& e) {
            PyErr_SetString(PyExc_ValueError, e.what());
        } catch (const TypeError& e) {
            PyErr_SetString(PyExc_TypeError, e.what());
        }
    });
    python::bind_tensor(m);
    python::bind_nn(m);
    python::bind_train(m);
    m.def("_cuda_device_count", [] { return cuda::device_count(); });
    m.def("_cuda_unavailable_reason", [] { return cuda::unavailable_reason(); });
}
