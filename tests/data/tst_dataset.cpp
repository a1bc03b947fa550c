// TensorDataset, Subset, train_val_split and Standardizer.
#include <QtTest>

#include <cmath>
#include <set>

#include "neura/data/Dataset.h"
#include "neura/data/Split.h"
#include "neura/data/Standardizer.h"
#include "neura/neura.h"

using namespace neura;
using namespace neura::data;

namespace {

// n samples with 3 features (row i = [i, 10 i, 7]) and labels i % k.
std::shared_ptr<TensorDataset> make_rows(std::int64_t n, std::int64_t k) {
    std::vector<float> x;
    std::vector<std::int64_t> y;
    for (std::int64_t i = 0; i < n; ++i) {
        x.insert(x.end(), {float(i), float(10 * i), 7.0f});
        y.push_back(i % k);
    }
    return std::make_shared<TensorDataset>(Tensor::from_vector(x, {n, 3}), Tensor::from_vector(y, {n}));
}

}  // namespace

class TestDataset : public QObject {
    Q_OBJECT
private slots:
    void tensorDatasetClassification() {
        auto ds = make_rows(10, 3);
        QCOMPARE(ds->size(), 10);
        QCOMPARE(ds->feature_shape(), (Shape{3}));
        QCOMPARE(ds->task(), Task::Classification);
        QCOMPARE(ds->num_classes(), 3);
        QCOMPARE(ds->class_names(), (std::vector<std::string>{"0", "1", "2"}));
        QCOMPARE(ds->class_counts(), (std::vector<std::int64_t>{4, 3, 3}));

        Batch b = ds->get_batch({4, 0, 9});
        QCOMPARE(b.features.shape(), (Shape{3, 3}));
        QCOMPARE(b.features.dtype(), DType::F32);
        QCOMPARE(b.targets.shape(), (Shape{3}));
        QCOMPARE(b.targets.dtype(), DType::I64);
        QCOMPARE(b.features.to_vector<float>(), (std::vector<float>{4, 40, 7, 0, 0, 7, 9, 90, 7}));
        QCOMPARE(b.targets.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0, 0}));
        QCOMPARE(b.indices, (std::vector<std::int64_t>{4, 0, 9}));

        Example e = ds->get(5);
        QCOMPARE(e.features.shape(), (Shape{3}));
        QCOMPARE(e.target.dim(), 0);
        QCOMPARE(e.target.item<std::int64_t>(), 2);

        QVERIFY_THROWS_EXCEPTION(neura::Error, ds->get_batch({0, 10}));
        QVERIFY_THROWS_EXCEPTION(neura::Error, ds->get(-1));
        QVERIFY_THROWS_EXCEPTION(neura::Error, ds->read_target(0, nullptr));
    }

    void tensorDatasetImagesAndRegression() {
        // Image-shaped F64 features are stored as F32, [N] float targets become [N, 1].
        std::vector<double> x(5 * 2 * 2);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = double(i);
        std::vector<double> y{0.5, 1.5, 2.5, 3.5, 4.5};
        TensorDataset ds(Tensor::from_vector(x, {5, 1, 2, 2}), Tensor::from_vector(y, {5}));
        QCOMPARE(ds.task(), Task::Regression);
        QCOMPARE(ds.num_classes(), 0);
        QCOMPARE(ds.target_dim(), 1);
        QCOMPARE(ds.feature_shape(), (Shape{1, 2, 2}));
        Batch b = ds.get_batch({3, 1});
        QCOMPARE(b.features.shape(), (Shape{2, 1, 2, 2}));
        QCOMPARE(b.targets.shape(), (Shape{2, 1}));
        QCOMPARE(b.targets.dtype(), DType::F32);
        QCOMPARE(b.targets.to_vector<float>(), (std::vector<float>{3.5f, 1.5f}));
        QCOMPARE(b.features.to_vector<float>(), (std::vector<float>{12, 13, 14, 15, 4, 5, 6, 7}));
        QVERIFY_THROWS_EXCEPTION(neura::Error, (void)ds.labels());
    }

    void tensorDatasetRejectsBadInput() {
        auto x = Tensor::zeros({4, 2});
        QVERIFY_THROWS_EXCEPTION(neura::Error, TensorDataset(x, Tensor::from_vector(std::vector<std::int64_t>{0, 1, 2}, {3})));
        QVERIFY_THROWS_EXCEPTION(neura::Error, TensorDataset(x, Tensor::from_vector(std::vector<std::int64_t>{0, 1, -1, 0}, {4})));
        QVERIFY_THROWS_EXCEPTION(neura::Error,
                                 TensorDataset(x, Tensor::from_vector(std::vector<std::int64_t>{0, 1, 5, 0}, {4}), 3));
    }

    void subsetMapsIndices() {
        auto ds = make_rows(10, 2);
        auto sub = std::make_shared<Subset>(ds, std::vector<std::int64_t>{7, 2, 2});
        QCOMPARE(sub->size(), 3);
        QCOMPARE(sub->num_classes(), 2);
        Batch b = sub->get_batch({0, 2});
        QCOMPARE(b.features.to_vector<float>(), (std::vector<float>{7, 70, 7, 2, 20, 7}));
        QCOMPARE(b.targets.to_vector<std::int64_t>(), (std::vector<std::int64_t>{1, 0}));
        QCOMPARE(b.indices, (std::vector<std::int64_t>{0, 2}));
        QCOMPARE(sub->label(1), 0);
        QVERIFY_THROWS_EXCEPTION(neura::Error, sub->label(3));
        QVERIFY_THROWS_EXCEPTION(neura::Error, Subset(ds, {10}));
    }

    void stratifiedSplitKeepsProportions() {
        auto ds = make_rows(100, 4);  // 25 per class
        Split s = train_val_split(ds, 0.2, 42);
        QCOMPARE(s.train->size(), 80);
        QCOMPARE(s.val->size(), 20);
        QCOMPARE(s.val->class_counts(), (std::vector<std::int64_t>{5, 5, 5, 5}));
        QCOMPARE(s.train->class_counts(), (std::vector<std::int64_t>{20, 20, 20, 20}));
        // Disjoint and complete.
        std::set<std::int64_t> all(s.train->indices().begin(), s.train->indices().end());
        for (auto i : s.val->indices()) QVERIFY(all.insert(i).second);
        QCOMPARE(all.size(), std::size_t(100));
        // Same seed, same split; another seed, another split.
        QCOMPARE(train_val_split(ds, 0.2, 42).val->indices(), s.val->indices());
        QVERIFY(train_val_split(ds, 0.2, 43).val->indices() != s.val->indices());
    }

    void stratifiedSplitRoundsToTotal() {
        auto ds = make_rows(10, 3);  // classes of 4, 3, 3
        Split s = train_val_split(ds, 0.5, 1);
        QCOMPARE(s.val->size(), 5);
        QCOMPARE(s.train->size(), 5);
        const auto c = s.val->class_counts();
        for (std::size_t k = 0; k < c.size(); ++k) QVERIFY(c[k] >= 1 && c[k] <= 2);
    }

    void plainSplitForRegression() {
        std::vector<float> x(50), y(50);
        for (int i = 0; i < 50; ++i) x[i] = y[i] = float(i);
        auto ds = std::make_shared<TensorDataset>(Tensor::from_vector(x, {50, 1}), Tensor::from_vector(y, {50}));
        Split s = train_val_split(ds, 0.3, 7);
        QCOMPARE(s.val->size(), 15);
        QCOMPARE(s.train->size(), 35);
        QVERIFY(s.val->indices() != std::vector<std::int64_t>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}));
        QVERIFY_THROWS_EXCEPTION(neura::Error, train_val_split(ds, 1.0, 7));
        QVERIFY_THROWS_EXCEPTION(neura::Error, train_val_split(ds, -0.1, 7));
        QCOMPARE(train_val_split(ds, 0.0, 7).val->size(), 0);
    }

    void standardizerFitsTrainAndAppliesToBoth() {
        auto ds = make_rows(10, 2);
        Split s = train_val_split(ds, 0.3, 3);
        Standardizer st = Standardizer::fitted_on(*s.train);
        QCOMPARE(st.num_features(), 3);
        // Statistics of the training rows only (population std).
        double m0 = 0, v0 = 0;
        for (auto i : s.train->indices()) m0 += double(i);
        m0 /= double(s.train->size());
        for (auto i : s.train->indices()) v0 += (double(i) - m0) * (double(i) - m0);
        const double sd0 = std::sqrt(v0 / double(s.train->size()));
        QVERIFY(std::abs(st.mean()[0] - m0) < 1e-9);
        QVERIFY(std::abs(st.scale()[0] - sd0) < 1e-9);
        QVERIFY(std::abs(st.scale()[1] - 10 * sd0) < 1e-7);
        // The constant feature: std 0 measured, scale 1 used, output 0 rather than NaN.
        QCOMPARE(st.stddev()[2], 0.0);
        QCOMPARE(st.scale()[2], 1.0);

        DatasetPtr train = st.apply(s.train);
        DatasetPtr val = st.apply(s.val);
        Batch all = train->get_batch(detail_all(train->size()));
        const auto f = all.features.to_vector<float>();
        double mean = 0, sq = 0;
        for (std::size_t r = 0; r < f.size() / 3; ++r) {
            mean += f[r * 3];
            sq += double(f[r * 3]) * f[r * 3];
            QCOMPARE(f[r * 3 + 2], 0.0f);
            QVERIFY(std::abs(f[r * 3 + 1] - f[r * 3]) < 1e-5);
        }
        const double rows = double(f.size() / 3);
        QVERIFY(std::abs(mean / rows) < 1e-6);
        QVERIFY(std::abs(sq / rows - 1.0) < 1e-5);
        // The validation rows use the training statistics.
        Batch vb = val->get_batch({0});
        const double raw = double(s.val->indices()[0]);
        QVERIFY(std::abs(vb.features.to_vector<float>()[0] - (raw - m0) / sd0) < 1e-5);
        float one[3];
        val->read_features(0, one);
        QCOMPARE(one[0], vb.features.to_vector<float>()[0]);
        QCOMPARE(vb.targets.to_vector<std::int64_t>()[0], s.val->label(0));
    }

    void standardizerTransformAndJson() {
        Standardizer st({1.0, -2.0}, {2.0, 0.5});
        Tensor x = Tensor::from_vector(std::vector<float>{3, -2, 1, -1}, {2, 2});
        Tensor z = st.transform(x);
        QCOMPARE(z.to_vector<float>(), (std::vector<float>{1, 0, 0, 2}));
        QCOMPARE(x.to_vector<float>(), (std::vector<float>{3, -2, 1, -1}));  // input untouched
        QCOMPARE(st.inverse_transform(z).to_vector<float>(), x.to_vector<float>());
        Standardizer back = Standardizer::from_json(st.to_json());
        QCOMPARE(back.mean(), st.mean());
        QCOMPARE(back.scale(), st.scale());
        QVERIFY_THROWS_EXCEPTION(neura::Error, Standardizer::from_json("{\"mean\": [1]}"));
        QVERIFY_THROWS_EXCEPTION(neura::Error, Standardizer::from_json("not json"));
        QVERIFY_THROWS_EXCEPTION(neura::Error, Standardizer({0.0}, {0.0}));
        QVERIFY_THROWS_EXCEPTION(neura::Error, st.transform(Tensor::zeros({2, 3})));
        QVERIFY_THROWS_EXCEPTION(neura::Error, Standardizer().transform(x));
    }

private:
    static std::vector<std::int64_t> detail_all(std::int64_t n) {
        std::vector<std::int64_t> v(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
        return v;
    }
};

QTEST_APPLESS_MAIN(TestDataset)
#include "tst_dataset.moc"
