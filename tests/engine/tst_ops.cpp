// Drives every case of the op table (OpTable.h) through the same checks.
#include <QtTest>

#include "common/TestSupport.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/OpTable.h"

using namespace neura;
using neura::test::op_table;
using nlohmann::json;

namespace {

const json& fixtures() { return neura::test::fixture("ops_reference.json"); }

enum class Layout { Contiguous, Transposed, Sliced };

// Same values, other memory layout: a transposed copy viewed back, or every second element of a buffer.
Tensor with_layout(const Tensor& t, Layout layout) {
    NoGradGuard ng;
    if (layout == Layout::Transposed && t.dim() >= 2) {
        Tensor r = t.transpose(-1, -2).contiguous().transpose(-1, -2);
        if (!r.is_contiguous() || t.size(-1) == 1 || t.size(-2) == 1) return r;
        return r;
    }
    if (layout == Layout::Sliced && t.dim() >= 1) {
        Shape big = t.shape();
        big.back() *= 2;
        Tensor buf = Tensor::full(big, 99.0, t.dtype());
        Tensor view = buf.slice(-1, 0, big.back(), 2);
        view.copy_(t);
        return view;
    }
    return t.clone();
}

std::vector<Tensor> make_inputs(const json& c, DType dtype, Layout layout, bool requires_grad) {
    std::vector<Tensor> out;
    for (const auto& in : c["inputs"]) {
        const Shape shape = in["shape"].get<Shape>();
        Tensor t;
        if (in["dtype"] == "float") {
            t = with_layout(Tensor::from_vector(in["values"].get<std::vector<double>>(), shape, dtype), layout);
            if (requires_grad) t.requires_grad_();
        } else {
            t = Tensor::from_vector(in["values"].get<std::vector<std::int64_t>>(), shape, DType::I64);
        }
        out.push_back(t);
    }
    return out;
}

void compare(const std::vector<double>& got, const std::vector<double>& want, double tol, const QString& what) {
    QVERIFY2(got.size() == want.size(),
             qPrintable(QString("%1: %2 values, expected %3").arg(what).arg(got.size()).arg(want.size())));
    for (std::size_t i = 0; i < got.size(); ++i) {
        const bool ok = std::abs(got[i] - want[i]) <= tol * (1.0 + std::abs(want[i])) ||
                        (std::isnan(got[i]) && std::isnan(want[i]));
        QVERIFY2(ok, qPrintable(QString("%1[%2]: got %3, PyTorch %4").arg(what).arg(i).arg(got[i], 0, 'g', 17)
                                    .arg(want[i], 0, 'g', 17)));
    }
}

const neura::test::OpCase& find_case(const QString& name) {
    for (const auto& c : op_table())
        if (QString::fromStdString(c.name) == name) return c;
    qFatal("no such case");
}

}  // namespace

class TestOps : public QObject {
    Q_OBJECT
private slots:
    void table_matches_fixtures() {
        std::set<std::string> cpp, py;
        for (const auto& c : op_table()) QVERIFY2(cpp.insert(c.name).second, c.name.c_str());
        for (const auto& [name, _] : fixtures()["cases"].items()) py.insert(name);
        for (const auto& n : cpp) QVERIFY2(py.count(n), qPrintable(QString("no PyTorch fixture for ") + n.c_str()));
        for (const auto& n : py) QVERIFY2(cpp.count(n), qPrintable(QString("fixture without a C++ case: ") + n.c_str()));
    }

    void every_public_op_is_in_the_table() {
        // The ops of the public API, by the case-name prefix that covers them.
        const char* ops[] = {"neg", "exp", "log", "sqrt", "abs", "sin", "cos", "erf", "relu", "leaky_relu",
                             "sigmoid", "tanh", "gelu", "clamp", "pow", "softmax", "log_softmax", "add", "sub",
                             "mul", "div", "maximum", "minimum", "where", "gt", "le", "eq", "sum", "mean", "var",
                             "max", "min", "argmax", "argmin", "matmul", "cat", "stack", "index_select", "gather",
                             "one_hot", "transpose", "permute", "slice", "narrow", "select", "expand", "squeeze",
                             "unsqueeze", "flatten", "reshape", "t", "clone", "to_", "conv2d", "max_pool2d", "avg_pool2d",
                             "adaptive_avg_pool2d", "batch_norm", "layer_norm", "embedding", "dropout"};
        for (const char* op : ops) {
            bool found = false;
            for (const auto& c : op_table()) found |= c.name.rfind(op, 0) == 0;
            QVERIFY2(found, op);
        }
    }

    void matches_pytorch_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("dtype");
        QTest::addColumn<int>("layout");
        const char* layouts[] = {"contiguous", "transposed", "sliced"};
        for (const auto& c : op_table())
            for (int dt : {int(DType::F64), int(DType::F32)})
                for (int l = 0; l < 3; ++l)
                    QTest::addRow("%s/%s/%s", c.name.c_str(), dt == int(DType::F64) ? "f64" : "f32", layouts[l])
                        << QString::fromStdString(c.name) << dt << l;
    }
    void matches_pytorch() {
        QFETCH(QString, name);
        QFETCH(int, dtype);
        QFETCH(int, layout);
        const auto& op = find_case(name);
        const json& c = fixtures()["cases"][name.toStdString()];
        const DType dt = static_cast<DType>(dtype);
        const json& ref = c[dt == DType::F64 ? "f64" : "f32"];
        const double tol = dt == DType::F64 ? 1e-6 : 1e-5;
        const bool differentiable = ref.contains("grads");
        auto inputs = make_inputs(c, dt, static_cast<Layout>(layout), differentiable);
        Tensor out = op.fn(inputs);
        QCOMPARE(out.shape(), ref["output"]["shape"].get<Shape>());
        compare(out.to_vector<double>(), ref["output"]["values"].get<std::vector<double>>(), tol, "output");
        if (!differentiable) {
            QVERIFY(!out.requires_grad());
            return;
        }
        const Tensor w = Tensor::from_vector(ref["grad_output"].get<std::vector<double>>(), out.shape(), out.dtype());
        out.backward(w);
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            if (ref["grads"][i].is_null()) continue;
            QVERIFY2(inputs[i].grad().defined(), qPrintable(QString("no gradient for input %1").arg(i)));
            QCOMPARE(inputs[i].grad().shape(), inputs[i].shape());
            compare(inputs[i].grad().to_vector<double>(), ref["grads"][i].get<std::vector<double>>(), tol,
                    QString("grad of input %1").arg(i));
        }
    }

    void gradcheck_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("layout");
        const char* layouts[] = {"contiguous", "transposed", "sliced", "expanded"};
        for (const auto& c : op_table()) {
            if (!fixtures()["cases"][c.name]["f64"].contains("grads") || !c.gradcheck) continue;
            for (int l = 0; l < 4; ++l)
                QTest::addRow("%s/%s", c.name.c_str(), layouts[l]) << QString::fromStdString(c.name) << l;
        }
    }
    void gradcheck() {
        QFETCH(QString, name);
        QFETCH(int, layout);
        const auto& op = find_case(name);
        const json& c = fixtures()["cases"][name.toStdString()];
        const bool expanded = layout == 3;
        auto inputs = make_inputs(c, DType::F64, expanded ? Layout::Contiguous : static_cast<Layout>(layout), true);
        // Expanded: each float input of size > 1 in dim 0 becomes its first row, broadcast back by expand().
        std::vector<Shape> full_shapes;
        for (auto& t : inputs) {
            full_shapes.push_back(t.shape());
            if (expanded && t.requires_grad() && t.dim() >= 1 && t.size(0) > 1)
                t = t.detach().narrow(0, 0, 1).contiguous().requires_grad_();
        }
        auto fn = [&](const std::vector<Tensor>& xs) {
            std::vector<Tensor> in = xs;
            for (std::size_t i = 0; i < in.size(); ++i)
                if (in[i].shape() != full_shapes[i]) in[i] = in[i].expand(full_shapes[i]);
            return std::vector<Tensor>{op.fn(in)};
        };
        autograd::GradcheckOptions opts;
        opts.check_double_backward = op.double_backward;
        const auto r = autograd::gradcheck(fn, inputs, opts);
        QVERIFY2(r.passed, r.message.c_str());
        for (const auto& t : r.inputs) QVERIFY(t.checked_elements > 0);
    }
};

QTEST_APPLESS_MAIN(TestOps)
#include "tst_ops.moc"
