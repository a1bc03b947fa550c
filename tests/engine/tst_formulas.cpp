// One formula per op (ops/Formulas.h, ops/OpList.h): the edge cases where the per-backend copies had
// drifted now equal PyTorch's values, and the CPU column of the op table is complete.
// Expected values: PyTorch 1.13 (Debian's python3-torch), printed by the lines quoted in each comment.
#include <QtTest>

#include <cmath>
#include <functional>
#include <limits>

#include "neura/neura.h"
#include "ops/Kernel.h"

using namespace neura;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Same values, NaN equal to NaN.
bool same(const std::vector<double>& got, const std::vector<double>& want) {
    if (got.size() != want.size()) return false;
    for (std::size_t i = 0; i < got.size(); ++i)
        if (!(got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i])))) return false;
    return true;
}
QByteArray str(const std::vector<double>& v) {
    QByteArray s = "[";
    for (double d : v) s += QByteArray::number(d, 'g', 17) + " ";
    return s + "]";
}
#define CHECK_VALUES(got, ...)                                                                   \
    do {                                                                                         \
        const std::vector<double> g_ = (got), w_ = __VA_ARGS__;                                  \
        QVERIFY2(same(g_, w_), "got " + str(g_) + ", PyTorch " + str(w_));                      \
    } while (0)
}  // namespace

class TestFormulas : public QObject {
    Q_OBJECT
private slots:
    void one_sided_integer_clamp_keeps_the_values() {
        // torch.clamp(torch.tensor([-3, 0, 5, 7]), min=0) -> tensor([0, 0, 5, 7]) (int64)
        const Tensor x = Tensor::from_vector(std::vector<std::int64_t>{-3, 0, 5, 7}, {4}, DType::I64);
        const Tensor lo = clamp(x, 0.0, std::nullopt);
        QCOMPARE(lo.dtype(), DType::I64);
        QCOMPARE(lo.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 0, 5, 7}));
        // torch.clamp(torch.tensor([-3, 0, 5, 7]), max=4) -> tensor([-3, 0, 4, 4])
        QCOMPARE(clamp(x, std::nullopt, 4.0).to_vector<std::int64_t>(), (std::vector<std::int64_t>{-3, 0, 4, 4}));
        // Extreme integers compare in double without passing through an infinite bound:
        // torch.clamp(torch.tensor([-2**62, 2**62]), min=-1) -> tensor([-1, 4611686018427387904])
        const std::int64_t big = std::int64_t{1} << 62;
        QCOMPARE(clamp(Tensor::from_vector(std::vector<std::int64_t>{-big, big}, {2}, DType::I64), -1.0, std::nullopt)
                     .to_vector<std::int64_t>(),
                 (std::vector<std::int64_t>{-1, big}));
        // torch.clamp(torch.tensor([1, 2, 3]), min=1.5) -> tensor([1.5000, 2.0000, 3.0000]) (float)
        const Tensor frac = clamp(Tensor::from_vector(std::vector<std::int64_t>{1, 2, 3}, {3}, DType::I64), 1.5,
                                  std::nullopt);
        QVERIFY(is_floating(frac.dtype()));
        CHECK_VALUES(frac.to_vector<double>(), {1.5, 2, 3});
    }

    void clamp_with_min_above_max_gives_max() {
        // torch.clamp(torch.tensor([0.5, 3, 1.5]), min=2, max=1) -> tensor([1., 1., 1.])
        for (DType dt : {DType::F32, DType::F64}) {
            Tensor x = Tensor::from_vector(std::vector<double>{0.5, 3, 1.5}, {3}, dt).requires_grad_();
            const Tensor y = clamp(x, 2.0, 1.0);
            CHECK_VALUES(y.to_vector<double>(), {1, 1, 1});
            // x.grad after clamp(x, 2, 1).sum().backward() -> tensor([0., 0., 0.])
            sum(y).backward();
            CHECK_VALUES(x.grad().to_vector<double>(), {0, 0, 0});
        }
        // torch.clamp(torch.tensor([nan, 1.]), min=0, max=0.5) -> tensor([nan, 0.5000])
        CHECK_VALUES(clamp(Tensor::from_vector(std::vector<double>{kNaN, 1}, {2}, DType::F64), 0.0, 0.5)
                         .to_vector<double>(),
                     {kNaN, 0.5});
    }

    void pow_gradient_at_zero_to_the_zero_is_zero() {
        // a = [0, 0, 2], b = [0, 1, 0]; torch.pow(a, b).sum().backward()
        // a.grad -> [0., 1., 0.], b.grad -> [0.0000, 0.0000, 0.6931]
        for (DType dt : {DType::F32, DType::F64}) {
            Tensor a = Tensor::from_vector(std::vector<double>{0, 0, 2}, {3}, dt).requires_grad_();
            Tensor b = Tensor::from_vector(std::vector<double>{0, 1, 0}, {3}, dt).requires_grad_();
            sum(pow(a, b)).backward();
            CHECK_VALUES(a.grad().to_vector<double>(), {0, 1, 0});
            const auto gb = b.grad().to_vector<double>();
            QCOMPARE(gb[0], 0.0);
            QCOMPARE(gb[1], 0.0);
            QVERIFY(std::abs(gb[2] - std::log(2.0)) < 1e-6);
        }
    }

    void nan_passes_relu_as_in_pytorch() {
        // torch.relu(torch.tensor([nan, -inf, inf, 0.])) -> tensor([nan, 0., inf, 0.])
        Tensor x = Tensor::from_vector(std::vector<double>{kNaN, -kInf, kInf, 0, -1, 1}, {6}, DType::F64).requires_grad_();
        const Tensor y = relu(x);
        CHECK_VALUES(y.to_vector<double>(), {kNaN, 0, kInf, 0, 0, 1});
        // x.grad after torch.relu(x).sum().backward() for x = [nan, -inf, inf, 0, -1, 1] -> [1, 0, 1, 0, 0, 1]
        sum(y).backward();
        CHECK_VALUES(x.grad().to_vector<double>(), {1, 0, 1, 0, 0, 1});
        // torch.sign(torch.tensor([nan, -inf, inf, 0.])) -> tensor([0., -1., 1., 0.])
        CHECK_VALUES(sign(Tensor::from_vector(std::vector<double>{kNaN, -kInf, kInf, 0}, {4}, DType::F64))
                         .to_vector<double>(),
                     {0, -1, 1, 0});
    }

    void first_order_only_ops_refuse_a_second_derivative() {
        // conv, pooling and the norms run backward kernels that record no graph: a second derivative
        // through them is an error naming the op (PyTorch's once_differentiable), never a silent zero.
        Generator gen(3);
        struct Case {
            const char* node;
            std::function<Tensor(const Tensor&)> f;
        };
        const Tensor w = Tensor::randn({2, 1, 2, 2}, DType::F64, &gen);
        const std::vector<Case> cases = {
            {"Conv2dBackward", [&](const Tensor& x) { return conv2d(x, w); }},
            {"MaxPool2dBackward", [](const Tensor& x) { return max_pool2d(x, {2, 2}); }},
            {"AvgPool2dBackward", [](const Tensor& x) { return avg_pool2d(x, {2, 2}); }},
            {"LayerNormBackward", [](const Tensor& x) { return layer_norm(x, {4}); }},
        };
        for (const auto& c : cases) {
            Tensor x = Tensor::randn({1, 1, 4, 4}, DType::F64, &gen).requires_grad_();
            const Tensor y = c.f(x);
            const Tensor loss = sum(y * y);
            // The first derivative under create_graph is the same as without it.
            const Tensor g1 = autograd::grad({loss}, {x}, {}, true, true)[0];
            const Tensor g0 = autograd::grad({sum(c.f(x) * c.f(x))}, {x})[0];
            QCOMPARE(g1.to_vector<double>(), g0.to_vector<double>());
            QVERIFY(g1.requires_grad());
            QString error;
            try {
                autograd::grad({sum(g1 * g1)}, {x});
            } catch (const Error& e) {
                error = e.what();
            }
            QVERIFY2(error.startsWith(QString(c.node) + " is differentiable once only"), qPrintable(error));
        }
    }

    void every_slot_has_its_cpu_kernel() {
        // This program holds the whole engine (tests/engine/extra.cmake), so every slot of the op table is
        // here; each must have its CPU kernel but the copies between the CPU and a device.
        QVERIFY(kernel_registry().size() > 40);
        for (KernelSlot* slot : kernel_registry()) {
            if (std::string(slot->name()) == "device_copy") continue;
            QVERIFY2(slot->has(DeviceType::CPU), slot->name());
        }
    }
};

QTEST_APPLESS_MAIN(TestFormulas)
#include "tst_formulas.moc"
