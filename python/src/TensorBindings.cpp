// neura._C: Tensor, dtypes, devices, creation, the ops of neura/ops, NumPy and DLPack without copies.
#include <dlpack/dlpack.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>

#include <cstring>

#include "Bindings.h"
#include "neura/autograd/GradNode.h"

namespace neura::python {
namespace {

std::vector<std::int64_t> to_shape(const Shape& s) { return {s.begin(), s.end()}; }

Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

py::object item_of(const Tensor& t) {
    if (t.dtype() == DType::I64) return py::int_(t.to(Device::cpu()).item<std::int64_t>());
    return py::float_(t.to(Device::cpu()).item<double>());
}

// ---- NumPy: both ways share memory -------------------------------------------------------------------

py::dtype numpy_dtype(DType d) {
    switch (d) {
        case DType::F32: return py::dtype::of<float>();
        case DType::F64: return py::dtype::of<double>();
        case DType::I64: break;
    }
    return py::dtype::of<std::int64_t>();
}

// t.numpy(): an array over the tensor's own memory; the array keeps the tensor's storage alive.
py::array to_numpy(const Tensor& t) {
    NEURA_CHECK(t.device() == Device::cpu(), "numpy(): the tensor is on ", t.device().str(),
                "; copy it to the CPU first with .cpu()");
    NEURA_CHECK(!t.requires_grad(), "numpy(): the tensor requires grad; call .detach().numpy() (as in PyTorch)");
    const auto esize = static_cast<py::ssize_t>(element_size(t.dtype()));
    std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end()), strides;
    for (auto s : t.strides()) strides.push_back(s * esize);
    auto* keep = new Tensor(t);
    py::capsule owner(keep, [](void* p) { delete static_cast<Tensor*>(p); });
    return py::array(numpy_dtype(t.dtype()), shape, strides, t.numel() ? t.raw_data() : nullptr, owner);
}

// neura.from_numpy(a): a tensor over the array's memory (strided arrays as strided views); the tensor
// keeps the array alive.
Tensor from_numpy(const py::array& a) {
    DType dt;
    if (a.dtype().is(py::dtype::of<float>())) {
        dt = DType::F32;
    } else if (a.dtype().is(py::dtype::of<double>())) {
        dt = DType::F64;
    } else if (a.dtype().is(py::dtype::of<std::int64_t>())) {
        dt = DType::I64;
    } else {
        throw TypeError("from_numpy: arrays of " + std::string(py::str(a.dtype())) +
                        " are not supported; NeuraStudio tensors are float32, float64 or int64 (use a.astype(...))");
    }
    const auto esize = static_cast<py::ssize_t>(element_size(dt));
    Shape sizes, strides;
    std::int64_t span = a.size() ? esize : 0;
    for (py::ssize_t d = 0; d < a.ndim(); ++d) {
        const py::ssize_t st = a.strides(d);
        NEURA_CHECK_SHAPE(st >= 0 && st % esize == 0, "from_numpy: the array's stride ", st, " bytes at dimension ", d,
                          " is negative or not a multiple of the element size (copy it with a.copy() first)");
        sizes.push_back(a.shape(d));
        strides.push_back(st / esize);
        if (a.shape(d) > 0) span += (a.shape(d) - 1) * st;
    }
    auto* keep = new py::object(py::reinterpret_borrow<py::object>(a));
    auto storage = std::make_shared<StorageImpl>(const_cast<void*>(a.data()), static_cast<std::size_t>(span),
                                                 Device::cpu(), [keep] {
                                                     py::gil_scoped_acquire gil;
                                                     delete keep;
                                                 });
    return Tensor(std::make_shared<TensorImpl>(storage, sizes, strides, 0, dt));
}

// ---- DLPack (version 0.6, what PyTorch 1.13 speaks) -----------------------------------------------------

DLDataType dl_dtype(DType d) {
    switch (d) {
        case DType::F32: return {kDLFloat, 32, 1};
        case DType::F64: return {kDLFloat, 64, 1};
        case DType::I64: break;
    }
    return {kDLInt, 64, 1};
}

struct DLOwner {
    Tensor tensor;
    std::vector<std::int64_t> shape, strides;
    DLManagedTensor managed{};
};

py::capsule to_dlpack(const Tensor& t) {
    auto* o = new DLOwner{t, to_shape(t.shape()), to_shape(t.strides())};
    DLTensor& dl = o->managed.dl_tensor;
    dl.data = t.numel() ? t.raw_data() : nullptr;
    dl.device = t.device().type == DeviceType::CUDA ? DLDevice{kDLCUDA, t.device().index} : DLDevice{kDLCPU, 0};
    dl.ndim = static_cast<int>(t.dim());
    dl.dtype = dl_dtype(t.dtype());
    dl.shape = o->shape.data();
    dl.strides = o->strides.data();
    dl.byte_offset = 0;
    o->managed.manager_ctx = o;
    o->managed.deleter = [](DLManagedTensor* m) { delete static_cast<DLOwner*>(m->manager_ctx); };
    // A capsule nobody consumed deletes its tensor; a consumer renames it "used_dltensor" and calls the
    // deleter itself when done.
    return py::capsule(&o->managed, "dltensor", [](PyObject* cap) {
        if (PyCapsule_IsValid(cap, "dltensor")) {
            auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, "dltensor"));
            if (m && m->deleter) m->deleter(m);
        }
    });
}

Tensor from_dlpack(py::object obj) {
    if (py::hasattr(obj, "__dlpack__")) obj = obj.attr("__dlpack__")();
    NEURA_CHECK_TYPE(PyCapsule_IsValid(obj.ptr(), "dltensor"),
                     "from_dlpack: expects an object with __dlpack__ (a PyTorch tensor) or an unused DLPack capsule");
    auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(obj.ptr(), "dltensor"));
    const DLTensor& dl = m->dl_tensor;
    DType dt;
    if (dl.dtype.code == kDLFloat && dl.dtype.bits == 32 && dl.dtype.lanes == 1) {
        dt = DType::F32;
    } else if (dl.dtype.code == kDLFloat && dl.dtype.bits == 64 && dl.dtype.lanes == 1) {
        dt = DType::F64;
    } else if (dl.dtype.code == kDLInt && dl.dtype.bits == 64 && dl.dtype.lanes == 1) {
        dt = DType::I64;
    } else {
        throw TypeError("from_dlpack: the tensor's type (code " + std::to_string(dl.dtype.code) + ", " +
                        std::to_string(dl.dtype.bits) + " bits) is not float32, float64 or int64");
    }
    Device dev;
    if (dl.device.device_type == kDLCUDA) {
        dev = Device::cuda(dl.device.device_id);
    } else {
        NEURA_CHECK(dl.device.device_type == kDLCPU, "from_dlpack: tensors on DLPack device type ",
                    static_cast<int>(dl.device.device_type), " are not supported (cpu and cuda are)");
    }
    const auto esize = static_cast<std::int64_t>(element_size(dt));
    NEURA_CHECK(dl.byte_offset % static_cast<std::uint64_t>(esize) == 0, "from_dlpack: a byte offset of ",
                dl.byte_offset, " is not a whole number of elements");
    Shape sizes(dl.shape, dl.shape + dl.ndim), strides;
    if (dl.strides) {
        strides.assign(dl.strides, dl.strides + dl.ndim);
    } else {  // compact row-major
        strides.assign(sizes.size(), 1);
        for (int d = dl.ndim - 2; d >= 0; --d) strides[d] = strides[d + 1] * std::max<std::int64_t>(sizes[d + 1], 1);
    }
    std::int64_t span = 1, numel = 1;
    for (int d = 0; d < dl.ndim; ++d) {
        NEURA_CHECK_SHAPE(strides[d] >= 0, "from_dlpack: negative strides are not supported");
        numel *= sizes[d];
        if (sizes[d] > 0) span += (sizes[d] - 1) * strides[d];
    }
    if (numel == 0) span = 0;
    char* base = static_cast<char*>(dl.data) + dl.byte_offset;
    PyCapsule_SetName(obj.ptr(), "used_dltensor");
    auto storage = std::make_shared<StorageImpl>(base, static_cast<std::size_t>(span * esize), dev, [m] {
        py::gil_scoped_acquire gil;  // the producer's deleter may touch Python objects
        if (m->deleter) m->deleter(m);
    });
    return Tensor(std::make_shared<TensorImpl>(storage, sizes, strides, 0, dt));
}

}  // namespace

DType dtype_from(const py::handle& obj) {
    if (py::isinstance<DType>(obj)) return obj.cast<DType>();
    if (py::isinstance<py::str>(obj)) {
        const auto s = obj.cast<std::string>();
        if (s == "float32" || s == "float") return DType::F32;
        if (s == "float64" || s == "double") return DType::F64;
        if (s == "int64" || s == "long") return DType::I64;
        throw TypeError("unknown dtype '" + s + "': expected float32, float64 or int64");
    }
    throw TypeError("expected a dtype (neura.float32, neura.float64, neura.int64), got " +
                    std::string(py::str(py::type::of(obj))));
}

Device device_from(const py::handle& obj) {
    if (py::isinstance<Device>(obj)) return obj.cast<Device>();
    if (py::isinstance<py::str>(obj)) return Device::parse(obj.cast<std::string>());
    throw TypeError("expected a device ('cpu', 'cuda', 'cuda:1'), got " + std::string(py::str(py::type::of(obj))));
}

void bind_tensor(py::module_& m) {
    py::enum_<DType>(m, "dtype")
        .value("float32", DType::F32)
        .value("float64", DType::F64)
        .value("int64", DType::I64)
        .def("__repr__", [](DType d) { return std::string("neura.") + dtype_name(d); })
        .def("__str__", [](DType d) { return std::string("neura.") + dtype_name(d); })
        .def_property_readonly("is_floating_point", [](DType d) { return is_floating(d); })
        .def_property_readonly("itemsize", [](DType d) { return element_size(d); });

    py::class_<Device>(m, "device")
        .def(py::init([](const std::string& s) { return Device::parse(s); }), py::arg("type"))
        .def(py::init([](const std::string& type, int index) {
                 NEURA_CHECK(type == "cuda", "device(type, index): only 'cuda' devices have an index");
                 return Device::cuda(index);
             }),
             py::arg("type"), py::arg("index"))
        .def_property_readonly("type", [](const Device& d) { return d.type == DeviceType::CPU ? "cpu" : "cuda"; })
        .def_property_readonly("index", [](const Device& d) -> py::object {
            return d.type == DeviceType::CPU ? py::object(py::none()) : py::object(py::int_(d.index));
        })
        .def("__str__", &Device::str)
        .def("__repr__", [](const Device& d) {
            return d.type == DeviceType::CPU ? std::string("device(type='cpu')")
                                             : "device(type='cuda', index=" + std::to_string(d.index) + ")";
        })
        .def("__eq__", [](const Device& a, const py::object& b) {
            try {
                return a == device_from(b);
            } catch (const std::exception&) {
                return false;
            }
        })
        .def("__hash__", [](const Device& d) { return std::hash<std::string>{}(d.str()); });

    py::class_<Tensor> t(m, "Tensor");
    t.def(py::init<const Tensor&>(), "A new handle to the same tensor (shares data and autograd state)")
        // ---- metadata
        .def_property_readonly("shape", [](const Tensor& x) { return py::tuple(py::cast(to_shape(x.shape()))); })
        .def_property_readonly("dtype", &Tensor::dtype)
        .def_property_readonly("device", &Tensor::device)
        .def_property_readonly("ndim", &Tensor::dim)
        .def("dim", &Tensor::dim)
        .def("numel", &Tensor::numel)
        .def("_stride", [](const Tensor& x) { return to_shape(x.strides()); })
        .def("storage_offset", &Tensor::offset)
        .def("is_contiguous", &Tensor::is_contiguous)
        .def("data_ptr", [](const Tensor& x) { return reinterpret_cast<std::uintptr_t>(x.raw_data()); })
        .def("element_size", [](const Tensor& x) { return element_size(x.dtype()); })
        .def("is_floating_point", [](const Tensor& x) { return is_floating(x.dtype()); })
        .def_property_readonly("is_cuda", [](const Tensor& x) { return x.device().type == DeviceType::CUDA; })
        .def_property_readonly("_version", &Tensor::version)
        .def("item", &item_of)
        .def("_same", &Tensor::is_same)
        // ---- views
        .def("_view", &Tensor::view)
        .def("_reshape", &Tensor::reshape)
        .def("transpose", &Tensor::transpose, py::arg("dim0"), py::arg("dim1"))
        .def("t", &Tensor::t)
        .def("_permute", &Tensor::permute)
        .def("_slice", &Tensor::slice)
        .def("narrow", &Tensor::narrow, py::arg("dim"), py::arg("start"), py::arg("length"))
        .def("select", &Tensor::select, py::arg("dim"), py::arg("index"))
        .def("_expand", &Tensor::expand)
        .def("squeeze", [](const Tensor& x, std::optional<std::int64_t> dim) { return dim ? x.squeeze(*dim) : x.squeeze(); },
             py::arg("dim") = py::none())
        .def("unsqueeze", &Tensor::unsqueeze, py::arg("dim"))
        .def("flatten", &Tensor::flatten, py::arg("start_dim") = 0, py::arg("end_dim") = -1)
        // ---- copies
        .def("contiguous", &Tensor::contiguous)
        .def("clone", &Tensor::clone)
        .def("detach", &Tensor::detach)
        .def("_to_dtype", [](const Tensor& x, const py::handle& d) { return x.to(dtype_from(d)); })
        .def("_to_device", [](const Tensor& x, const py::handle& d) {
            const Device dev = device_from(d);
            py::gil_scoped_release nogil;
            return x.to(dev);
        })
        // ---- in place
        .def("copy_", &Tensor::copy_, py::arg("src"), py::return_value_policy::reference_internal)
        .def("fill_", &Tensor::fill_, py::arg("value"), py::return_value_policy::reference_internal)
        .def("zero_", &Tensor::zero_, py::return_value_policy::reference_internal)
        .def("_add_", py::overload_cast<const Tensor&, double>(&Tensor::add_), py::return_value_policy::reference_internal)
        .def("_sub_", &Tensor::sub_, py::return_value_policy::reference_internal)
        .def("_mul_", py::overload_cast<const Tensor&>(&Tensor::mul_), py::return_value_policy::reference_internal)
        .def("_mul_scalar_", py::overload_cast<double>(&Tensor::mul_), py::return_value_policy::reference_internal)
        .def("_div_scalar_", &Tensor::div_, py::return_value_policy::reference_internal)
        // ---- autograd
        .def_property_readonly("requires_grad", &Tensor::requires_grad)
        .def("requires_grad_", &Tensor::requires_grad_, py::arg("requires_grad") = true,
             py::return_value_policy::reference_internal)
        .def_property_readonly("is_leaf", &Tensor::is_leaf)
        .def_property(
            "grad", [](const Tensor& x) -> py::object { return x.grad().defined() ? py::cast(x.grad()) : py::none(); },
            [](Tensor& x, const std::optional<Tensor>& g) { x.set_grad(g ? *g : Tensor()); })
        .def_property_readonly("_grad_fn_name",
                               [](const Tensor& x) -> py::object {
                                   return x.grad_fn() ? py::cast(x.grad_fn()->name()) : py::none();
                               })
        .def("retain_grad", &Tensor::retain_grad)
        .def("_backward",
             [](const Tensor& x, const std::optional<Tensor>& g, bool retain_graph, bool create_graph) {
                 x.backward(opt(g), retain_graph, create_graph);
             },
             py::arg("gradient"), py::arg("retain_graph"), py::arg("create_graph"), ReleaseGil())
        // ---- NumPy, DLPack
        .def("numpy", &to_numpy)
        .def("__dlpack__", [](const Tensor& x, const py::object&) { return to_dlpack(x); }, py::arg("stream") = py::none())
        .def("__dlpack_device__", [](const Tensor& x) {
            return x.device().type == DeviceType::CUDA ? py::make_tuple(static_cast<int>(kDLCUDA), x.device().index)
                                                       : py::make_tuple(static_cast<int>(kDLCPU), 0);
        });

    m.def("from_numpy", &from_numpy, py::arg("ndarray"));
    m.def("from_dlpack", &from_dlpack, py::arg("ext_tensor"));
    m.def("_to_dlpack", &to_dlpack);

    // ---- creation
    m.def("_empty", [](const Shape& s, const py::handle& d, const py::handle& dev) { return Tensor::empty(s, dtype_from(d), device_from(dev)); });
    m.def("_zeros", [](const Shape& s, const py::handle& d, const py::handle& dev) { return Tensor::zeros(s, dtype_from(d), device_from(dev)); });
    m.def("_ones", [](const Shape& s, const py::handle& d, const py::handle& dev) { return Tensor::ones(s, dtype_from(d), device_from(dev)); });
    m.def("_full", [](const Shape& s, double v, const py::handle& d, const py::handle& dev) { return Tensor::full(s, v, dtype_from(d), device_from(dev)); });
    m.def("_arange", [](double start, double end, double step, const py::handle& d) { return Tensor::arange(start, end, step, dtype_from(d)); });
    m.def("_linspace", [](double start, double end, std::int64_t steps, const py::handle& d) { return Tensor::linspace(start, end, steps, dtype_from(d)); });
    m.def("_eye", [](std::int64_t n, const py::handle& d) { return Tensor::eye(n, dtype_from(d)); });
    m.def("_rand", [](const Shape& s, const py::handle& d) { return Tensor::rand(s, dtype_from(d)); });
    m.def("_randn", [](const Shape& s, const py::handle& d) { return Tensor::randn(s, dtype_from(d)); });
    m.def("_randint", [](std::int64_t lo, std::int64_t hi, const Shape& s) { return Tensor::randint(lo, hi, s); });
    m.def("manual_seed", [](std::uint64_t seed) { manual_seed(seed); }, py::arg("seed"));
    m.def("initial_seed", [] { return default_generator().initial_seed(); });

    // ---- ops (neura/ops/Ops.h, NnOps.h); the Python package adds scalars, keywords and defaults
    m.def("add", &neura::add, py::arg("input"), py::arg("other"), py::arg("alpha") = 1.0);
    m.def("sub", &neura::sub, py::arg("input"), py::arg("other"), py::arg("alpha") = 1.0);
    m.def("mul", &neura::mul, py::arg("input"), py::arg("other"));
    m.def("div", &neura::div, py::arg("input"), py::arg("other"));
    m.def("_pow", py::overload_cast<const Tensor&, const Tensor&>(&neura::pow));
    m.def("_pow_scalar", py::overload_cast<const Tensor&, double>(&neura::pow));
    m.def("maximum", &neura::maximum, py::arg("input"), py::arg("other"));
    m.def("minimum", &neura::minimum, py::arg("input"), py::arg("other"));
    m.def("_where", &neura::where);
    m.def("eq", &neura::eq, py::arg("input"), py::arg("other"));
    m.def("ne", &neura::ne, py::arg("input"), py::arg("other"));
    m.def("gt", &neura::gt, py::arg("input"), py::arg("other"));
    m.def("ge", &neura::ge, py::arg("input"), py::arg("other"));
    m.def("lt", &neura::lt, py::arg("input"), py::arg("other"));
    m.def("le", &neura::le, py::arg("input"), py::arg("other"));
#define NEURA_PY_UNARY(name) m.def(#name, &neura::name, py::arg("input"));
    NEURA_PY_UNARY(neg)
    NEURA_PY_UNARY(exp)
    NEURA_PY_UNARY(log)
    NEURA_PY_UNARY(sqrt)
    NEURA_PY_UNARY(abs)
    NEURA_PY_UNARY(sign)
    NEURA_PY_UNARY(sin)
    NEURA_PY_UNARY(cos)
    NEURA_PY_UNARY(erf)
    NEURA_PY_UNARY(relu)
    NEURA_PY_UNARY(sigmoid)
    NEURA_PY_UNARY(tanh)
#undef NEURA_PY_UNARY
    m.def("_gelu", &neura::gelu);
    m.def("_leaky_relu", &neura::leaky_relu);
    m.def("_softplus", &neura::softplus);
    m.def("clamp", &neura::clamp, py::arg("input"), py::arg("min") = py::none(), py::arg("max") = py::none());
    m.def("softmax", &neura::softmax, py::arg("input"), py::arg("dim"));
    m.def("log_softmax", &neura::log_softmax, py::arg("input"), py::arg("dim"));
    m.def("_sum", py::overload_cast<const Tensor&>(&neura::sum));
    m.def("_sum_dims", py::overload_cast<const Tensor&, const std::vector<std::int64_t>&, bool>(&neura::sum));
    m.def("_mean", py::overload_cast<const Tensor&>(&neura::mean));
    m.def("_mean_dims", py::overload_cast<const Tensor&, const std::vector<std::int64_t>&, bool>(&neura::mean));
    m.def("_var", py::overload_cast<const Tensor&, const std::vector<std::int64_t>&, double, bool>(&neura::var));
    m.def("_max", py::overload_cast<const Tensor&>(&neura::max));
    m.def("_min", py::overload_cast<const Tensor&>(&neura::min));
    m.def("_max_dim", py::overload_cast<const Tensor&, std::int64_t, bool>(&neura::max));
    m.def("_min_dim", py::overload_cast<const Tensor&, std::int64_t, bool>(&neura::min));
    m.def("_argmax", &neura::argmax);
    m.def("_argmin", &neura::argmin);
    m.def("sum_to", &neura::sum_to, py::arg("input"), py::arg("shape"));
    m.def("matmul", &neura::matmul, py::arg("input"), py::arg("other"), ReleaseGil());
    m.def("bmm", &neura::bmm, py::arg("input"), py::arg("mat2"), ReleaseGil());
    m.def("_masked_fill", &neura::masked_fill);
    m.def("tril", &neura::tril, py::arg("input"), py::arg("diagonal") = 0);
    m.def("triu", &neura::triu, py::arg("input"), py::arg("diagonal") = 0);
    m.def("cat", &neura::cat, py::arg("tensors"), py::arg("dim") = 0);
    m.def("stack", &neura::stack, py::arg("tensors"), py::arg("dim") = 0);
    m.def("unbind", [](const Tensor& x, std::int64_t dim) { return py::tuple(py::cast(neura::unbind(x, dim))); },
          py::arg("input"), py::arg("dim") = 0);
    m.def("index_select", &neura::index_select, py::arg("input"), py::arg("dim"), py::arg("index"));
    m.def("index_add", &neura::index_add, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("source"));
    m.def("gather", &neura::gather, py::arg("input"), py::arg("dim"), py::arg("index"));
    m.def("scatter_add", &neura::scatter_add, py::arg("input"), py::arg("dim"), py::arg("index"), py::arg("src"));
    m.def("_one_hot", &neura::one_hot);
    m.def("slice_backward", &neura::slice_backward, py::arg("grad"), py::arg("input_sizes"), py::arg("dim"),
          py::arg("start"), py::arg("end"), py::arg("step"));
    m.def("scalar_like", &neura::scalar_like, py::arg("value"), py::arg("like"));
    // nn ops
    m.def("_conv2d", [](const Tensor& x, const Tensor& w, const std::optional<Tensor>& b, Size2 stride, Size2 padding,
                        Size2 dilation, std::int64_t groups) { return neura::conv2d(x, w, opt(b), stride, padding, dilation, groups); },
          ReleaseGil());
    m.def("_max_pool2d", &neura::max_pool2d, ReleaseGil());
    m.def("_avg_pool2d", &neura::avg_pool2d, ReleaseGil());
    m.def("_adaptive_avg_pool2d", &neura::adaptive_avg_pool2d, ReleaseGil());
    m.def("_batch_norm", [](const Tensor& x, const std::optional<Tensor>& w, const std::optional<Tensor>& b,
                            const std::optional<Tensor>& rm, const std::optional<Tensor>& rv, bool training,
                            double momentum, double eps) {
        return neura::batch_norm(x, opt(w), opt(b), opt(rm), opt(rv), training, momentum, eps);
    });
    m.def("_layer_norm", [](const Tensor& x, const Shape& shape, const std::optional<Tensor>& w,
                            const std::optional<Tensor>& b, double eps) { return neura::layer_norm(x, shape, opt(w), opt(b), eps); });
    m.def("_dropout", [](const Tensor& x, double p, bool training) { return neura::dropout(x, p, training); });
    m.def("_embedding", &neura::embedding);
    m.def("_sdpa", [](const Tensor& q, const Tensor& k, const Tensor& v, const std::optional<Tensor>& mask, double p,
                      bool causal, std::optional<double> scale) {
              return neura::scaled_dot_product_attention(q, k, v, opt(mask), p, causal, scale);
          },
          ReleaseGil());
    // losses
    m.def("_mse_loss", [](const Tensor& a, const Tensor& b, const std::string& r) {
        return nn::mse_loss(a, b, nn::reduction_from_string(r));
    });
    m.def("_l1_loss", [](const Tensor& a, const Tensor& b, const std::string& r) {
        return nn::l1_loss(a, b, nn::reduction_from_string(r));
    });
    m.def("_huber_loss", [](const Tensor& a, const Tensor& b, const std::string& r, double delta) {
        return nn::huber_loss(a, b, nn::reduction_from_string(r), delta);
    });
    m.def("_cross_entropy", [](const Tensor& a, const Tensor& b, const std::optional<Tensor>& w, std::int64_t ignore,
                               const std::string& r, double smoothing) {
        nn::CrossEntropyOptions o;
        if (w) o.weight = *w;
        o.ignore_index = ignore;
        o.reduction = nn::reduction_from_string(r);
        o.label_smoothing = smoothing;
        return nn::cross_entropy(a, b, o);
    });
    m.def("_nll_loss", [](const Tensor& a, const Tensor& b, const std::optional<Tensor>& w, std::int64_t ignore,
                          const std::string& r) {
        nn::NLLOptions o;
        if (w) o.weight = *w;
        o.ignore_index = ignore;
        o.reduction = nn::reduction_from_string(r);
        return nn::nll_loss(a, b, o);
    });
    m.def("_bce_with_logits", [](const Tensor& a, const Tensor& b, const std::optional<Tensor>& w,
                                 const std::optional<Tensor>& pw, const std::string& r) {
        nn::BCEWithLogitsOptions o;
        if (w) o.weight = *w;
        if (pw) o.pos_weight = *pw;
        o.reduction = nn::reduction_from_string(r);
        return nn::binary_cross_entropy_with_logits(a, b, o);
    });

    // ---- autograd
    m.def("is_grad_enabled", &GradMode::is_enabled);
    m.def("_set_grad_enabled", &GradMode::set_enabled);
    m.def("_grad", [](const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                      const std::vector<Tensor>& grad_outputs, bool retain_graph, bool create_graph, bool allow_unused) {
        std::vector<Tensor> grads;
        {
            py::gil_scoped_release nogil;
            grads = autograd::grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused);
        }
        py::list out;  // an input the outputs do not depend on: None, as torch.autograd.grad
        for (const auto& g : grads) out.append(g.defined() ? py::cast(g) : py::none());
        return out;
    });
    m.def("_backward", &autograd::backward, ReleaseGil());
    m.def("_gradcheck", [](const py::function& fn, const std::vector<Tensor>& inputs, double eps, double atol,
                           double rtol, bool double_backward) {
        autograd::GradcheckOptions o;
        o.eps = eps;
        o.atol = atol;
        o.rtol = rtol;
        o.check_double_backward = double_backward;
        const auto r = autograd::gradcheck(
            [&](const std::vector<Tensor>& xs) {
                py::object out = fn(*py::cast(xs));
                if (py::isinstance<Tensor>(out)) return std::vector<Tensor>{out.cast<Tensor>()};
                return out.cast<std::vector<Tensor>>();
            },
            inputs, o);
        return py::make_tuple(r.passed, r.message);
    });
}

}  // namespace neura::python
