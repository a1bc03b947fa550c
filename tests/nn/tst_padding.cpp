// Variable-length sequences (nn/Padding.h, neura::data::Batch::lengths): inside a SequenceLengthsScope a padded
// row gives, at its valid steps, what the same row gives alone and unpadded, whatever the padding holds;
// the padding gets no gradient; recurrent layers output zeros there and keep the state of the last valid
// step, as PyTorch's pack_padded_sequence. And the token tasks' variable-length samples.
#include <QtTest>

#include <functional>
#include <memory>

#include "neura/neura.h"
#include "neura/data/Sequence.h"
#include "neura/nn/Attention.h"
#include "neura/nn/Padding.h"
#include "neura/nn/Recurrent.h"
#include "neura/nn/Sequence.h"

using namespace neura;
using namespace neura::nn;

namespace {

constexpr std::int64_t kSteps = 6, kFeatures = 4;
const std::vector<std::int64_t> kLengths = {6, 3, 1};

Tensor lengths_tensor() { return Tensor::from_vector(kLengths, {static_cast<std::int64_t>(kLengths.size())}); }

// A batch [3, 6, 4] in F64 whose padding holds large values (which must change nothing).
Tensor padded_batch(Generator& gen) {
    Tensor x = Tensor::randn({3, kSteps, kFeatures}, DType::F64, &gen);
    for (std::size_t r = 0; r < kLengths.size(); ++r)
        for (std::int64_t t = kLengths[r]; t < kSteps; ++t)
            for (std::int64_t f = 0; f < kFeatures; ++f)
                x.data<double>()[(static_cast<std::int64_t>(r) * kSteps + t) * kFeatures + f] = 1e3 * (1 + f);
    return x;
}

double max_diff(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) return 1e300;
    const auto x = a.contiguous().to_vector<double>(), y = b.contiguous().to_vector<double>();
    double worst = 0;
    for (std::size_t k = 0; k < x.size(); ++k) worst = std::max(worst, std::abs(x[k] - y[k]));
    return worst;
}

// Checks a batch-first sequence layer `run` ([B, T, F] → [B, T, H] when `per_step`, else [B, H]).
void check_layer(const std::function<Tensor(const Tensor&)>& run, bool per_step, bool zero_padding_output) {
    Generator gen(11);
    Tensor x = padded_batch(gen).requires_grad_();
    Tensor out;
    {
        const SequenceLengthsScope scope(lengths_tensor());
        out = run(x);
    }
    // Each row against itself alone, without padding and outside any scope.
    Tensor valid_sum = Tensor::zeros({}, DType::F64);
    for (std::size_t r = 0; r < kLengths.size(); ++r) {
        const auto row = static_cast<std::int64_t>(r);
        const std::int64_t len = kLengths[r];
        NoGradGuard ng;
        const Tensor alone = run(x.detach().narrow(0, row, 1).narrow(1, 0, len).contiguous());
        if (per_step) {
            const Tensor mine = out.detach().narrow(0, row, 1).narrow(1, 0, len);
            QVERIFY2(max_diff(mine, alone) < 1e-10, qPrintable(QString("row %1 (length %2): valid steps differ by %3")
                                                                  .arg(row).arg(len).arg(max_diff(mine, alone))));
            if (zero_padding_output && len < kSteps) {
                const Tensor pad = out.detach().narrow(0, row, 1).narrow(1, len, kSteps - len);
                QCOMPARE(max_diff(pad, Tensor::zeros(pad.shape(), DType::F64)), 0.0);
            }
        } else {
            const Tensor mine = out.detach().narrow(0, row, 1);
            QVERIFY2(max_diff(mine, alone) < 1e-10,
                     qPrintable(QString("row %1: differs by %2").arg(row).arg(max_diff(mine, alone))));
        }
    }
    // The loss over the valid outputs gives the padding no gradient.
    Tensor loss;
    if (per_step) {
        Tensor valid = Tensor::zeros({3, kSteps, 1}, DType::F64);
        for (std::size_t r = 0; r < kLengths.size(); ++r)
            for (std::int64_t t = 0; t < kLengths[r]; ++t) valid.data<double>()[static_cast<std::int64_t>(r) * kSteps + t] = 1;
        loss = sum(out * out * valid);
    } else {
        loss = sum(out * out);
    }
    loss.backward();
    const auto g = x.grad().contiguous().to_vector<double>();
    double padded_grad = 0, valid_grad = 0;
    for (std::size_t r = 0; r < kLengths.size(); ++r)
        for (std::int64_t t = 0; t < kSteps; ++t)
            for (std::int64_t f = 0; f < kFeatures; ++f) {
                const double v = std::abs(g[static_cast<std::size_t>((static_cast<std::int64_t>(r) * kSteps + t) * kFeatures + f)]);
                (t < kLengths[r] ? valid_grad : padded_grad) += v;
            }
    QCOMPARE(padded_grad, 0.0);
    QVERIFY(valid_grad > 0.0);
}

RecurrentOptions recurrent(bool bidirectional, std::int64_t layers) {
    RecurrentOptions o;
    o.input_size = kFeatures;
    o.hidden_size = 5;
    o.num_layers = layers;
    o.bidirectional = bidirectional;
    o.batch_first = true;
    return o;
}

}  // namespace

class TestPadding : public QObject {
    Q_OBJECT
private slots:
    void recurrent_layers_data() {
        QTest::addColumn<QString>("type");
        QTest::addColumn<bool>("bidirectional");
        QTest::addColumn<int>("layers");
        QTest::newRow("LSTM") << "LSTM" << false << 1;
        QTest::newRow("LSTM 2 layers bidirectional") << "LSTM" << true << 2;
        QTest::newRow("GRU bidirectional") << "GRU" << true << 1;
        QTest::newRow("RNN 2 layers") << "RNN" << false << 2;
    }
    void recurrent_layers() {
        QFETCH(QString, type);
        QFETCH(bool, bidirectional);
        QFETCH(int, layers);
        Generator gen(3);
        const RecurrentOptions o = recurrent(bidirectional, layers);
        std::shared_ptr<RecurrentBase> m;
        if (type == "LSTM") m = std::make_shared<LSTM>(o, &gen);
        else if (type == "GRU") m = std::make_shared<GRU>(o, &gen);
        else m = std::make_shared<RNN>(o, &gen);
        m->to(DType::F64);
        check_layer([&](const Tensor& x) { return m->forward(x); }, true, true);
        // The final states: each row's, from its last valid step (both directions), as alone.
        Generator g2(5);
        const Tensor x = padded_batch(g2);
        NoGradGuard ng;
        RecurrentOutput padded;
        {
            const SequenceLengthsScope scope(lengths_tensor());
            padded = m->forward_with_state(x);
        }
        for (std::size_t r = 0; r < kLengths.size(); ++r) {
            const auto row = static_cast<std::int64_t>(r);
            const RecurrentOutput alone = m->forward_with_state(x.narrow(0, row, 1).narrow(1, 0, kLengths[r]).contiguous());
            QVERIFY(max_diff(padded.h_n.narrow(1, row, 1), alone.h_n) < 1e-10);
            if (type == "LSTM") QVERIFY(max_diff(padded.c_n.narrow(1, row, 1), alone.c_n) < 1e-10);
        }
    }

    // The Inspector's gate saturation counts each row's valid steps only: the padded batch's counts are the
    // sums of the rows' counts alone.
    void lstm_gate_saturation_counts_valid_steps() {
        Generator gen(9);
        LSTM lstm(recurrent(true, 1), &gen);
        lstm.to(DType::F64);
        const Tensor x = padded_batch(gen);
        NoGradGuard ng;
        lstm.keep_gates = true;
        {
            const SequenceLengthsScope scope(lengths_tensor());
            lstm.forward(x);
        }
        const auto padded = lstm.kept_gates;
        QCOMPARE(padded.size(), std::size_t{2});  // two directions
        std::vector<std::array<std::vector<double>, 3>> left(2), right(2);
        for (std::size_t r = 0; r < kLengths.size(); ++r) {
            lstm.forward(x.narrow(0, static_cast<std::int64_t>(r), 1).narrow(1, 0, kLengths[r]).contiguous());
            for (std::size_t d = 0; d < 2; ++d) {
                const auto& alone = lstm.kept_gates[d];
                QCOMPARE(alone.values, kLengths[r]);
                for (std::size_t g = 0; g < 3; ++g) {
                    left[d][g].resize(alone.left[g].size(), 0.0);
                    right[d][g].resize(alone.right[g].size(), 0.0);
                    for (std::size_t u = 0; u < alone.left[g].size(); ++u) {
                        left[d][g][u] += alone.left[g][u] * static_cast<double>(kLengths[r]);
                        right[d][g][u] += alone.right[g][u] * static_cast<double>(kLengths[r]);
                    }
                }
            }
        }
        double any = 0;
        for (std::size_t d = 0; d < 2; ++d) {
            QCOMPARE(padded[d].values, std::int64_t{6 + 3 + 1});
            for (std::size_t g = 0; g < 3; ++g)
                for (std::size_t u = 0; u < left[d][g].size(); ++u) {
                    QVERIFY(std::abs(padded[d].left[g][u] * 10 - left[d][g][u]) < 1e-9);
                    QVERIFY(std::abs(padded[d].right[g][u] * 10 - right[d][g][u]) < 1e-9);
                    any += left[d][g][u] + right[d][g][u];
                }
        }
        QVERIFY(any > 0);  // some gate saturates somewhere, so the comparison says something
    }

    void attention() {
        Generator gen(4);
        MultiheadAttention mha(MultiheadAttentionOptions{kFeatures, 2, 0.0, true, true}, &gen);
        mha.to(DType::F64);
        check_layer([&](const Tensor& x) { return mha.forward(x); }, true, false);
    }

    void encoder_layer_data() {
        QTest::addColumn<bool>("causal");
        QTest::addColumn<bool>("norm_first");
        QTest::newRow("post-norm") << false << false;
        QTest::newRow("pre-norm causal") << true << true;
    }
    void encoder_layer() {
        QFETCH(bool, causal);
        QFETCH(bool, norm_first);
        Generator gen(6);
        TransformerEncoderLayerOptions o;
        o.d_model = kFeatures;
        o.nhead = 2;
        o.dim_feedforward = 7;
        o.dropout = 0.0;
        o.batch_first = true;
        o.norm_first = norm_first;
        o.causal = causal;
        TransformerEncoderLayer layer(o, &gen);
        layer.to(DType::F64);
        check_layer([&](const Tensor& x) { return layer.forward(x); }, true, false);
    }

    void pooling() {
        LastStep last;
        check_layer([&](const Tensor& x) { return last.forward(x); }, false, false);
        MeanOverTime mean_layer;
        check_layer([&](const Tensor& x) { return mean_layer.forward(x); }, false, false);
    }

    // Outside a scope, or for a tensor with another batch size, nothing changes.
    void scope_applies_to_its_batch_only() {
        Generator gen(8);
        const Tensor x = padded_batch(gen);
        LastStep last;
        const Tensor plain = last.forward(x);
        QCOMPARE(max_diff(plain, x.select(1, kSteps - 1)), 0.0);
        {
            const SequenceLengthsScope scope(lengths_tensor());
            QVERIFY(max_diff(last.forward(x), plain) > 1.0);                          // rows 1 and 2 take steps 2 and 0
            QCOMPARE(max_diff(last.forward(x.narrow(0, 0, 2)), x.narrow(0, 0, 2).select(1, kSteps - 1)), 0.0);
            {
                const SequenceLengthsScope none{Tensor()};
                QCOMPARE(max_diff(last.forward(x), plain), 0.0);
            }
        }
        QCOMPARE(max_diff(last.forward(x), plain), 0.0);
        QVERIFY_THROWS_EXCEPTION(Error, SequenceLengthsScope(Tensor::from_vector(std::vector<std::int64_t>{2, 0}, {2})));
    }

    // reverse with min_length 3 of length 8: each sample's length in [3, 8], its tokens then the padding
    // token (vocab), its labels the reversed tokens then -100; batches carry the lengths, subsets too.
    void token_task_lengths() {
        const std::int64_t vocab = 10, length = 8;
        auto d = std::make_shared<neura::data::TokenTaskDataset>(neura::data::TokenTask::Reverse, 200, length, vocab, 1, 3);
        QVERIFY(d->variable_length());
        std::vector<int> seen(length + 1, 0);
        std::vector<float> f(length);
        std::vector<std::int64_t> y(length);
        for (std::int64_t i = 0; i < d->size(); ++i) {
            const std::int64_t len = d->sequence_length(i);
            QVERIFY(len >= 3 && len <= length);
            ++seen[static_cast<std::size_t>(len)];
            d->read_features(i, f.data());
            d->read_labels(i, y.data());
            for (std::int64_t t = 0; t < length; ++t) {
                if (t < len) {
                    QVERIFY(f[t] >= 0 && f[t] < vocab);
                    QCOMPARE(y[t], static_cast<std::int64_t>(f[len - 1 - t]));  // reversed within the length
                } else {
                    QCOMPARE(f[t], static_cast<float>(vocab));
                    QCOMPARE(y[t], neura::data::kIgnoreLabel);
                }
            }
        }
        for (std::int64_t len = 3; len <= length; ++len) QVERIFY2(seen[len] > 10, "every length from 3 to 8 occurs");
        const neura::data::Batch b = d->get_batch({5, 0, 7});
        QVERIFY(b.lengths.defined());
        QCOMPARE(b.lengths.to_vector<std::int64_t>(),
                 (std::vector<std::int64_t>{d->sequence_length(5), d->sequence_length(0), d->sequence_length(7)}));
        const auto sub = std::make_shared<neura::data::Subset>(d, std::vector<std::int64_t>{7, 5});
        QCOMPARE(sub->get_batch({0, 1}).lengths.to_vector<std::int64_t>(),
                 (std::vector<std::int64_t>{d->sequence_length(7), d->sequence_length(5)}));
        // Fixed length: min_length 0 or equal to length gives the data it always gave, and no lengths.
        neura::data::TokenTaskDataset fixed(neura::data::TokenTask::Reverse, 50, length, vocab, 1), same(neura::data::TokenTask::Reverse, 50, length, vocab, 1, length);
        QVERIFY(!fixed.variable_length() && !fixed.get_batch({0, 1}).lengths.defined());
        QCOMPARE(max_diff(fixed.features(), same.features()), 0.0);
        QVERIFY_THROWS_EXCEPTION(Error, neura::data::TokenTaskDataset(neura::data::TokenTask::Copy, 10, 4, 5, 1, 5));
    }
};

QTEST_APPLESS_MAIN(TestPadding)
#include "tst_padding.moc"
