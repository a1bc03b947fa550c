// neura._C.nn: the engine's layers (neura/nn) as objects the Python modules in neura.nn wrap. A layer's
// parameters are the engine's own tensors, so an optimizer made in Python updates the very tensors the
// layer's forward reads.
#include "Bindings.h"

namespace neura::python {
namespace {

using Layer = nn::Module;
using LayerPtr = std::shared_ptr<nn::Module>;

py::list named(const std::vector<std::pair<std::string, Tensor>>& items) {
    py::list out;
    for (const auto& [name, t] : items) out.append(py::make_tuple(name, t));
    return out;
}

Tensor opt(const std::optional<Tensor>& t) { return t ? *t : Tensor(); }

}  // namespace

void bind_nn(py::module_& parent) {
    py::module_ m = parent.def_submodule("nn", "the engine's layers (wrapped by neura.nn)");

    py::class_<Layer, LayerPtr>(m, "Layer")
        .def_property_readonly("type_name", &Layer::type_name)
        .def("forward", py::overload_cast<const Tensor&>(&Layer::forward), ReleaseGil())
        .def("forward_many", py::overload_cast<const std::vector<Tensor>&>(&Layer::forward), ReleaseGil())
        .def("named_parameters", [](const Layer& l) { return named(l.named_parameters()); })
        .def("named_buffers", [](const Layer& l) { return named(l.named_buffers()); })
        .def("train", &Layer::train, py::arg("mode") = true)
        .def_property_readonly("training", &Layer::is_training)
        .def("to_dtype", [](Layer& l, const py::handle& d) { l.to(dtype_from(d)); })
        .def("to_device", [](Layer& l, const py::handle& d) {
            const Device dev = device_from(d);
            py::gil_scoped_release nogil;
            l.to(dev);
        });

    m.def("Linear", [](std::int64_t in, std::int64_t out, bool bias) -> LayerPtr {
        return std::make_shared<nn::Linear>(in, out, bias);
    });
    m.def("Conv2d", [](std::int64_t in, std::int64_t out, std::array<std::int64_t, 2> k, std::array<std::int64_t, 2> s,
                       std::array<std::int64_t, 2> p, std::array<std::int64_t, 2> d, std::int64_t groups,
                       bool bias) -> LayerPtr {
        nn::Conv2dOptions o;
        o.in_channels = in;
        o.out_channels = out;
        o.kernel_h = k[0], o.kernel_w = k[1];
        o.stride_h = s[0], o.stride_w = s[1];
        o.padding_h = p[0], o.padding_w = p[1];
        o.dilation_h = d[0], o.dilation_w = d[1];
        o.groups = groups;
        o.bias = bias;
        return std::make_shared<nn::Conv2d>(o);
    });
    m.def("BatchNorm", [](int spatial_dims, std::int64_t n, double eps, double momentum, bool affine) -> LayerPtr {
        return std::make_shared<nn::BatchNorm>(spatial_dims, n, eps, momentum, affine);
    });
    m.def("LayerNorm", [](const Shape& shape, double eps, bool affine) -> LayerPtr {
        return std::make_shared<nn::LayerNorm>(shape, eps, affine);
    });
    m.def("Dropout", [](double p) -> LayerPtr { return std::make_shared<nn::Dropout>(p); });
    m.def("Embedding", [](std::int64_t n, std::int64_t dim) -> LayerPtr {
        return std::make_shared<nn::Embedding>(n, dim);
    });
    m.def("PositionalEncoding", [](std::int64_t d_model, std::int64_t max_len, double dropout, bool batch_first) -> LayerPtr {
        return std::make_shared<nn::PositionalEncoding>(d_model, max_len, dropout, batch_first);
    });

    // ---- sequence layers
    py::class_<nn::RecurrentBase, Layer, std::shared_ptr<nn::RecurrentBase>>(m, "RecurrentLayer")
        .def("forward_with_state",
             [](nn::RecurrentBase& l, const Tensor& x, const std::optional<Tensor>& h0, const std::optional<Tensor>& c0) {
                 nn::RecurrentOutput r;
                 {
                     py::gil_scoped_release nogil;
                     r = l.forward_with_state(x, opt(h0), opt(c0));
                 }
                 return py::make_tuple(r.output, r.h_n, r.c_n.defined() ? py::cast(r.c_n) : py::none());
             },
             py::arg("input"), py::arg("h0") = py::none(), py::arg("c0") = py::none());
    m.def("Recurrent", [](const std::string& type, std::int64_t input_size, std::int64_t hidden_size,
                          std::int64_t num_layers, const std::string& nonlinearity, bool bias, bool batch_first,
                          double dropout, bool bidirectional) -> std::shared_ptr<nn::RecurrentBase> {
        nn::RecurrentOptions o;
        o.input_size = input_size;
        o.hidden_size = hidden_size;
        o.num_layers = num_layers;
        o.nonlinearity = nonlinearity;
        o.bias = bias;
        o.batch_first = batch_first;
        o.dropout = dropout;
        o.bidirectional = bidirectional;
        if (type == "LSTM") return std::make_shared<nn::LSTM>(o);
        if (type == "GRU") return std::make_shared<nn::GRU>(o);
        NEURA_CHECK(type == "RNN", "unknown recurrent layer '", type, "'");
        return std::make_shared<nn::RNN>(o);
    });

    py::class_<nn::MultiheadAttention, Layer, std::shared_ptr<nn::MultiheadAttention>>(m, "MultiheadAttentionLayer")
        .def("attend",
             [](nn::MultiheadAttention& l, const Tensor& q, const Tensor& k, const Tensor& v,
                const std::optional<Tensor>& key_padding_mask, bool need_weights, const std::optional<Tensor>& attn_mask,
                bool average) {
                 nn::AttentionResult r;
                 {
                     py::gil_scoped_release nogil;
                     r = l.forward(q, k, v, opt(key_padding_mask), need_weights, opt(attn_mask), average);
                 }
                 return py::make_tuple(r.output, r.weights.defined() ? py::cast(r.weights) : py::none());
             });
    m.def("MultiheadAttention", [](std::int64_t embed_dim, std::int64_t num_heads, double dropout, bool bias,
                                   bool batch_first) {
        nn::MultiheadAttentionOptions o;
        o.embed_dim = embed_dim;
        o.num_heads = num_heads;
        o.dropout = dropout;
        o.bias = bias;
        o.batch_first = batch_first;
        return std::make_shared<nn::MultiheadAttention>(o);
    });

    py::class_<nn::TransformerEncoderLayer, Layer, std::shared_ptr<nn::TransformerEncoderLayer>>(m, "EncoderLayer")
        .def("encode",
             [](nn::TransformerEncoderLayer& l, const Tensor& src, const std::optional<Tensor>& mask,
                const std::optional<Tensor>& key_padding_mask) { return l.forward(src, opt(mask), opt(key_padding_mask)); },
             ReleaseGil());
    m.def("TransformerEncoderLayer", [](std::int64_t d_model, std::int64_t nhead, std::int64_t dim_feedforward,
                                        double dropout, const std::string& activation, double eps, bool batch_first,
                                        bool norm_first) {
        nn::TransformerEncoderLayerOptions o;
        o.d_model = d_model;
        o.nhead = nhead;
        o.dim_feedforward = dim_feedforward;
        o.dropout = dropout;
        o.activation = activation;
        o.layer_norm_eps = eps;
        o.batch_first = batch_first;
        o.norm_first = norm_first;
        return std::make_shared<nn::TransformerEncoderLayer>(o);
    });
}

}  // namespace neura::python
