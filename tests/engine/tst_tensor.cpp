// Tensor creation, views, access, dtype rules and error messages.
#include <QtTest>

#include "common/TestSupport.h"

#include <sstream>

#include "neura/neura.h"

using namespace neura;

namespace {
using neura::test::error_of;
Tensor iota(const Shape& s, DType dt = DType::F32) {
    return Tensor::arange(0.0, static_cast<double>(shape_numel(s)), 1.0, dt).reshape(s);
}
}  // namespace

class TestTensor : public QObject {
    Q_OBJECT
private slots:
    void creation() {
        QCOMPARE(Tensor::zeros({2, 3}).to_vector<float>(), std::vector<float>(6, 0.0f));
        QCOMPARE(Tensor::ones({2}, DType::I64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 1}));
        QCOMPARE(Tensor::full({3}, 2.5, DType::F64).to_vector<double>(), (std::vector<double>{2.5, 2.5, 2.5}));
        QCOMPARE(Tensor::arange(5).to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
        QCOMPARE(Tensor::arange(1.0, 2.0, 0.25, DType::F64).to_vector<double>(),
                 (std::vector<double>{1.0, 1.25, 1.5, 1.75}));
        QCOMPARE(Tensor::linspace(0.0, 1.0, 5, DType::F64).to_vector<double>(),
                 (std::vector<double>{0.0, 0.25, 0.5, 0.75, 1.0}));
        QCOMPARE(Tensor::eye(3).to_vector<float>(), (std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
        const Tensor v = Tensor::from_vector(std::vector<int>{1, 2, 3, 4}, {2, 2}, DType::F64);
        QCOMPARE(v.dtype(), DType::F64);
        QCOMPARE(v.at<double>({1, 0}), 3.0);
        QCOMPARE(v.at<double>({-1, -1}), 4.0);
        QCOMPARE(Tensor::scalar(7.0).dim(), std::int64_t{0});
        QCOMPARE(Tensor::scalar(7.0).item<float>(), 7.0f);
        QVERIFY(error_of([] { Tensor::from_vector(std::vector<double>{1, 2, 3}, {2, 2}); }).contains("do not fill shape [2, 2]"));
        QVERIFY(error_of([&] { v.item<double>(); }).contains("4 elements"));
    }

    void random_is_seeded() {
        manual_seed(42);
        const auto a = Tensor::randn({100}).to_vector<float>();
        const auto r = Tensor::rand({100}).to_vector<float>();
        manual_seed(42);
        QCOMPARE(Tensor::randn({100}).to_vector<float>(), a);
        QCOMPARE(Tensor::rand({100}).to_vector<float>(), r);
        Generator g(7);
        const auto ints = Tensor::randint(3, 9, {1000}, &g).to_vector<std::int64_t>();
        for (auto i : ints) QVERIFY(i >= 3 && i < 9);
        double m = 0;
        for (float x : a) m += x;
        QVERIFY(std::abs(m / 100) < 0.35);  // mean of 100 N(0,1) draws: 3.5 sigma
        for (float x : r) QVERIFY(x >= 0.0f && x < 1.0f);
    }

    void views_share_storage() {
        Tensor x = iota({2, 3, 4});
        Tensor t = x.transpose(0, 2);
        QCOMPARE(t.shape(), (Shape{4, 3, 2}));
        QCOMPARE(t.strides(), (Shape{1, 4, 12}));
        QVERIFY(!t.is_contiguous());
        QCOMPARE(t.storage().get(), x.storage().get());
        QCOMPARE(t.at<float>({3, 2, 1}), x.at<float>({1, 2, 3}));
        Tensor p = x.permute({1, 2, 0});
        QCOMPARE(p.shape(), (Shape{3, 4, 2}));
        QCOMPARE(p.at<float>({2, 1, 1}), x.at<float>({1, 2, 1}));
        Tensor s = x.slice(2, 1, 4, 2);  // columns 1 and 3
        QCOMPARE(s.shape(), (Shape{2, 3, 2}));
        QCOMPARE(s.to_vector<float>()[1], 3.0f);
        QCOMPARE(x.narrow(1, 1, 2).shape(), (Shape{2, 2, 4}));
        QCOMPARE(x.select(0, 1).at<float>({0, 0}), 12.0f);
        QCOMPARE(x.slice(0, -1, 100).shape(), (Shape{1, 3, 4}));  // clamped like Python slicing
        Tensor col = iota({3, 1});
        Tensor e = col.expand({3, 4});
        QCOMPARE(e.strides(), (Shape{1, 0}));
        QCOMPARE(e.at<float>({2, 3}), 2.0f);
        QCOMPARE(x.unsqueeze(1).shape(), (Shape{2, 1, 3, 4}));
        QCOMPARE(x.unsqueeze(-1).shape(), (Shape{2, 3, 4, 1}));
        QCOMPARE(x.unsqueeze(1).squeeze(1).shape(), x.shape());
        QCOMPARE(iota({1, 3, 1}).squeeze().shape(), (Shape{3}));
        QCOMPARE(x.flatten().shape(), (Shape{24}));
        QCOMPARE(x.flatten(1).shape(), (Shape{2, 12}));
        QCOMPARE(x.view({-1, 4}).shape(), (Shape{6, 4}));
        // A write through a view is seen by the base (and bumps the shared version).
        const auto v0 = x.version();
        x.select(0, 0).select(0, 0).fill_(100.0);
        QCOMPARE(x.at<float>({0, 0, 3}), 100.0f);
        QVERIFY(x.version() > v0);
    }

    void reshape_copies_only_when_needed() {
        Tensor x = iota({3, 4});
        QCOMPARE(x.reshape({4, 3}).storage().get(), x.storage().get());
        Tensor t = x.t();
        Tensor r = t.reshape({12});
        QVERIFY(r.storage().get() != x.storage().get());
        QCOMPARE(r.to_vector<float>()[1], 4.0f);  // t is column-major reading of x
        QVERIFY(error_of([&] { t.view({12}); }).contains("not contiguous"));
        Tensor c = t.contiguous();
        QVERIFY(c.is_contiguous());
        QCOMPARE(c.to_vector<float>(), r.to_vector<float>());
        Tensor k = x.clone();
        QVERIFY(k.storage().get() != x.storage().get());
        QCOMPARE(k.to_vector<float>(), x.to_vector<float>());
    }

    void dtype_conversion_and_promotion() {
        Tensor i = Tensor::from_vector(std::vector<std::int64_t>{1, 2, 3}, {3});
        QCOMPARE(i.dtype(), DType::I64);
        QCOMPARE((i * 0.5).dtype(), DType::F32);  // int * fractional scalar → float, as PyTorch
        QCOMPARE((i * 2.0).dtype(), DType::I64);
        QCOMPARE((i + Tensor::ones({3}, DType::F64)).dtype(), DType::F64);
        QCOMPARE(exp(i).dtype(), DType::F32);
        QCOMPARE(Tensor::full({2}, 2.7).to(DType::I64).to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 2}));
        const Tensor mask = gt(iota({4}), Tensor::scalar(1.5));
        QCOMPARE(mask.dtype(), DType::I64);
        QCOMPARE(mask.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 0, 1, 1}));
        QVERIFY(error_of([&] { i.requires_grad_(); }).contains("floating-point"));
    }

    void ops_on_views() {
        Tensor x = iota({3, 4}, DType::F64);
        Tensor t = x.t();  // [4, 3]
        QCOMPARE(sum(t, {1}).to_vector<double>(), (std::vector<double>{12, 15, 18, 21}));
        QCOMPARE((t + 1.0).at<double>({3, 2}), 12.0);
        Tensor m = matmul(t, x);  // x^T x
        QCOMPARE(m.at<double>({0, 0}), 0.0 * 0 + 4.0 * 4 + 8.0 * 8);
        QCOMPARE(m.at<double>({1, 2}), 1.0 * 2 + 5.0 * 6 + 9.0 * 10);
        QCOMPARE(cat({x, x.slice(0, 0, 1)}, 0).shape(), (Shape{4, 4}));
        QCOMPARE(stack({x, x}, 0).shape(), (Shape{2, 3, 4}));
        auto [values, idx] = max(x, 0);
        QCOMPARE(values.to_vector<double>(), (std::vector<double>{8, 9, 10, 11}));
        QCOMPARE(idx.to_vector<std::int64_t>(), (std::vector<std::int64_t>{2, 2, 2, 2}));
        QCOMPARE(argmax(x, 1).to_vector<std::int64_t>(), (std::vector<std::int64_t>{3, 3, 3}));
        QCOMPARE(one_hot(Tensor::from_vector(std::vector<std::int64_t>{2, 0}, {2})).to_vector<std::int64_t>(),
                 (std::vector<std::int64_t>{0, 0, 1, 1, 0, 0}));
    }

    void large_tensors_use_the_parallel_paths() {
        // Past the parallel grain, results must equal the serial ones (checked against closed forms).
        const std::int64_t n = 300000;
        Tensor x = Tensor::arange(0.0, static_cast<double>(n), 1.0, DType::F64);
        QCOMPARE(sum(x).item<double>(), static_cast<double>(n) * (n - 1) / 2);
        Tensor y = (x * 2.0 + 1.0).reshape({600, 500});
        QCOMPARE(sum(y.t().contiguous(), {1}).at<double>({7}), sum(y.slice(1, 7, 8)).item<double>());
        QCOMPARE(max(y).item<double>(), 2.0 * (n - 1) + 1);
        Tensor a = Tensor::ones({300, 200});
        Tensor b = Tensor::ones({200, 100});
        Tensor c = matmul(a, b);
        QCOMPARE(c.at<float>({299, 99}), 200.0f);
    }

    void clear_errors_with_shapes() {
        Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 3});
        QString msg = error_of([&] { a + b; });
        QVERIFY2(msg.contains("[2, 3]") && msg.contains("[4, 3]") && msg.contains("broadcast"), qPrintable(msg));
        msg = error_of([&] { matmul(a, b); });
        QVERIFY2(msg.contains("matmul") && msg.contains("3 columns vs 4 rows"), qPrintable(msg));
        msg = error_of([&] { sum(a, {2}); });
        QVERIFY2(msg.contains("dimension 2 is out of range"), qPrintable(msg));
        msg = error_of([&] { a.view({5}); });
        QVERIFY2(msg.contains("invalid for a tensor of 6 elements"), qPrintable(msg));
        msg = error_of([&] { cat({a, Tensor::zeros({2, 3, 1})}); });
        QVERIFY2(msg.contains("cat"), qPrintable(msg));
        msg = error_of([&] { index_select(a, 0, Tensor::from_vector(std::vector<std::int64_t>{5}, {1})); });
        QVERIFY2(msg.contains("index 5 is out of range for dimension 0 of size 2"), qPrintable(msg));
        msg = error_of([&] { index_select(a, 0, Tensor::zeros({1})); });
        QVERIFY2(msg.contains("int64"), qPrintable(msg));
        msg = error_of([&] { a.to(Device::cuda(99)); });  // no machine has 100 GPUs
        QVERIFY2(msg.contains("cuda:99") && msg.contains("not available"), qPrintable(msg));
        msg = error_of([&] { Device::parse("cuda:99999999999999"); });
        QVERIFY2(msg.contains("out of range"), qPrintable(msg));
        msg = error_of([&] { Device::parse("gpu"); });
        QVERIFY2(msg.contains("expected cpu, cuda or cuda:N"), qPrintable(msg));
        msg = error_of([&] { a.data<double>(); });
        QVERIFY2(msg.contains("float32"), qPrintable(msg));
    }

    void sizes_that_overflow_are_errors() {
        // Sizes come from files: a product past 2^63 elements, bytes or strides is an error, never a
        // wrapped count (the last one found by fuzzing: [0, 2^40, 2^40] holds nothing yet cannot index).
        const std::int64_t big = std::int64_t{1} << 40;
        QString msg = error_of([&] { shape_numel({big, big}); });
        QVERIFY2(msg.contains("[1099511627776, 1099511627776]") && msg.contains("more elements than a 64-bit count"),
                 qPrintable(msg));
        msg = error_of([&] { Tensor::empty({std::int64_t{1} << 31, std::int64_t{1} << 31}, DType::F64); });
        QVERIFY2(msg.contains("needs more bytes than a 64-bit size holds"), qPrintable(msg));
        msg = error_of([&] { Tensor::empty({0, big, big}); });
        QVERIFY2(msg.contains("has strides past 2^63"), qPrintable(msg));
        QCOMPARE(shape_numel({0, big, big}), std::int64_t{0});
        QCOMPARE(Tensor::empty({0, 1 << 20, 1 << 20}).numel(), std::int64_t{0});  // fits: an empty tensor
    }

    void printing() {
        std::ostringstream os;
        os << Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}, DType::F64);
        QCOMPARE(QString::fromStdString(os.str()), QString("tensor([[1, 2],\n [3, 4]], shape=[2, 2], dtype=float64)"));
        std::ostringstream big;
        big << Tensor::arange(20);
        QVERIFY(QString::fromStdString(big.str()).contains("[0, 1, 2, ..., 17, 18, 19]"));
        std::ostringstream g;
        Tensor x = Tensor::ones({1}).requires_grad_();
        g << x * 2.0;
        QVERIFY(QString::fromStdString(g.str()).contains("grad_fn=MulBackward"));
    }
};

QTEST_APPLESS_MAIN(TestTensor)
#include "tst_tensor.moc"
