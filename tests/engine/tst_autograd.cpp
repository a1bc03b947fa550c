// Named autograd regression tests (the list), each checked against values worked out by hand
// or against PyTorch's documented behaviour.
#include <QtTest>

#include "common/TestSupport.h"

#include <cmath>
#include <limits>

#include "neura/autograd/GradNode.h"
#include "neura/neura.h"

using namespace neura;

namespace {
Tensor vec(std::vector<double> v, DType dt = DType::F64) {
    const auto n = static_cast<std::int64_t>(v.size());
    return Tensor::from_vector(v, {n}, dt);
}
bool all_finite(const Tensor& t) {
    for (double v : t.to_vector<double>())
        if (!std::isfinite(v)) return false;
    return true;
}
using neura::test::error_of;
}  // namespace

class TestAutograd : public QObject {
    Q_OBJECT
private slots:
    void diamond_graph_accumulates_both_paths() {
        // y = x*x + 3x with x used on two paths: dy/dx = 2x + 3.
        Tensor x = vec({1.0, -2.0, 0.5}).requires_grad_();
        Tensor a = x * x;
        Tensor b = x * 3.0;
        sum(a + b).backward();
        QCOMPARE(x.grad().to_vector<double>(), (std::vector<double>{5.0, -1.0, 4.0}));
    }

    void backward_twice_needs_retain_graph() {
        Tensor x = vec({2.0}).requires_grad_();
        Tensor y = sum(exp(x));  // exp saves its output
        y.backward({}, /*retain_graph=*/true);
        y.backward();
        QCOMPARE(x.grad().item<double>(), 2.0 * std::exp(2.0));  // accumulated twice
        const QString msg = error_of([&] { y.backward(); });
        QVERIFY2(msg.contains("second time"), qPrintable(msg));
    }

    void grad_accumulates_until_zero_grad() {
        Tensor x = vec({1.0, 2.0}).requires_grad_();
        sum(x * x).backward();
        sum(x * x).backward();
        QCOMPARE(x.grad().to_vector<double>(), (std::vector<double>{4.0, 8.0}));
        x.zero_grad();
        QVERIFY(!x.grad().defined());
        sum(x).backward();
        QCOMPARE(x.grad().to_vector<double>(), (std::vector<double>{1.0, 1.0}));
    }

    void broadcast_patterns_sum_back_to_input_shape() {
        struct Case {
            Shape a, b;
        };
        const Case cases[] = {{{3, 4}, {4}}, {{3, 4}, {3, 1}}, {{3, 1}, {1, 4}}, {{2, 3, 4}, {3, 1}},
                              {{}, {2, 3}}, {{2, 1, 4}, {3, 1}}, {{1}, {5}}};
        for (const auto& c : cases) {
            Tensor a = Tensor::ones(c.a, DType::F64).requires_grad_();
            Tensor b = Tensor::ones(c.b, DType::F64).requires_grad_();
            Tensor y = a * b;
            sum(y).backward();
            QCOMPARE(a.grad().shape(), c.a);
            QCOMPARE(b.grad().shape(), c.b);
            // Every element of a was used numel(y)/numel(a) times, each with weight b = 1.
            const double ra = static_cast<double>(y.numel()) / static_cast<double>(a.numel());
            const double rb = static_cast<double>(y.numel()) / static_cast<double>(b.numel());
            for (double v : a.grad().to_vector<double>()) QCOMPARE(v, ra);
            for (double v : b.grad().to_vector<double>()) QCOMPARE(v, rb);
        }
    }

    void transposed_and_expanded_inputs() {
        Tensor w = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3}, DType::F64).requires_grad_();
        Tensor wt = w.t();  // [3, 2], not contiguous
        QVERIFY(!wt.is_contiguous());
        Tensor x = Tensor::from_vector(std::vector<double>{1, 1, 1}, {1, 3}, DType::F64);
        Tensor y = matmul(x, wt);  // [1, 2] = row sums of w
        QCOMPARE(y.to_vector<double>(), (std::vector<double>{6.0, 15.0}));
        sum(y).backward();
        QCOMPARE(w.grad().to_vector<double>(), (std::vector<double>(6, 1.0)));

        Tensor v = vec({1.0, 2.0}).requires_grad_();
        Tensor e = v.unsqueeze(0).expand({3, 2});  // stride 0 on dim 0
        QCOMPARE(e.strides()[0], std::int64_t{0});
        sum(e * e).backward();
        QCOMPARE(v.grad().to_vector<double>(), (std::vector<double>{6.0, 12.0}));  // 3 rows * 2v
    }

    void inplace_after_save_raises() {
        Tensor x = vec({1.0, 2.0}).requires_grad_();
        Tensor a = x * 2.0;
        Tensor b = a * a;             // saves a
        a.detach().add_(1.0);         // same storage: the version moves on
        const QString msg = error_of([&] { sum(b).backward(); });
        QVERIFY2(msg.contains("modified by an in-place operation"), qPrintable(msg));
        QVERIFY2(msg.contains("MulBackward"), qPrintable(msg));
    }

    void inplace_on_tracked_tensor_is_refused() {
        Tensor x = vec({1.0}).requires_grad_();
        const QString msg = error_of([&] { x.add_(1.0); });
        QVERIFY2(msg.contains("in-place") && msg.contains("requires grad"), qPrintable(msg));
        {
            NoGradGuard ng;  // what optimizers do
            x.add_(1.0);
        }
        QCOMPARE(x.item<double>(), 2.0);
        QCOMPARE(x.version(), 1u);
    }

    void where_with_nan_in_unused_branch_gives_no_nan_gradient() {
        // b = log(x) is NaN where x < 0; where() picks a there, so neither the value nor any gradient
        // may become NaN (a mask product like c*a + (1-c)*b would give NaN * 0 = NaN).
        Tensor x = vec({-1.0, 2.0, -3.0, 4.0}).requires_grad_();
        Tensor a = vec({10.0, 20.0, 30.0, 40.0}).requires_grad_();
        Tensor b = log(x);
        QVERIFY(std::isnan(b.to_vector<double>()[0]));
        Tensor cond = gt(x, Tensor::scalar(0.0, DType::F64));
        Tensor y = where(cond, b, a);
        QCOMPARE(y.to_vector<double>()[0], 10.0);
        QVERIFY(all_finite(y));
        sum(y * 2.0).backward();
        QVERIFY(all_finite(x.grad()));
        QVERIFY(all_finite(a.grad()));
        QCOMPARE(a.grad().to_vector<double>(), (std::vector<double>{2.0, 0.0, 2.0, 0.0}));
        QCOMPARE(x.grad().to_vector<double>(), (std::vector<double>{0.0, 1.0, 0.0, 0.5}));  // 2 / x
    }

    void softmax_and_log_softmax_stay_finite_for_huge_logits() {
        for (DType dt : {DType::F32, DType::F64}) {
            Tensor x = Tensor::from_vector(std::vector<double>{1e4, -1e4, 0.0, 1e4 - 1.0}, {1, 4}, dt).requires_grad_();
            Tensor p = softmax(x, 1);
            Tensor lp = log_softmax(x, 1);
            QVERIFY(all_finite(p));
            QVERIFY(all_finite(lp));
            const auto pv = p.to_vector<double>();
            QVERIFY(std::abs(pv[0] - 1.0 / (1.0 + std::exp(-1.0))) < 1e-6);
            QCOMPARE(pv[1], 0.0);
            QVERIFY(std::abs(lp.to_vector<double>()[1] - (-2e4 - std::log1p(std::exp(-1.0)))) < 1e-2);
            sum(lp * Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {1, 4}, dt)).backward();
            QVERIFY(all_finite(x.grad()));
        }
    }

    void ties_in_max() {
        // Full max(): the gradient is shared evenly among ties (PyTorch's amax/max() rule).
        Tensor x = vec({1.0, 3.0, 3.0, 2.0}).requires_grad_();
        max(x).backward();
        QCOMPARE(x.grad().to_vector<double>(), (std::vector<double>{0.0, 0.5, 0.5, 0.0}));
        // max(dim): the first maximal index takes it all (PyTorch's CPU kernel picks the first).
        Tensor y = Tensor::from_vector(std::vector<double>{3, 1, 3, 2, 2, 0}, {2, 3}, DType::F64).requires_grad_();
        auto [values, indices] = max(y, 1);
        QCOMPARE(indices.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 0}));
        sum(values).backward();
        QCOMPARE(y.grad().to_vector<double>(), (std::vector<double>{1, 0, 0, 1, 0, 0}));
        // maximum(a, b) on a tie: half to each (PyTorch 1.13).
        Tensor a = vec({2.0}).requires_grad_(), b = vec({2.0}).requires_grad_();
        sum(maximum(a, b)).backward();
        QCOMPARE(a.grad().item<double>(), 0.5);
        QCOMPARE(b.grad().item<double>(), 0.5);
    }

    void subgradients_at_zero_are_documented_values() {
        // relu'(0) = 0, abs'(0) = 0 (sign(0)), sqrt'(0) = +inf: the same as PyTorch, and never NaN.
        Tensor x = vec({0.0}).requires_grad_();
        relu(x).backward();
        QCOMPARE(x.grad().item<double>(), 0.0);
        x.zero_grad();
        abs(x).backward();
        QCOMPARE(x.grad().item<double>(), 0.0);
        x.zero_grad();
        sum(sqrt(x)).backward();
        QVERIFY(std::isinf(x.grad().item<double>()) && x.grad().item<double>() > 0);
        x.zero_grad();
        leaky_relu(x, 0.2).backward();
        QCOMPARE(x.grad().item<double>(), 0.2);  // PyTorch: x > 0 ? 1 : slope
        x.zero_grad();
        clamp(x, 0.0, 1.0).backward();           // bounds are inside: gradient 1
        QCOMPARE(x.grad().item<double>(), 1.0);
    }

    void double_backward_of_cube() {
        Tensor x = vec({2.0}).requires_grad_();
        Tensor y = sum(x * x * x);
        auto g = autograd::grad({y}, {x}, {}, true, /*create_graph=*/true);
        QCOMPARE(g[0].item<double>(), 12.0);  // 3x^2
        auto gg = autograd::grad({sum(g[0])}, {x});
        QCOMPARE(gg[0].item<double>(), 12.0);  // 6x
    }

    void grad_does_not_touch_leaf_grads() {
        Tensor x = vec({1.0, 2.0}).requires_grad_();
        auto g = autograd::grad({sum(x * x)}, {x});
        QCOMPARE(g[0].to_vector<double>(), (std::vector<double>{2.0, 4.0}));
        QVERIFY(!x.grad().defined());
        Tensor unused = vec({1.0}).requires_grad_();
        QVERIFY(error_of([&] { autograd::grad({sum(x)}, {unused}); }).contains("not used"));
        auto u = autograd::grad({sum(x)}, {unused}, {}, false, false, /*allow_unused=*/true);
        QVERIFY(!u[0].defined());
    }

    void no_grad_guard_records_nothing() {
        Tensor x = vec({1.0}).requires_grad_();
        Tensor y;
        {
            NoGradGuard ng;
            y = x * 2.0;
        }
        QVERIFY(!y.requires_grad());
        QVERIFY(!y.grad_fn());
        QVERIFY(error_of([&] { y.backward(); }).contains("does not require grad"));
    }

    void detach_cuts_history_but_shares_memory() {
        Tensor x = vec({1.0, 2.0}).requires_grad_();
        Tensor y = x * 3.0;
        Tensor d = y.detach();
        QVERIFY(!d.requires_grad());
        QCOMPARE(d.storage().get(), y.storage().get());
        Tensor z = sum(d * x);  // only the x path carries gradient
        z.backward();
        QCOMPARE(x.grad().to_vector<double>(), (std::vector<double>{3.0, 6.0}));
    }

    void non_scalar_backward_needs_gradient() {
        Tensor x = vec({1.0, 2.0}).requires_grad_();
        Tensor y = x * 2.0;
        QVERIFY(error_of([&] { y.backward(); }).contains("scalar"));
        y.backward(vec({1.0, 10.0}));
        QCOMPARE(x.grad().to_vector<double>(), (std::vector<double>{2.0, 20.0}));
    }

    void retain_grad_on_intermediate() {
        Tensor x = vec({1.0, 2.0}).requires_grad_();
        Tensor h = x * 3.0;
        h.retain_grad();
        sum(h * h).backward();
        QCOMPARE(h.grad().to_vector<double>(), (std::vector<double>{6.0, 12.0}));
        QCOMPARE(x.grad().to_vector<double>(), (std::vector<double>{18.0, 36.0}));
    }

    void gradcheck_catches_a_wrong_backward() {
        // A deliberately wrong formula: claims d/dx x^2 = x (should be 2x).
        auto wrong_square = [](const std::vector<Tensor>& in) {
            Tensor x = in[0];
            Tensor y = x.detach() * x.detach();
            Tensor out;
            {
                // (x*x).detach() plus x*c - (x*c).detach(): value x^2, gradient c = x.
                Tensor c = x.detach();
                out = y + (x * c - (x * c).detach());
            }
            return std::vector<Tensor>{out};
        };
        Tensor x = vec({0.5, -1.5, 2.0}).requires_grad_();
        const auto bad = autograd::gradcheck(wrong_square, {x});
        QVERIFY(!bad.passed);
        QVERIFY(bad.message.find("mismatch") != std::string::npos);
        QCOMPARE(bad.inputs.size(), std::size_t{1});
        QVERIFY(bad.inputs[0].max_abs_error > 0.4);  // |x - 2x| at x = -1.5 or 2.0
        QCOMPARE(bad.inputs[0].worst_index, std::int64_t{2});
        const auto good = autograd::gradcheck([](const std::vector<Tensor>& in) {
            return std::vector<Tensor>{in[0] * in[0]};
        }, {x});
        QVERIFY2(good.passed, good.message.c_str());
        QVERIFY(good.inputs[0].max_abs_error < 1e-6);
    }

    void unbind_is_one_node_with_stacked_gradients() {
        // torch.unbind: the slices as views; some slices unused (their gradient is zero).
        const Tensor x = Tensor::randn({4, 3, 2}, DType::F64).requires_grad_();
        const std::vector<Tensor> parts = unbind(x, 1);
        QCOMPARE(parts.size(), std::size_t{3});
        for (std::int64_t i = 0; i < 3; ++i) {
            QCOMPARE(parts[static_cast<std::size_t>(i)].shape(), (Shape{4, 2}));
            QCOMPARE(parts[static_cast<std::size_t>(i)].to_vector<double>(), x.select(1, i).to_vector<double>());
            QCOMPARE(parts[static_cast<std::size_t>(i)].grad_fn()->name(), std::string("UnbindBackward"));
        }
        QVERIFY(parts[0].grad_fn() == parts[2].grad_fn());  // one node for all slices
        sum(parts[0] * 2.0 + parts[2] * parts[2]).backward();
        const Tensor want = stack({Tensor::full({4, 2}, 2.0, DType::F64), Tensor::zeros({4, 2}, DType::F64),
                                   x.select(1, 2).detach() * 2.0},
                                  1);
        QCOMPARE(x.grad().to_vector<double>(), want.to_vector<double>());
        autograd::GradcheckOptions o;
        o.check_double_backward = true;
        const auto r = autograd::gradcheck([](const std::vector<Tensor>& in) {
            const std::vector<Tensor> p = unbind(in[0], -1);
            return std::vector<Tensor>{p[0] * p[1], tanh(p[1])};
        }, {Tensor::randn({3, 2}, DType::F64).requires_grad_()}, o);
        QVERIFY2(r.passed, r.message.c_str());
        QVERIFY(!error_of([] { unbind(Tensor::full({}, 1.0)); }).isEmpty());
        QVERIFY(unbind(Tensor::zeros({0, 3}), 0).empty());
    }

    void gradcheck_samples_large_inputs() {
        Tensor x = Tensor::randn({40, 30}, DType::F64).requires_grad_();
        autograd::GradcheckOptions o;
        o.max_elements = 25;
        const auto r = autograd::gradcheck([](const std::vector<Tensor>& in) {
            return std::vector<Tensor>{sum(tanh(in[0]), {1})};
        }, {x}, o);
        QVERIFY(r.passed);
        QCOMPARE(r.inputs[0].checked_elements, std::int64_t{25});
    }
};

QTEST_APPLESS_MAIN(TestAutograd)
#include "tst_autograd.moc"
