// The synthetic 2-D sets and the sine regression: shapes, class balance, geometry, determinism.
#include <QtTest>

#include <cmath>
#include <numbers>

#include "neura/data/Synthetic.h"
#include "neura/neura.h"

using namespace neura;
using namespace neura::data;

namespace {

std::vector<float> features(const TensorDataset& d) { return d.features().to_vector<float>(); }

}  // namespace

class TestSynthetic : public QObject {
    Q_OBJECT
private slots:
    void spiralShapeAndBalance() {
        auto d = spiral(300, 0.1, 1, 3);
        QCOMPARE(d->size(), 300);
        QCOMPARE(d->feature_shape(), (Shape{2}));
        QCOMPARE(d->num_classes(), 3);
        QCOMPARE(d->class_counts(), (std::vector<std::int64_t>{100, 100, 100}));
        QCOMPARE(spiral(301, 0.1, 1, 4)->class_counts(), (std::vector<std::int64_t>{76, 75, 75, 75}));
        // Radii are linspace(0, 1): every point lies in the unit disc whatever the angle noise.
        const auto f = features(*d);
        double max_r = 0;
        for (std::size_t i = 0; i < f.size(); i += 2) max_r = std::max(max_r, std::hypot(double(f[i]), double(f[i + 1])));
        QVERIFY(max_r <= 1.0 + 1e-6);
        QVERIFY(max_r > 0.99);
        // Shuffled: the first 100 rows are not all one class.
        const auto y = d->labels();
        QVERIFY(std::count(y.begin(), y.begin() + 100, 0) < 100);
    }

    void spiralWithoutNoiseFollowsTheFormula() {
        auto d = spiral(30, 0.0, 0, 3);
        const auto f = features(*d);
        for (std::int64_t i = 0; i < d->size(); ++i) {
            // For arm j, r = (t - 4j)/4 with t in [4j, 4j+4]: check the point sits on its arm.
            const double x = f[std::size_t(2 * i)], yv = f[std::size_t(2 * i + 1)];
            const double r = std::hypot(x, yv);
            const std::int64_t j = d->label(i);
            const double t = 4.0 * double(j) + 4.0 * r;
            QVERIFY(std::abs(x - r * std::sin(t)) < 1e-5);
            QVERIFY(std::abs(yv - r * std::cos(t)) < 1e-5);
        }
    }

    void moonsShapeAndGeometry() {
        auto d = moons(201, 0.0, 2);
        QCOMPARE(d->size(), 201);
        QCOMPARE(d->feature_shape(), (Shape{2}));
        QCOMPARE(d->class_counts(), (std::vector<std::int64_t>{100, 101}));
        const auto f = features(*d);
        for (std::int64_t i = 0; i < d->size(); ++i) {
            const double x = f[std::size_t(2 * i)], y = f[std::size_t(2 * i + 1)];
            if (d->label(i) == 0) {
                QVERIFY(std::abs(std::hypot(x, y) - 1.0) < 1e-5);  // upper unit half circle
                QVERIFY(y >= -1e-6);
            } else {
                QVERIFY(std::abs(std::hypot(x - 1.0, y - 0.5) - 1.0) < 1e-5);  // lower one, shifted
                QVERIFY(y <= 0.5 + 1e-6);
            }
        }
    }

    void circlesRadii() {
        auto d = circles(100, 0.0, 3, 0.3);
        QCOMPARE(d->class_counts(), (std::vector<std::int64_t>{50, 50}));
        const auto f = features(*d);
        for (std::int64_t i = 0; i < d->size(); ++i) {
            const double r = std::hypot(double(f[std::size_t(2 * i)]), double(f[std::size_t(2 * i + 1)]));
            QVERIFY(std::abs(r - (d->label(i) == 0 ? 1.0 : 0.3)) < 1e-5);
        }
        QVERIFY_THROWS_EXCEPTION(neura::Error, circles(100, 0.0, 3, 1.0));
    }

    void xorQuadrants() {
        auto d = xor_quadrants(400, 0.0, 4);
        QCOMPARE(d->class_counts(), (std::vector<std::int64_t>{200, 200}));
        const auto f = features(*d);
        for (std::int64_t i = 0; i < d->size(); ++i) {
            const double x = f[std::size_t(2 * i)], y = f[std::size_t(2 * i + 1)];
            QVERIFY(std::abs(x) <= 1.0 && std::abs(y) <= 1.0);
            QCOMPARE(d->label(i), x * y > 0 ? 0 : 1);
        }
    }

    void blobsClusters() {
        auto d = blobs(301, 0.5, 5, 3, 2);
        QCOMPARE(d->class_counts(), (std::vector<std::int64_t>{101, 100, 100}));
        // Each class's mean lies inside the centre box, and the spread matches cluster_std.
        const auto f = features(*d);
        for (std::int64_t c = 0; c < 3; ++c) {
            double mx = 0, my = 0, n = 0;
            for (std::int64_t i = 0; i < d->size(); ++i)
                if (d->label(i) == c) { mx += f[std::size_t(2 * i)]; my += f[std::size_t(2 * i + 1)]; ++n; }
            mx /= n;
            my /= n;
            QVERIFY(std::abs(mx) < 10.5 && std::abs(my) < 10.5);
            double var = 0;
            for (std::int64_t i = 0; i < d->size(); ++i)
                if (d->label(i) == c) var += std::pow(f[std::size_t(2 * i)] - mx, 2);
            const double sd = std::sqrt(var / n);
            QVERIFY2(sd > 0.35 && sd < 0.65, qPrintable(QString::number(sd)));
        }
        QCOMPARE(blobs(10, 1.0, 0, 2, 5)->feature_shape(), (Shape{5}));
    }

    void sineRegression() {
        auto d = sine(500, 0.0, 6);
        QCOMPARE(d->task(), Task::Regression);
        QCOMPARE(d->feature_shape(), (Shape{1}));
        QCOMPARE(d->target_dim(), 1);
        Batch b = d->get_batch({0, 1, 2, 3});
        QCOMPARE(b.targets.shape(), (Shape{4, 1}));
        QCOMPARE(b.targets.dtype(), DType::F32);
        const auto x = features(*d);
        const auto y = d->targets().to_vector<float>();
        for (std::size_t i = 0; i < x.size(); ++i) {
            QVERIFY(x[i] >= -std::numbers::pi_v<float> && x[i] <= std::numbers::pi_v<float>);
            QVERIFY(std::abs(y[i] - std::sin(x[i])) < 1e-5);
        }
        // Noise shows up with about the requested standard deviation.
        auto noisy = sine(2000, 0.2, 6);
        const auto nx = features(*noisy);
        const auto ny = noisy->targets().to_vector<float>();
        double sq = 0;
        for (std::size_t i = 0; i < nx.size(); ++i) sq += std::pow(ny[i] - std::sin(nx[i]), 2);
        const double sd = std::sqrt(sq / double(nx.size()));
        QVERIFY2(sd > 0.18 && sd < 0.22, qPrintable(QString::number(sd)));
    }

    void seedsReproduce() {
        QCOMPARE(features(*spiral(200, 0.2, 7)), features(*spiral(200, 0.2, 7)));
        QCOMPARE(spiral(200, 0.2, 7)->labels(), spiral(200, 0.2, 7)->labels());
        QVERIFY(features(*spiral(200, 0.2, 7)) != features(*spiral(200, 0.2, 8)));
        QCOMPARE(features(*moons(100, 0.1, 1)), features(*moons(100, 0.1, 1)));
        QVERIFY(features(*moons(100, 0.1, 1)) != features(*moons(100, 0.1, 2)));
        QCOMPARE(features(*circles(100, 0.1, 1)), features(*circles(100, 0.1, 1)));
        QCOMPARE(features(*xor_quadrants(100, 0.1, 1)), features(*xor_quadrants(100, 0.1, 1)));
        QCOMPARE(features(*blobs(100, 1.0, 1)), features(*blobs(100, 1.0, 1)));
        QCOMPARE(features(*sine(100, 0.1, 1)), features(*sine(100, 0.1, 1)));
        // Pinned values (recorded from this implementation): the draws must not drift between builds,
        // compilers or standard libraries, since saved projects regenerate their data from the seed.
        const auto near = [](const std::vector<float>& got, const std::vector<float>& want) {
            if (got.size() != want.size()) return false;
            for (std::size_t i = 0; i < got.size(); ++i)
                if (std::abs(got[i] - want[i]) > 1e-5f) return false;
            return true;
        };
        auto s = spiral(4, 0.2, 123, 2);
        QVERIFY(near(features(*s), {0, 0, -0.632110596f, -0.774878144f, 0.98992902f, -0.141564429f, 0, 0}));
        QCOMPARE(s->labels(), (std::vector<std::int64_t>{1, 0, 1, 0}));
        auto m = moons(4, 0.1, 5);
        QVERIFY(near(features(*m), {0.0305757504f, 0.631680369f, 1.96017861f, 0.474750698f, 0.942862749f,
                                    0.0225705896f, -1.02253354f, 0.0820653141f}));
        QCOMPARE(m->labels(), (std::vector<std::int64_t>{1, 1, 0, 0}));
        auto w = sine(3, 0.1, 9);
        QVERIFY(near(features(*w), {-2.32128835f, 1.77763116f, -1.60059595f}));
        QVERIFY(near(w->targets().to_vector<float>(), {-0.614131987f, 0.920982182f, -1.08816922f}));
    }

    void rejectsBadArguments() {
        QVERIFY_THROWS_EXCEPTION(neura::Error, spiral(0, 0.1, 1));
        QVERIFY_THROWS_EXCEPTION(neura::Error, spiral(10, -0.1, 1));
        QVERIFY_THROWS_EXCEPTION(neura::Error, spiral(10, 0.1, 1, 1));
        QVERIFY_THROWS_EXCEPTION(neura::Error, blobs(10, 1.0, 1, 0));
    }
};

QTEST_APPLESS_MAIN(TestSynthetic)
#include "tst_synthetic.moc"
