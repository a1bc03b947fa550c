// The CUDA backend against the CPU, driven by the one op table (tests/engine/OpTable.h) and its one sample
// builder (tests/engine/OpSamples.h): every sample of every case in each dtype the case declares, on
// contiguous, transposed and sliced inputs made on the GPU; outputs and gradients within 1e-4 relative
// (with a floor of 1, as tst_ops), int64 outputs exactly, NaN and infinities where the CPU has them. Without a GPU: device discovery, the
// errors a missing device or kernel gives, and that the op table has a CUDA kernel for every op.
#include <QtTest>

#include "common/TestSupport.h"
#include "cuda/CudaTest.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/OpSamples.h"
#include "neura/neura.h"
#include "ops/Kernel.h"
#include "ops/KernelSignatures.h"

using namespace neura;
using neura::test::error_of;
using neura::test::op_table;
using nlohmann::json;

namespace {

constexpr double kTol = 1e-4;

const neura::test::OpCase& find_case(const QString& name) {
    for (const auto& c : op_table())
        if (QString::fromStdString(c.name) == name) return c;
    qFatal("no such case");
}

void unary_cpu_only(const Tensor&, const Tensor&, double, double) {}

}  // namespace

class TestParity : public QObject {
    Q_OBJECT
private slots:
    // ---------------------------------------------------------------- without a GPU
    void devices_or_the_reason_there_are_none() {
        const int n = cuda::device_count();
        QVERIFY(n >= 0);
        QCOMPARE(static_cast<int>(cuda::devices().size()), n);
        if (n == 0) {
            QVERIFY(!cuda::unavailable_reason().empty());
            QVERIFY2(QString::fromStdString(cuda::describe_devices()).contains(cuda::unavailable_reason().c_str()),
                     cuda::describe_devices().c_str());
            if (!cuda::built_with_cuda()) QCOMPARE(cuda::unavailable_reason(), std::string("built without CUDA"));
        } else {
            QVERIFY(cuda::unavailable_reason().empty());
            for (const auto& d : cuda::devices()) QVERIFY(!d.name.empty() && d.total_memory > 0);
        }
    }

    void unavailable_devices_are_clear_errors() {
        const Tensor x = Tensor::ones({2, 3});
        QString msg = error_of([&] { x.to(Device::cuda(99)); });
        QVERIFY2(msg.contains("cuda:99") && msg.contains("not available"), qPrintable(msg));
        if (neura::test::have_gpu()) return;
        const QString reason = QString::fromStdString(cuda::unavailable_reason());
        msg = error_of([&] { x.to(Device::cuda(0)); });
        QVERIFY2(msg.contains("cuda:0") && msg.contains("not available") && msg.contains(reason), qPrintable(msg));
        msg = error_of([&] { Tensor::zeros({4}, DType::F32, Device::cuda(0)); });
        QVERIFY2(msg.contains("cuda:0") && msg.contains(reason), qPrintable(msg));
        nn::Linear layer(3, 2);
        msg = error_of([&] { layer.to(Device::cuda(0)); });
        QVERIFY2(msg.contains("cuda:0") && msg.contains(reason), qPrintable(msg));
        QCOMPARE(layer.weight.device(), Device::cpu());  // nothing moved
        msg = error_of([&] { cuda::StreamScope s(Device::cuda(0)); });
        QVERIFY2(msg.contains("cuda:0"), qPrintable(msg));
        cuda::StreamScope on_cpu(Device::cpu());  // a no-op
    }

    void every_op_has_a_cuda_kernel() {
        QVERIFY(kernel_registry().size() >= 60);
        (void)cuda::device_count();  // opens the CUDA module (backend/CudaModule.h), which fills its column
        QStringList missing;
        for (const KernelSlot* k : kernel_registry())
            if (!k->has(DeviceType::CUDA)) missing << k->name();
        if (cuda::built_with_cuda())
            QVERIFY2(missing.isEmpty(), qPrintable("ops without a CUDA kernel: " + missing.join(", ")));
        else
            QCOMPARE(missing.size(), static_cast<int>(kernel_registry().size()));  // no CUDA column at all
        // Every op the public API names through the op table reaches a slot (by the kernel names).
        for (const char* name : {"copy", "fill", "device_copy", "matmul", "conv2d", "conv2d_backward_data",
                                 "conv2d_backward_weights", "max_pool2d", "batch_norm", "layer_norm", "softmax",
                                 "log_softmax", "sum", "argmax", "gather", "scatter_add", "index_select",
                                 "index_add", "dropout_mask", "sgd_step", "adam_step", "rmsprop_step"})
            QVERIFY2(find_kernel(name), name);
    }

    void a_missing_kernel_names_the_op_and_the_device() {
        DispatchSlot<UnaryKernel> cpu_only{"test_cpu_only_op", &unary_cpu_only};
        QVERIFY(cpu_only.has(DeviceType::CPU) && !cpu_only.has(DeviceType::CUDA));
        const QString msg = error_of([&] { cpu_only(Device::cuda(0)); });
        QVERIFY2(msg.contains("test_cpu_only_op") && msg.contains("cuda:0") && msg.contains("no kernel"),
                 qPrintable(msg));
        QVERIFY(cpu_only(Device::cpu()) == &unary_cpu_only);
    }

    void registration_checks_names_and_signatures() {
        QString msg = error_of([] { register_kernel<UnaryKernel>("no_such_op", DeviceType::CUDA, &unary_cpu_only); });
        QVERIFY2(msg.contains("no_such_op"), qPrintable(msg));
        DispatchSlot<BinaryKernel> slot{"test_binary_op", nullptr};
        msg = error_of([] { register_kernel<UnaryKernel>("test_binary_op", DeviceType::CUDA, &unary_cpu_only); });
        QVERIFY2(msg.contains("test_binary_op") && msg.contains("signature"), qPrintable(msg));
        QVERIFY(!slot.has(DeviceType::CUDA));
    }

    // ---------------------------------------------------------------- on a GPU
    void op_table_parity_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("sample");
        QTest::addColumn<int>("dtype");
        QTest::addColumn<int>("layout");
        using neura::test::Layout;
        for (const auto& c : op_table())
            for (std::size_t s = 0; s < neura::test::sample_count(c); ++s)
                for (DType t : c.dtypes) {
                    if (!neura::test::sample_has(c, s, t)) continue;
                    for (Layout l : {Layout::Contiguous, Layout::Transposed, Layout::Sliced})
                        QTest::addRow("%s/s%zu/%s/%s", c.name.c_str(), s, neura::test::dtype_key(t),
                                      neura::test::layout_name(l))
                            << QString::fromStdString(c.name) << int(s) << int(t) << int(l);
                }
    }
    void op_table_parity() {
        NEURA_REQUIRE_GPU();
        QFETCH(QString, name);
        QFETCH(int, sample);
        QFETCH(int, dtype);
        QFETCH(int, layout);
        using namespace neura::test;
        const auto& op = find_case(name);
        const DType dt = static_cast<DType>(dtype);
        const Layout l = static_cast<Layout>(layout);
        const json& ref = sample_ref(op, sample, dt);
        const Device gpu = Device::cuda(0);
        auto cpu_in = sample_inputs(op, sample, dt, l, Device::cpu(), is_floating(dt));
        auto gpu_in = sample_inputs(op, sample, dt, l, gpu, is_floating(dt));
        Tensor cpu_out = op.fn(cpu_in);
        Tensor gpu_out = op.fn(gpu_in);
        QCOMPARE(gpu_out.device(), gpu);
        QCOMPARE(gpu_out.shape(), cpu_out.shape());
        QCOMPARE(gpu_out.dtype(), cpu_out.dtype());
        QCOMPARE(gpu_out.requires_grad(), cpu_out.requires_grad());
        const double tol = cpu_out.dtype() == DType::I64 ? 0.0 : kTol;
        auto bad = value_mismatch(gpu_out.to_vector<double>(), cpu_out.to_vector<double>(), tol, "output (GPU vs CPU)");
        QVERIFY2(!bad, bad.value_or("").c_str());
        if (!cpu_out.requires_grad()) return;
        const Tensor w = ref.contains("grad_output")
                             ? Tensor::from_vector(json_values(ref["grad_output"]), cpu_out.shape(), cpu_out.dtype())
                             : Tensor::ones_like(cpu_out);
        cpu_out.backward(w);
        gpu_out.backward(w.to(gpu));
        for (std::size_t i = 0; i < cpu_in.size(); ++i) {
            if (!cpu_in[i].grad().defined()) continue;
            QVERIFY2(gpu_in[i].grad().defined(), qPrintable(QString("no GPU gradient for input %1").arg(i)));
            QCOMPARE(gpu_in[i].grad().device(), gpu);
            bad = value_mismatch(gpu_in[i].grad().to_vector<double>(), cpu_in[i].grad().to_vector<double>(), kTol,
                                 "grad of input " + std::to_string(i) + " (GPU vs CPU)");
            QVERIFY2(!bad, bad.value_or("").c_str());
        }
    }

    void copies_between_devices() {
        NEURA_REQUIRE_GPU();
        const Device gpu = Device::cuda(0);
        for (DType dt : {DType::F32, DType::F64, DType::I64}) {
            const Tensor x = Tensor::arange(0.0, 24.0, 1.0, dt).reshape({2, 3, 4});
            const Tensor g = x.to(gpu);
            QCOMPARE(g.device(), gpu);
            QCOMPARE(g.to(Device::cpu()).to_vector<double>(), x.to_vector<double>());
            // Non-contiguous on either side, and dtype conversion on the device.
            QCOMPARE(x.permute({2, 0, 1}).to(gpu).to_vector<double>(), x.permute({2, 0, 1}).to_vector<double>());
            QCOMPARE(g.permute({2, 0, 1}).to(Device::cpu()).to_vector<double>(),
                     x.permute({2, 0, 1}).to_vector<double>());
            QCOMPARE(g.to(DType::F32).to_vector<double>(), x.to(DType::F32).to_vector<double>());
            // copy_ across devices, both ways, with broadcasting.
            Tensor dst = Tensor::zeros({2, 3, 4}, dt, gpu);
            dst.copy_(x.select(0, 1));
            QCOMPARE(dst.select(0, 0).to_vector<double>(), x.select(0, 1).to_vector<double>());
            Tensor host = Tensor::zeros({3, 4}, dt);
            host.copy_(g.select(0, 0));
            QCOMPARE(host.to_vector<double>(), x.select(0, 0).to_vector<double>());
        }
        QCOMPARE(Tensor::full({3}, 2.5, DType::F32, gpu).to_vector<double>(), (std::vector<double>{2.5, 2.5, 2.5}));
        QCOMPARE(Tensor::zeros({0}, DType::F32, gpu).to(Device::cpu()).numel(), std::int64_t{0});
    }

    void gradients_flow_back_across_to_device() {
        NEURA_REQUIRE_GPU();
        const Tensor x = Tensor::from_vector<double>({1, 2, 3}, {3}, DType::F32).requires_grad_();
        const Tensor y = sum(x.to(Device::cuda(0)) * x.to(Device::cuda(0)));
        QCOMPARE(y.device(), Device::cuda(0));
        y.backward();
        QCOMPARE(x.grad().device(), Device::cpu());
        QCOMPARE(x.grad().to_vector<double>(), (std::vector<double>{2, 4, 6}));
    }

    void dropout_masks_on_the_gpu() {
        NEURA_REQUIRE_GPU();
        const Tensor x = Tensor::ones({100000}, DType::F32, Device::cuda(0));
        Generator g1(7), g2(7);
        const auto a = dropout(x, 0.3, true, &g1).to_vector<double>();
        const auto b = dropout(x, 0.3, true, &g2).to_vector<double>();
        QCOMPARE(a, b);  // one seed, one mask
        double zeros = 0;
        for (double v : a) {
            QVERIFY(v == 0.0 || std::abs(v - 1.0 / 0.7) < 1e-5);
            zeros += v == 0.0;
        }
        QVERIFY2(std::abs(zeros / 100000.0 - 0.3) < 0.01, qPrintable(QString::number(zeros)));
    }

    void bad_input_on_the_gpu_is_an_error_not_a_crash() {
        NEURA_REQUIRE_GPU();
        const Device gpu = Device::cuda(0);
        const Tensor a = Tensor::zeros({2, 3}, DType::F32, gpu);
        QString msg = error_of([&] { a + Tensor::zeros({2, 3}); });
        QVERIFY2(msg.contains("different devices"), qPrintable(msg));
        msg = error_of([&] { index_select(a, 0, Tensor::from_vector(std::vector<std::int64_t>{5}, {1}).to(gpu)); });
        QVERIFY2(msg.contains("index 5 is out of range"), qPrintable(msg));
        msg = error_of([&] { where(Tensor::ones({2, 3}, DType::I64), a, a); });  // the condition on the CPU
        QVERIFY2(msg.contains("where") && msg.contains("device"), qPrintable(msg));
        msg = error_of([&] { matmul(a, Tensor::zeros({4, 2}, DType::F32, gpu)); });
        QVERIFY2(msg.contains("3 columns vs 4 rows"), qPrintable(msg));
    }
};

NEURA_CUDA_TEST_MAIN(TestParity)
#include "tst_parity.moc"
