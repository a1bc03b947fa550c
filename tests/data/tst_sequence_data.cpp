// Sequence datasets: sine-forecast (windows of a noisy sum of sines), csv-series (windows of a time
// series in a CSV file, split in time order), text (next-character classification over a UTF-8
// file) and the token tasks copy / reverse / sort (a class per step), with the per-step loss and
// accuracy they train with.
#include <QtTest>

#include "common/TestSupport.h"

#include <zlib.h>

#include <cmath>
#include <numbers>
#include <set>

#include "neura/data/DataLoader.h"
#include "neura/data/DatasetRegistry.h"
#include "neura/data/Sequence.h"
#include "neura/data/Split.h"
#include "neura/graph/ModelGraph.h"
#include "neura/graph/ModelJson.h"
#include "neura/graph/Network.h"
#include "neura/neura.h"
#include "neura/nn/Layers.h"
#include "neura/nn/Loss.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"

using namespace neura;
using namespace neura::data;

namespace {
using neura::test::error_of;

std::string write_file(const QTemporaryDir& dir, const QString& name, const QByteArray& content) {
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) qFatal("cannot write %s", qPrintable(path));
    f.write(content);
    return path.toStdString();
}

std::string write_gz(const QTemporaryDir& dir, const QString& name, const QByteArray& content) {
    const QString path = dir.filePath(name);
    gzFile f = gzopen(path.toUtf8().constData(), "wb9");
    if (!f) qFatal("cannot write %s", qPrintable(path));
    gzwrite(f, content.constData(), static_cast<unsigned>(content.size()));
    gzclose(f);
    return path.toStdString();
}

// The whole of a gzip file, read with zlib here (not through the engine's reader).
QByteArray gunzip(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) qFatal("cannot read %s", path.c_str());
    QByteArray out;
    char buf[1 << 16];
    int got = 0;
    while ((got = gzread(f, buf, sizeof buf)) > 0) out.append(buf, got);
    gzclose(f);
    return out;
}

std::vector<float> features_of(const Dataset& d, std::int64_t i) { return d.get(i).features.to_vector<float>(); }
std::vector<float> target_of(const Dataset& d, std::int64_t i) { return d.get(i).target.to_vector<float>(); }

std::string read_text(const char* path) {
    QFile f(QString::fromUtf8(path));
    if (!f.open(QIODevice::ReadOnly)) qFatal("cannot read %s", path);
    return f.readAll().toStdString();
}

// Eight days of weather: a date column, then temp = row, rain = 10·row, wind = row - 0.5 (row 1-based).
const QByteArray kWeather =
    "day,temp,rain,wind\n"
    "2024-01-01,1,10,0.5\n"
    "2024-01-02,2,20,1.5\n"
    "2024-01-03,3,30,2.5\n"
    "2024-01-04,4,40,3.5\n"
    "2024-01-05,5,50,4.5\n"
    "2024-01-06,6,60,5.5\n"
    "2024-01-07,7,70,6.5\n"
    "2024-01-08,8,80,7.5\n";

// A small text with 1-, 2-, 3- and 4-byte UTF-8 characters, newlines and spaces.
const QByteArray kText = QStringLiteral("Héllo wörld — 🎉 ok?\nAbba: baa\tab.\n").toUtf8();

}  // namespace

class TestSequenceData : public QObject {
    Q_OBJECT
private slots:
    // ------------------------------------------------------------ sine-forecast

    void sineForecastShapesAndDefaults() {
        DatasetPtr d = make_dataset("sine-forecast");
        QCOMPARE(d->task(), Task::Regression);
        QCOMPARE(d->size(), 1000);
        QCOMPARE(d->feature_shape(), (Shape{32, 1}));
        QCOMPARE(d->target_dim(), 1);

        d = make_dataset("sine-forecast", {{"n", "50"}, {"length", "10"}, {"horizon", "3"}});
        QCOMPARE(d->size(), 50);
        QCOMPARE(d->feature_shape(), (Shape{10, 1}));
        QCOMPARE(d->target_dim(), 3);
        DataLoader loader(d, {.batch_size = 8});
        const Batch b = *loader.next();
        QCOMPARE(b.features.shape(), (Shape{8, 10, 1}));
        QCOMPARE(b.targets.shape(), (Shape{8, 3}));
        QCOMPARE(b.features.dtype(), DType::F32);
        QCOMPARE(b.targets.dtype(), DType::F32);
    }

    void sineForecastIsDeterministicPerSeed() {
        const DatasetParams p{{"n", "40"}, {"length", "8"}, {"horizon", "2"}, {"seed", "5"}};
        DatasetPtr a = make_dataset("sine-forecast", p);
        DatasetPtr b = make_dataset("sine-forecast", p);
        std::vector<std::int64_t> all;
        for (std::int64_t i = 0; i < 40; ++i) all.push_back(i);
        QCOMPARE(a->get_batch(all).features.to_vector<float>(), b->get_batch(all).features.to_vector<float>());
        QCOMPARE(a->get_batch(all).targets.to_vector<float>(), b->get_batch(all).targets.to_vector<float>());
        DatasetParams q = p;
        q["seed"] = "6";
        DatasetPtr c = make_dataset("sine-forecast", q);
        QVERIFY(a->get_batch(all).features.to_vector<float>() != c->get_batch(all).features.to_vector<float>());
        // The registry passes every parameter to the generator.
        auto direct = sine_forecast(40, 8, 2, 3, 0.05, 5);
        QCOMPARE(direct->get_batch(all).features.to_vector<float>(), a->get_batch(all).features.to_vector<float>());
    }

    void sineForecastWindowsContinueOneSeries() {
        const std::int64_t n = 30, len = 7, hor = 3;
        auto d = sine_forecast(n, len, hor, 3, 0.05, 2);
        for (std::int64_t i = 0; i + 1 < n; ++i) {
            const auto fi = features_of(*d, i), fn = features_of(*d, i + 1);
            for (std::int64_t j = 0; j + 1 < len; ++j) QCOMPARE(fn[static_cast<std::size_t>(j)], fi[static_cast<std::size_t>(j + 1)]);
        }
        // Target h of sample i is the value after the window: the last feature of sample i + h + 1.
        for (std::int64_t i = 0; i + hor < n; ++i) {
            const auto t = target_of(*d, i);
            QCOMPARE(static_cast<std::int64_t>(t.size()), hor);
            for (std::int64_t h = 0; h < hor; ++h)
                QCOMPARE(t[static_cast<std::size_t>(h)], features_of(*d, i + h + 1)[static_cast<std::size_t>(len - 1)]);
        }
        // And the series itself.
        const auto x = sine_forecast_series(n + len + hor - 1, 3, 0.05, 2);
        QCOMPARE(static_cast<std::int64_t>(x.size()), n + len + hor - 1);
        const auto last = target_of(*d, n - 1);
        QCOMPARE(last[2], static_cast<float>(x.back()));
        QCOMPARE(features_of(*d, 4)[0], static_cast<float>(x[4]));
    }

    void sineForecastFollowsTheFormula() {
        // One noiseless sine a·sin(ωt + φ) satisfies x(t+1) + x(t-1) = 2cos(ω)·x(t) for every t,
        // with ω = 2πf, f in [1/64, 1/8), and |x| ≤ a < 1.
        for (std::uint64_t seed : {0u, 1u, 7u}) {
            const auto x = sine_forecast_series(200, 1, 0.0, seed);
            double peak = 0.0;
            std::size_t at = 1;
            for (std::size_t t = 1; t + 1 < x.size(); ++t)
                if (std::abs(x[t]) > peak) peak = std::abs(x[t]), at = t;
            QVERIFY(peak > 0.1 && peak < 1.0);
            const double c = (x[at + 1] + x[at - 1]) / x[at];
            QVERIFY2(c / 2 > std::cos(2 * std::numbers::pi / 8) - 1e-9 && c / 2 <= std::cos(2 * std::numbers::pi / 64) + 1e-9,
                     qPrintable(QString::number(c)));
            for (std::size_t t = 1; t + 1 < x.size(); ++t) QVERIFY(std::abs(x[t + 1] + x[t - 1] - c * x[t]) < 1e-9);
        }
        // Three waves: bounded by the sum of the amplitudes, and not a single sine.
        const auto x3 = sine_forecast_series(500, 3, 0.0, 3);
        for (double v : x3) QVERIFY(std::abs(v) < 3.0);
        const double c3 = (x3[2] + x3[0]) / x3[1];
        bool differs = false;
        for (std::size_t t = 1; t + 1 < x3.size(); ++t) differs |= std::abs(x3[t + 1] + x3[t - 1] - c3 * x3[t]) > 1e-3;
        QVERIFY(differs);
    }

    void sineForecastNoiseHasTheGivenStd() {
        // The same seed draws the same sines; the difference is the noise alone.
        const auto clean = sine_forecast_series(20000, 3, 0.0, 4);
        const auto noisy = sine_forecast_series(20000, 3, 0.05, 4);
        double sum = 0.0, sq = 0.0;
        for (std::size_t t = 0; t < clean.size(); ++t) {
            const double e = noisy[t] - clean[t];
            sum += e;
            sq += e * e;
        }
        const double mean = sum / 20000.0;
        const double sd = std::sqrt(sq / 20000.0 - mean * mean);
        QVERIFY2(std::abs(mean) < 0.002, qPrintable(QString::number(mean)));
        QVERIFY2(std::abs(sd - 0.05) < 0.002, qPrintable(QString::number(sd)));
    }

    void sineForecastParametersAndBounds() {
        const DatasetInfo& info = dataset_info("sine-forecast");
        QCOMPARE(info.task, Task::Regression);
        QVERIFY(QString::fromStdString(info.description).contains("[length, 1]"));
        std::vector<std::string> names;
        for (const auto& p : info.params) names.push_back(p.name);
        QCOMPARE(names, (std::vector<std::string>{"n", "length", "horizon", "waves", "noise", "seed"}));
        for (const char* bad : {"length=0", "horizon=0", "waves=0", "waves=65", "n=0", "noise=-0.1", "length=4097"}) {
            const QString kv = QString::fromLatin1(bad);
            const std::string key = kv.section('=', 0, 0).toStdString();
            const QString e = error_of([&] { make_dataset("sine-forecast", {{key, kv.section('=', 1).toStdString()}}); });
            QVERIFY2(e.contains(QString::fromStdString("'" + key + "'")) &&
                         (e.contains("minimum") || e.contains("maximum")),
                     qPrintable(kv + ": " + e));
        }
        QVERIFY(error_of([] { sine_forecast(1'000'000, 4096, 1); }).contains("values"));
        QVERIFY(error_of([] { sine_forecast(10, 5, 1, 0); }).contains("waves"));
    }

    // ------------------------------------------------------------ csv-series

    void csvSeriesWindowsOfEveryNumericColumn() {
        QTemporaryDir dir;
        const std::string path = write_file(dir, "weather.csv", kWeather);
        // The day column is text, so the inputs are temp, rain, wind; window 3, horizon 1, stride 1 over
        // 8 rows: (8 - 3 - 1) / 1 + 1 = 5 samples.
        DatasetPtr d = make_dataset("csv-series", {{"path", path}, {"window", "3"}});
        QCOMPARE(d->task(), Task::Regression);
        QCOMPARE(d->size(), 5);
        QCOMPARE(d->feature_shape(), (Shape{3, 3}));
        QCOMPARE(d->target_dim(), 3);
        const auto& s = dynamic_cast<const CsvSeriesDataset&>(*d);
        QCOMPARE(s.rows(), 8);
        QCOMPARE(s.feature_names(), (std::vector<std::string>{"temp", "rain", "wind"}));
        QCOMPARE(s.target_names(), s.feature_names());
        // Rows 1..3 (1-based) in, row 4 out.
        QCOMPARE(features_of(*d, 0), (std::vector<float>{1, 10, 0.5f, 2, 20, 1.5f, 3, 30, 2.5f}));
        QCOMPARE(target_of(*d, 0), (std::vector<float>{4, 40, 3.5f}));
        // The last sample: rows 5..7 in, row 8 out.
        QCOMPARE(features_of(*d, 4), (std::vector<float>{5, 50, 4.5f, 6, 60, 5.5f, 7, 70, 6.5f}));
        QCOMPARE(target_of(*d, 4), (std::vector<float>{8, 80, 7.5f}));
        QCOMPARE(d->time_steps(4)->first, 4);
        QCOMPARE(d->time_steps(4)->last, 7);
        QVERIFY(error_of([&] { features_of(*d, 5); }).contains("out of range"));
        // A batch stacks to [B, T, F] and [B, targets], as sine-forecast's.
        DataLoader loader(d, {.batch_size = 2});
        const Batch b = *loader.next();
        QCOMPARE(b.features.shape(), (Shape{2, 3, 3}));
        QCOMPARE(b.targets.shape(), (Shape{2, 3}));
        QCOMPARE(b.targets.dtype(), DType::F32);
    }

    void csvSeriesColumnsTargetHorizonAndStride() {
        QTemporaryDir dir;
        const std::string path = write_file(dir, "weather.csv", kWeather);
        // Inputs temp and wind, target rain, window 2, horizon 3, stride 2: (8 - 2 - 3) / 2 + 1 = 2 samples.
        DatasetPtr d = make_dataset("csv-series", {{"path", path}, {"columns", "temp+wind"}, {"target", "rain"},
                                                   {"window", "2"}, {"horizon", "3"}, {"stride", "2"}});
        QCOMPARE(d->size(), 2);
        QCOMPARE(d->feature_shape(), (Shape{2, 2}));
        QCOMPARE(d->target_dim(), 3);
        QCOMPARE(features_of(*d, 0), (std::vector<float>{1, 0.5f, 2, 1.5f}));
        QCOMPARE(target_of(*d, 0), (std::vector<float>{30, 40, 50}));
        QCOMPARE(features_of(*d, 1), (std::vector<float>{3, 2.5f, 4, 3.5f}));
        QCOMPARE(target_of(*d, 1), (std::vector<float>{50, 60, 70}));

        // Two targets over a horizon of 2: step by step, [temp(t), rain(t), temp(t+1), rain(t+1)].
        d = make_dataset("csv-series", {{"path", path}, {"columns", "temp"}, {"target", "temp + rain"},
                                        {"window", "2"}, {"horizon", "2"}});
        QCOMPARE(d->size(), 5);
        QCOMPARE(d->feature_shape(), (Shape{2, 1}));
        QCOMPARE(d->target_dim(), 4);
        QCOMPARE(features_of(*d, 0), (std::vector<float>{1, 2}));
        QCOMPARE(target_of(*d, 0), (std::vector<float>{3, 30, 4, 40}));
        QCOMPARE(target_of(*d, 4), (std::vector<float>{7, 70, 8, 80}));

        // Columns by 0-based index, -1 the last; the order given is the order of the features.
        d = make_dataset("csv-series", {{"path", path}, {"columns", "-1+1"}, {"window", "1"}});
        QCOMPARE(dynamic_cast<const CsvSeriesDataset&>(*d).feature_names(), (std::vector<std::string>{"wind", "temp"}));
        QCOMPARE(features_of(*d, 2), (std::vector<float>{2.5f, 3}));
        QCOMPARE(target_of(*d, 2), (std::vector<float>{3.5f, 4}));

        // A text cell in a column that is not used is no error; the list splitter trims.
        QCOMPARE(split_column_list(" a + b c+d "), (std::vector<std::string>{"a", "b c", "d"}));
        QVERIFY(split_column_list("  ").empty());
    }

    void csvSeriesSplitsInTimeOrderWithoutLeakage() {
        QTemporaryDir dir;
        // One column whose value is its row index (0-based), so a value says which step it is.
        QByteArray csv = "step\n";
        for (int r = 0; r < 40; ++r) csv += QByteArray::number(r) + "\n";
        const std::string path = write_file(dir, "steps.csv", csv);

        // window 5, horizon 2: (40 - 7) + 1 = 34 samples; 25 % of them is round(8.5) = 9 validate, samples
        // 25..33 (steps 25..39). A training sample i reads steps i..i+6, so i + 6 < 25: samples 0..18.
        DatasetPtr d = make_dataset("csv-series", {{"path", path}, {"window", "5"}, {"horizon", "2"}});
        QCOMPARE(d->size(), 34);
        for (std::uint64_t seed : {1u, 7u}) {
            const Split s = train_val_split(d, 0.25, seed);
            QCOMPARE(s.val->indices(), (std::vector<std::int64_t>{25, 26, 27, 28, 29, 30, 31, 32, 33}));
            QCOMPARE(s.train->size(), 19);
            QCOMPARE(s.train->indices().back(), 18);
            float last_train_target = -1, first_val_input = 1e9f;
            for (std::int64_t i = 0; i < s.train->size(); ++i)
                for (float v : target_of(*s.train, i)) last_train_target = std::max(last_train_target, v);
            for (std::int64_t i = 0; i < s.val->size(); ++i)
                for (float v : features_of(*s.val, i)) first_val_input = std::min(first_val_input, v);
            QCOMPARE(last_train_target, 24.0f);
            QCOMPARE(first_val_input, 25.0f);
            QVERIFY(last_train_target < first_val_input);
            QCOMPARE(s.val->time_steps(0)->first, 25);
        }

        // Stride 3: (40 - 7) / 3 + 1 = 12 samples starting at steps 0, 3, …, 33; 3 validate (from step 27);
        // training ends with sample 6 (steps 18..24); samples 7 and 8 (ending at 27 and 30) are dropped.
        d = make_dataset("csv-series", {{"path", path}, {"window", "5"}, {"horizon", "2"}, {"stride", "3"}});
        QCOMPARE(d->size(), 12);
        Split s = train_val_split(d, 0.25, 1);
        QCOMPARE(s.val->indices(), (std::vector<std::int64_t>{9, 10, 11}));
        QCOMPARE(s.train->indices(), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6}));
        QCOMPARE(target_of(*s.train, 6), (std::vector<float>{23, 24}));
        QCOMPARE(features_of(*s.val, 0)[0], 27.0f);

        // No validation: every sample trains. A tail that leaves nothing before it: an error.
        s = train_val_split(d, 0.0, 1);
        QCOMPARE(s.train->size(), 12);
        QCOMPARE(s.val->size(), 0);
        DatasetPtr wide = make_dataset("csv-series", {{"path", path}, {"window", "30"}});
        QCOMPARE(wide->size(), 10);
        const QString e = error_of([&] { train_val_split(wide, 0.5, 1); });
        QVERIFY2(e.contains("time series") && e.contains("validation fraction"), qPrintable(e));
        // Independent samples are split as before (shuffled).
        QVERIFY(!make_dataset("reverse", {{"n", "10"}})->time_steps(0));
        // sine-forecast's windows are one series too: the last 20 of 100 validate (steps 80 on); the last
        // training window, 71, reads steps 71..79 (8 inputs and the target).
        const DatasetPtr sine = make_dataset("sine-forecast", {{"n", "100"}, {"length", "8"}});
        QCOMPARE(sine->time_steps(3)->first, 3);
        QCOMPARE(sine->time_steps(3)->last, 11);
        s = train_val_split(sine, 0.2, 1);
        QCOMPARE(s.val->indices().front(), 80);
        QCOMPARE(s.val->size(), 20);
        QCOMPARE(s.train->indices().back(), 71);
        QCOMPARE(s.train->size(), 72);
        // And text's: sample i reads characters 4i .. 4i+16 (stride 4, length 16); the last 10 of 50 validate
        // (characters 160 on), so training ends with sample 35 (characters 140..156).
        const DatasetPtr text = make_dataset("text", {{"length", "16"}, {"stride", "4"}, {"max_samples", "50"}});
        QCOMPARE(text->time_steps(2)->first, 8);
        QCOMPARE(text->time_steps(2)->last, 24);
        s = train_val_split(text, 0.2, 1);
        QCOMPARE(s.val->indices().front(), 40);
        QCOMPARE(s.train->indices().back(), 35);
        QCOMPARE(s.train->size(), 36);
    }

    void csvSeriesIsStandardizedWithTheTrainingPartOnly() {
        QTemporaryDir dir;
        QByteArray csv = "step\n";
        for (int r = 0; r < 40; ++r) csv += QByteArray::number(r) + "\n";
        const std::string path = write_file(dir, "steps.csv", csv);
        // A model over the [5, 1] windows: Flatten → Linear(2) → MSELoss.
        graph::ModelGraph g;
        const auto in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{5, 1}}});
        const auto flat = g.add_node("Flatten", "flat");
        const auto fc = g.add_node("Linear", "fc", {{"out_features", std::int64_t{2}}});
        const auto loss = g.add_node("Loss", "loss", {{"type", std::string("MSELoss")}});
        g.add_edge(in, flat);
        g.add_edge(flat, fc);
        g.add_edge(fc, loss);
        project::Project p;
        p.model_json = graph::to_json(g);
        train::DatasetSpec spec;
        spec.name = "csv-series";
        spec.params = {{"path", path}, {"window", "5"}, {"horizon", "2"}};
        p.dataset_json = spec.to_json();
        train::TrainConfig c;
        c.val_fraction = 0.25;
        // The training part is samples 0..18 (see above): position t of their windows holds i + t for
        // i = 0..18, so its mean is 9 + t and its std that of 0..18, sqrt((19² - 1) / 12) = sqrt(30).
        // Over all 34 samples the mean would be 16.5 + t.
        train::Experiment ex(p, c);
        QVERIFY(ex.standardizer().fitted());
        QCOMPARE(ex.standardizer().num_features(), 5);
        for (int t = 0; t < 5; ++t) {
            QVERIFY2(std::abs(ex.standardizer().mean()[static_cast<std::size_t>(t)] - (9.0 + t)) < 1e-9,
                     qPrintable(QString::number(ex.standardizer().mean()[static_cast<std::size_t>(t)])));
            QVERIFY(std::abs(ex.standardizer().scale()[static_cast<std::size_t>(t)] - std::sqrt(30.0)) < 1e-9);
        }
        // Targets stay in the file's units, as csv's and sine-forecast's do.
        const auto split = train_val_split(make_dataset("csv-series", spec.params), 0.25, 1);
        QCOMPARE(target_of(*split.val, 0), (std::vector<float>{30, 31}));
    }

    void csvSeriesTrainsTheSineForecastModel() {
        // The sine-forecast example's graph (GRU → LastStep → Linear → MSELoss) on a CSV series.
        QTemporaryDir dir;
        QByteArray csv = "t,x\n";
        for (int r = 0; r < 300; ++r)
            csv += QByteArray::number(r) + "," + QByteArray::number(std::sin(2 * std::numbers::pi * r / 20.0), 'g', 9) + "\n";
        const std::string path = write_file(dir, "sine.csv", csv);
        graph::ModelGraph g = graph::from_json(read_text(NEURA_SOURCE_DIR "/projects/src/sine-forecast-gru.model.json"));
        g.set_attribute(g.find_node("input"), "shape", std::vector<std::int64_t>{16, 1});
        project::Project p;
        p.model_json = graph::to_json(g);
        train::DatasetSpec spec;
        spec.name = "csv-series";
        spec.params = {{"path", path}, {"columns", "x"}, {"window", "16"}};
        p.dataset_json = spec.to_json();
        train::TrainConfig c;
        c.epochs = 8;
        c.lr = 0.01;
        train::Experiment ex(p, c);
        const train::FitResult r = ex.run({}, nullptr);
        QCOMPARE(r.status, train::FitStatus::Completed);
        const double first = r.history.front().val_loss, last = r.history.back().val_loss;
        QVERIFY2(last < 0.05 && last < first, qPrintable(QString("%1 -> %2").arg(first).arg(last)));
    }

    void csvSeriesErrorsNameTheFileAndTheProblem() {
        QTemporaryDir dir;
        const std::string good = write_file(dir, "weather.csv", kWeather);
        const auto make = [](const DatasetParams& p) { return make_dataset("csv-series", p); };
        const auto expect = [](const QString& e, const QStringList& parts) {
            for (const QString& part : parts) QVERIFY2(e.contains(part), qPrintable(part + " not in: " + e));
        };

        // A missing file.
        const std::string missing = dir.filePath("missing.csv").toStdString();
        expect(error_of([&] { make({{"path", missing}}); }), {"missing.csv", "no such file"});
        // A text cell in a used column, with its line (the header is line 1).
        QByteArray bad = kWeather;
        bad.replace("2024-01-05,5,", "2024-01-05,n/a,");
        const std::string text_cell = write_file(dir, "text-cell.csv", bad);
        expect(error_of([&] { make({{"path", text_cell}}); }),
               {"text-cell.csv:6:", "column 2 ('temp')", "'n/a' is not a number"});
        expect(error_of([&] { make({{"path", text_cell}, {"target", "temp"}, {"columns", "rain"}}); }),
               {"text-cell.csv:6:", "'n/a' is not a number"});
        QCOMPARE(make({{"path", text_cell}, {"columns", "rain+wind"}, {"window", "1"}})->size(), 7);  // temp unused: fine
        bad = kWeather;
        bad.replace("2024-01-05,5,50,", "2024-01-05,5,,");
        const std::string empty_cell = write_file(dir, "empty-cell.csv", bad);
        expect(error_of([&] { make({{"path", empty_cell}}); }), {"empty-cell.csv:6:", "('rain')", "empty cell"});
        // Columns that do not exist, by name and by index, as inputs and as targets.
        expect(error_of([&] { make({{"path", good}, {"columns", "temp+pressure"}}); }),
               {"weather.csv", "no column named 'pressure'", "day, temp, rain, wind"});
        expect(error_of([&] { make({{"path", good}, {"target", "snow"}}); }), {"weather.csv", "no column named 'snow'"});
        expect(error_of([&] { make({{"path", good}, {"columns", "7"}}); }),
               {"weather.csv", "input column 7 does not exist", "4 columns"});
        expect(error_of([&] { make({{"path", good}, {"columns", "temp+temp"}}); }), {"weather.csv", "'temp' is named twice"});
        expect(error_of([&] { make({{"path", good}, {"columns", "temp++rain"}}); }), {"weather.csv", "empty input column"});
        // The day column named as an input: its dates are not numbers.
        expect(error_of([&] { make({{"path", good}, {"columns", "day"}}); }),
               {"weather.csv:2:", "('day')", "'2024-01-01' is not a number"});
        const std::string words = write_file(dir, "words.csv", "a,b\nc,d\n");
        expect(error_of([&] { make({{"path", words}}); }), {"words.csv", "no numeric column"});
        const std::string empty = write_file(dir, "empty.csv", "");
        expect(error_of([&] { make({{"path", empty}}); }), {"empty.csv", "empty"});
        const std::string ragged = write_file(dir, "ragged.csv", "a,b\n1,2\n3\n");
        expect(error_of([&] { make({{"path", ragged}}); }), {"ragged.csv:3:", "1 cells, expected 2"});
        // A window (with the horizon) longer than the series: 8 rows.
        expect(error_of([&] { make({{"path", good}, {"window", "8"}}); }),
               {"weather.csv", "the series has 8 rows", "window + horizon = 8 + 1 = 9"});
        expect(error_of([&] { make({{"path", good}, {"window", "5"}, {"horizon", "4"}}); }),
               {"weather.csv", "fewer than window + horizon"});
        QCOMPARE(make({{"path", good}, {"window", "7"}})->size(), 1);  // exactly window + horizon rows
        // Zero or negative window, horizon or stride: the form refuses them by name, the reader by file.
        for (const char* key : {"window", "horizon", "stride"})
            for (const char* v : {"0", "-2"}) {
                const QString e = error_of([&] { make({{"path", good}, {key, v}}); });
                QVERIFY2(e.contains(QString("'%1'").arg(key)) && e.contains("minimum"), qPrintable(e));
            }
        expect(error_of([&] { (void)CsvSeriesDataset(good, {.window = 0}); }), {"weather.csv", "window must be in [1"});
        expect(error_of([&] { (void)CsvSeriesDataset(good, {.window = -3}); }), {"weather.csv", "got -3"});
        expect(error_of([&] { (void)CsvSeriesDataset(good, {.stride = 0}); }), {"weather.csv", "stride must be in [1"});
        expect(error_of([&] { (void)CsvSeriesDataset(good, {.stride = -1}); }), {"weather.csv", "stride", "got -1"});
        expect(error_of([&] { (void)CsvSeriesDataset(good, {.horizon = 0}); }), {"weather.csv", "horizon must be in [1"});
        // The path is required.
        expect(error_of([&] { make({}); }), {"'path'", "required"});
    }

    // ------------------------------------------------------------ text

    void textVocabularyAndSamples() {
        QTemporaryDir dir;
        const std::string path = write_file(dir, "t.txt", kText);
        const TextDataset d(path, {.length = 5, .stride = 2, .max_samples = 1000});

        // The expected characters, decoded by Qt.
        std::vector<char32_t> cps;
        for (auto u : QString::fromUtf8(kText).toUcs4()) cps.push_back(static_cast<char32_t>(u));
        const std::set<char32_t> distinct(cps.begin(), cps.end());
        const std::vector<char32_t> vocab(distinct.begin(), distinct.end());
        QCOMPARE(d.vocabulary(), vocab);
        QCOMPARE(d.num_classes(), static_cast<std::int64_t>(vocab.size()));
        QCOMPARE(d.characters(), static_cast<std::int64_t>(cps.size()));
        const auto index = [&](char32_t c) {
            return static_cast<std::int64_t>(std::lower_bound(vocab.begin(), vocab.end(), c) - vocab.begin());
        };
        const auto chars = static_cast<std::int64_t>(cps.size());
        QCOMPARE(d.size(), (chars - 5 - 1) / 2 + 1);
        QCOMPARE(d.task(), Task::Classification);
        QCOMPARE(d.feature_shape(), (Shape{5}));
        for (std::int64_t i = 0; i < d.size(); ++i) {
            const auto f = features_of(d, i);
            for (std::int64_t j = 0; j < 5; ++j)
                QCOMPARE(f[static_cast<std::size_t>(j)], static_cast<float>(index(cps[static_cast<std::size_t>(i * 2 + j)])));
            QCOMPARE(d.label(i), index(cps[static_cast<std::size_t>(i * 2 + 5)]));
        }
        // Sample 0 is "Héllo" followed by ' ': decode gives the text back.
        std::vector<std::int64_t> idx;
        for (float v : features_of(d, 0)) idx.push_back(static_cast<std::int64_t>(v));
        QCOMPARE(QString::fromStdString(d.decode(idx)), QStringLiteral("Héllo"));
        QCOMPARE(d.label(0), index(U' '));

        // Printable class names.
        const auto names = d.class_names();
        QCOMPARE(names.size(), vocab.size());
        QCOMPARE(names[static_cast<std::size_t>(index(U'\n'))], std::string("\u23CE"));
        QCOMPARE(names[static_cast<std::size_t>(index(U' '))], std::string("\u2423"));
        QCOMPARE(names[static_cast<std::size_t>(index(U'\t'))], std::string("\u21E5"));
        QCOMPARE(QString::fromStdString(names[static_cast<std::size_t>(index(U'é'))]), QStringLiteral("é"));
        QCOMPARE(QString::fromStdString(names[static_cast<std::size_t>(index(U'\U0001F389'))]), QStringLiteral("🎉"));
        QCOMPARE(names[static_cast<std::size_t>(index(U'A'))], std::string("A"));
    }

    void textBatchesFeedAnEmbedding() {
        QTemporaryDir dir;
        const std::string path = write_file(dir, "t.txt", kText);
        auto d = std::make_shared<TextDataset>(path, TextOptions{.length = 6, .stride = 1, .max_samples = 1000});
        DataLoader loader(d, {.batch_size = 4, .shuffle = true, .seed = 3});
        const Batch b = *loader.next();
        QCOMPARE(b.features.shape(), (Shape{4, 6}));
        QCOMPARE(b.features.dtype(), DType::F32);
        QCOMPARE(b.targets.shape(), (Shape{4}));
        QCOMPARE(b.targets.dtype(), DType::I64);
        for (float v : b.features.to_vector<float>()) {
            QCOMPARE(v, std::round(v));
            QVERIFY(v >= 0 && v < static_cast<float>(d->num_classes()));
        }
        nn::Embedding emb(d->num_classes(), 3);
        const Tensor y = emb.forward(b.features.to(DType::I64));
        QCOMPARE(y.shape(), (Shape{4, 6, 3}));

        // A compiled model takes the F32 batch as it is: the Embedding node's Indices port converts it.
        using namespace neura::graph;
        ModelGraph g;
        const NodeId in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{6}}});
        const NodeId e = g.add_node("Embedding", "emb", {{"num_embeddings", d->num_classes()}, {"embedding_dim", std::int64_t{4}}});
        const NodeId f = g.add_node("Flatten", "flat");
        const NodeId fc = g.add_node("Linear", "fc", {{"out_features", d->num_classes()}});
        const NodeId loss = g.add_node("Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
        g.add_edge(in, e);
        g.add_edge(e, f);
        g.add_edge(f, fc);
        g.add_edge(fc, loss);
        Network net = compile(g, 1);
        const Tensor out = net.forward(b.features);
        QCOMPARE(out.shape(), (Shape{4, d->num_classes()}));
        const double l = net.loss(out, b.targets).item<float>();
        QVERIFY2(std::isfinite(l) && l > 0, qPrintable(QString::number(l)));
    }

    void textMaxSamplesKeepsTheFirstWindows() {
        QTemporaryDir dir;
        const std::string path = write_file(dir, "t.txt", kText);
        const TextDataset all(path, {.length = 4, .stride = 1, .max_samples = 1000});
        const TextDataset some(path, {.length = 4, .stride = 1, .max_samples = 5});
        QCOMPARE(some.size(), 5);
        QCOMPARE(all.size(), all.characters() - 4);
        QCOMPARE(some.vocabulary(), all.vocabulary());  // the whole file's characters
        for (std::int64_t i = 0; i < 5; ++i) {
            QCOMPARE(features_of(some, i), features_of(all, i));
            QCOMPARE(some.label(i), all.label(i));
        }
        // Exactly length + 1 characters: one sample.
        const std::string tiny = write_file(dir, "tiny.txt", "abcab");
        const TextDataset one(tiny, {.length = 4, .stride = 3, .max_samples = 10});
        QCOMPARE(one.size(), 1);
        QCOMPARE(one.label(0), 1);  // 'b' in {a, b, c}
        QVERIFY(error_of([&] { (void)TextDataset(tiny, {.length = 5, .stride = 1, .max_samples = 10}); }).contains("fewer than"));
    }

    void textReadsGzipAndSkipsTheByteOrderMark() {
        QTemporaryDir dir;
        const std::string plain = write_file(dir, "t.txt", kText);
        const std::string gz = write_gz(dir, "t.txt.gz", kText);
        const std::string bom = write_file(dir, "bom.txt", QByteArray("\xEF\xBB\xBF") + kText);
        const TextDataset a(plain, {.length = 8, .stride = 3, .max_samples = 100});
        const TextDataset b(gz, {.length = 8, .stride = 3, .max_samples = 100});
        const TextDataset c(bom, {.length = 8, .stride = 3, .max_samples = 100});
        QCOMPARE(b.vocabulary(), a.vocabulary());
        QCOMPARE(c.vocabulary(), a.vocabulary());
        QCOMPARE(b.size(), a.size());
        QCOMPARE(c.size(), a.size());
        for (std::int64_t i = 0; i < a.size(); ++i) {
            QCOMPARE(features_of(b, i), features_of(a, i));
            QCOMPARE(features_of(c, i), features_of(a, i));
            QCOMPARE(b.label(i), a.label(i));
        }
    }

    void textErrorsNameTheFile() {
        QTemporaryDir dir;
        const TextOptions o{.length = 2, .stride = 1, .max_samples = 10};
        const std::string missing = dir.filePath("missing.txt").toStdString();
        QString e = error_of([&] { (void)TextDataset(missing, o); });
        QVERIFY2(e.contains("missing.txt"), qPrintable(e));

        const std::string empty = write_file(dir, "empty.txt", "");
        e = error_of([&] { (void)TextDataset(empty, o); });
        QVERIFY2(e.contains("empty.txt") && e.contains("empty"), qPrintable(e));
        const std::string empty_gz = write_gz(dir, "empty.txt.gz", "");
        e = error_of([&] { (void)TextDataset(empty_gz, o); });
        QVERIFY2(e.contains("empty.txt.gz") && e.contains("empty"), qPrintable(e));

        // Bytes that are not UTF-8: a stray 0xFF, an overlong '/', a surrogate, a cut-off sequence,
        // a Latin-1 'é', a code point above U+10FFFF.
        const std::vector<std::pair<QByteArray, int>> bad = {
            {"abc\xFF" "def", 3}, {"ab\xC0\xAF" "cd", 2}, {"a\xED\xA0\x80" "bc", 1},
            {"abcd\xE2\x82", 4}, {"caf\xE9 au lait", 3}, {"xy\xF4\x90\x80\x80" "z", 2}};
        int k = 0;
        for (const auto& [bytes, offset] : bad) {
            const std::string p = write_file(dir, QStringLiteral("bad%1.txt").arg(k++), bytes);
            e = error_of([&] { (void)TextDataset(p, o); });
            QVERIFY2(e.contains(QString::fromStdString(p)) && e.contains("UTF-8") &&
                         e.contains(QStringLiteral("byte %1 ").arg(offset)),
                     qPrintable(e));
        }
        // A truncated gzip stream.
        const std::string gz = write_gz(dir, "cut.txt.gz", QByteArray(5000, 'x') + kText);
        QFile f(QString::fromStdString(gz));
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.resize(f.size() / 2));
        f.close();
        e = error_of([&] { (void)TextDataset(gz, o); });
        QVERIFY2(e.contains("cut.txt.gz"), qPrintable(e));
        // A binary file that is not text.
        const std::string bin = write_file(dir, "bin.dat", QByteArray("\x89PNG\r\n\x1a\n\x00\x00", 10));
        e = error_of([&] { (void)TextDataset(bin, o); });
        QVERIFY2(e.contains("bin.dat") && e.contains("UTF-8"), qPrintable(e));
    }

    void textAcceptsExactlyValidUtf8() {
        // Random byte strings rich in UTF-8 boundary bytes: the reader accepts exactly those Qt's UTF-8
        // decoder decodes without error, with the same number of characters, and never crashes.
        static constexpr unsigned char kBytes[] = {0x41, 0x0A, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
                                                   0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
        QTemporaryDir dir;
        std::uint64_t state = 12345;
        const auto next = [&] {
            state = state * 6364136223846793005ull + 1442695040888963407ull;
            return static_cast<std::size_t>(state >> 33);
        };
        int accepted = 0, rejected = 0;
        for (int trial = 0; trial < 400; ++trial) {
            QByteArray bytes("ab");
            const std::size_t n = 1 + next() % 4;
            for (std::size_t k = 0; k < n; ++k) {
                if (next() % 4 == 0) {
                    bytes += static_cast<char>(kBytes[next() % sizeof kBytes]);
                } else {  // a valid character, often at an encoding-length boundary
                    static constexpr char32_t kEdges[] = {0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF};
                    const char32_t c = next() % 2 ? kEdges[next() % std::size(kEdges)]
                                                  : static_cast<char32_t>(0xE000 + next() % 0x2000);
                    bytes += QString::fromUcs4(&c, 1).toUtf8();
                }
            }
            const std::string path = write_file(dir, QStringLiteral("r%1.txt").arg(trial), bytes);
            QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
            const QString decoded = decoder(bytes);
            const bool valid = !decoder.hasError();
            std::int64_t chars = -1;
            const QString e = error_of([&] { chars = TextDataset(path, {.length = 1, .stride = 1, .max_samples = 100}).characters(); });
            QVERIFY2(valid == e.isEmpty(), qPrintable(QString::fromLatin1(bytes.toHex(' ')) + ": " + e));
            if (valid) {
                QCOMPARE(chars, static_cast<std::int64_t>(decoded.toUcs4().size()));
                ++accepted;
            } else {
                QVERIFY2(e.contains("UTF-8"), qPrintable(e));
                ++rejected;
            }
        }
        QVERIFY2(accepted > 50 && rejected > 50, qPrintable(QStringLiteral("%1 accepted, %2 rejected").arg(accepted).arg(rejected)));
    }

    void textThroughTheRegistry() {
        const DatasetInfo& info = dataset_info("text");
        QCOMPARE(info.task, Task::Classification);
        std::vector<std::string> names, defaults;
        for (const auto& p : info.params) {
            names.push_back(p.name);
            defaults.push_back(p.default_value);
        }
        QCOMPARE(names, (std::vector<std::string>{"path", "length", "stride", "max_samples"}));
        QCOMPARE(defaults, (std::vector<std::string>{"tinyshakespeare.txt.gz", "64", "3", "20000"}));
        QCOMPARE(info.params[0].kind, DatasetParam::Kind::Path);

        QTemporaryDir dir;
        const std::string path = write_file(dir, "t.txt", kText);
        DatasetPtr d = make_dataset("text", {{"path", path}, {"length", "3"}, {"stride", "4"}, {"max_samples", "2"}});
        QCOMPARE(d->size(), 2);
        QCOMPARE(d->feature_shape(), (Shape{3}));
        const TextDataset direct(path, {.length = 3, .stride = 4, .max_samples = 2});
        QCOMPARE(features_of(*d, 1), features_of(direct, 1));
        QCOMPARE(d->label(1), direct.label(1));

        for (const char* bad : {"length=0", "stride=0", "max_samples=0", "length=100001"}) {
            const QString kv = QString::fromLatin1(bad);
            const std::string key = kv.section('=', 0, 0).toStdString();
            const QString e = error_of([&] { make_dataset("text", {{key, kv.section('=', 1).toStdString()}}); });
            QVERIFY2(e.contains(QString::fromStdString("'" + key + "'")), qPrintable(kv + ": " + e));
        }
        QString e = error_of([] { make_dataset("text", {{"path", "no-such-corpus.txt"}}); });
        QVERIFY2(e.contains("no-such-corpus.txt"), qPrintable(e));
        e = error_of([] { make_dataset("text", {{"path", ""}}); });
        QVERIFY2(e.contains("'path'"), qPrintable(e));
    }

    // ---- token tasks: a class per step ----

    void tokenTasksHoldTheirRule() {
        for (const TokenTask task : {TokenTask::Copy, TokenTask::Reverse, TokenTask::Sort}) {
            const TokenTaskDataset d(task, 300, 7, 5, 11);
            QCOMPARE(d.size(), 300);
            QCOMPARE(d.feature_shape(), (Shape{7}));
            QCOMPARE(d.task(), Task::Classification);
            QCOMPARE(d.num_classes(), 5);
            QCOMPARE(d.label_steps(), 7);
            QVERIFY(d.token_features());
            std::set<std::int64_t> seen;
            for (std::int64_t i = 0; i < d.size(); ++i) {
                const Example ex = d.get(i);
                QCOMPARE(ex.target.shape(), (Shape{7}));
                QCOMPARE(ex.target.dtype(), DType::I64);
                std::vector<std::int64_t> in;
                for (float v : ex.features.to_vector<float>()) {
                    QCOMPARE(v, std::round(v));
                    in.push_back(static_cast<std::int64_t>(v));
                    seen.insert(in.back());
                }
                std::vector<std::int64_t> want = in;
                if (task == TokenTask::Reverse) want.assign(in.rbegin(), in.rend());
                if (task == TokenTask::Sort) std::sort(want.begin(), want.end());
                QCOMPARE(ex.target.to_vector<std::int64_t>(), want);
            }
            QCOMPARE(seen, (std::set<std::int64_t>{0, 1, 2, 3, 4}));  // 2100 draws reach every token
        }
        // The same seed draws the same tokens for every task; another seed others.
        const TokenTaskDataset copy(TokenTask::Copy, 50, 8, 10, 3), reverse(TokenTask::Reverse, 50, 8, 10, 3);
        const TokenTaskDataset other(TokenTask::Copy, 50, 8, 10, 4);
        QCOMPARE(copy.features().to_vector<float>(), reverse.features().to_vector<float>());
        QVERIFY(copy.features().to_vector<float>() != other.features().to_vector<float>());
        QCOMPARE(TokenTaskDataset(TokenTask::Copy, 50, 8, 10, 3).features().to_vector<float>(),
                 copy.features().to_vector<float>());
        // Tokens are uniform: each of 10 tokens is about a tenth of 400 000 draws.
        const TokenTaskDataset big(TokenTask::Copy, 50'000, 8, 10, 1);
        for (std::int64_t c : big.class_counts()) QVERIFY2(std::abs(c - 40'000) < 1'000, qPrintable(QString::number(c)));
    }

    void tokenTaskBatchesHaveAClassPerStep() {
        auto d = std::make_shared<TokenTaskDataset>(TokenTask::Reverse, 100, 6, 9, 2);
        DataLoader loader(d, {.batch_size = 8, .shuffle = true, .seed = 5});
        const Batch b = *loader.next();
        QCOMPARE(b.features.shape(), (Shape{8, 6}));
        QCOMPARE(b.targets.shape(), (Shape{8, 6}));
        QCOMPARE(b.targets.dtype(), DType::I64);
        const auto f = b.features.to_vector<float>();
        const auto t = b.targets.to_vector<std::int64_t>();
        for (std::int64_t r = 0; r < 8; ++r)
            for (std::int64_t j = 0; j < 6; ++j)
                QCOMPARE(t[static_cast<std::size_t>(r * 6 + j)], static_cast<std::int64_t>(f[static_cast<std::size_t>(r * 6 + 5 - j)]));
        // Through a split (a Subset) and the registry, the rows and their labels stay together.
        const Split s = train_val_split(make_dataset("sort", {{"n", "40"}, {"length", "5"}, {"vocab", "4"}}), 0.25, 1);
        QCOMPARE(s.val->size(), 10);
        QCOMPARE(s.val->label_steps(), 5);
        QVERIFY(s.val->token_features());
        const Batch v = s.val->get_batch({0, 9});
        const auto features = v.features.to_vector<float>();
        std::vector<float> row(features.begin(), features.begin() + 5);
        std::sort(row.begin(), row.end());
        const auto labels = v.targets.to_vector<std::int64_t>();
        for (int j = 0; j < 5; ++j) QCOMPARE(labels[static_cast<std::size_t>(j)], static_cast<std::int64_t>(row[static_cast<std::size_t>(j)]));
        QVERIFY(error_of([&] { s.val->label(0); }).contains("per time step"));
    }

    void tokenTaskParametersAndErrors() {
        QVERIFY(error_of([] { TokenTaskDataset(TokenTask::Sort, 10, 8, 1, 0); }).contains("sort: vocab must be at least 2"));
        QVERIFY(error_of([] { TokenTaskDataset(TokenTask::Copy, 0, 8, 10, 0); }).contains("copy: n must be at least 1"));
        QVERIFY(error_of([] { TokenTaskDataset(TokenTask::Reverse, 10'000'000, 4096, 10, 0); })
                    .contains("more than 50000000 tokens"));
        QVERIFY(error_of([] { make_dataset("reverse", {{"length", "0"}}); }).contains("'length'"));
        const DatasetPtr d = make_dataset("reverse");
        QCOMPARE(d->size(), 5000);
        QCOMPARE(d->feature_shape(), (Shape{8}));
        QCOMPARE(d->num_classes(), 10);
        // Per-step labels may mark padding; anything else negative is refused.
        const Tensor f = Tensor::zeros({2, 3});
        const TensorDataset padded(f, Tensor::from_vector<std::int64_t>({0, 1, kIgnoreLabel, 2, kIgnoreLabel, kIgnoreLabel}, {2, 3}));
        QCOMPARE(padded.num_classes(), 3);
        QCOMPARE(padded.class_counts(), (std::vector<std::int64_t>{1, 1, 1}));
        QVERIFY(error_of([&] { TensorDataset(f, Tensor::from_vector<std::int64_t>({0, -1, 0, 0, 0, 0}, {2, 3})); })
                    .contains("negative class label -1 at row 0"));
    }

    void perStepCrossEntropyIsPyTorchsOverTheStepsTheTargetsLabel() {
        // A [B, T, C] output with [B, T] class targets: PyTorch's cross_entropy(logits.transpose(1, 2),
        // targets, ignore_index=-100), i.e. the mean over labelled steps of -log softmax(step)[target].
        using namespace neura::graph;
        ModelGraph g;
        const NodeId in = g.add_node("Input", "input", {{"shape", std::vector<std::int64_t>{3, 4}}});
        const NodeId loss = g.add_node("Loss", "loss", {{"type", std::string("CrossEntropyLoss")}});
        const NodeId id = g.add_node("Linear", "fc", {{"out_features", std::int64_t{4}}});
        g.add_edge(in, id);
        g.add_edge(id, loss);
        Network net = compile(g, 1);
        // logits [2, 3, 4]; targets with two padding steps.
        const std::vector<double> z = {0.5, -1.0, 2.0, 0.0,  1.0, 1.0, 1.0, 1.0,  -2.0, 0.3, 0.1, 0.7,
                                       3.0, 0.0, -1.0, 0.5,  0.2, 0.4, 0.6, 0.8,  1.5, -0.5, 0.0, 2.5};
        const Tensor logits = Tensor::from_vector<double>(z, {2, 3, 4}).to(DType::F32).requires_grad_(true);
        const Tensor t = Tensor::from_vector<std::int64_t>({2, kIgnoreLabel, 1, 0, 3, kIgnoreLabel}, {2, 3});
        const Tensor l = net.loss(logits, t);
        double want = 0.0;
        const std::vector<std::pair<int, int>> labelled = {{0, 2}, {2, 1}, {3, 0}, {4, 3}};  // (step row, class)
        for (const auto& [row, cls] : labelled) {
            double lse = 0.0;
            for (int c = 0; c < 4; ++c) lse += std::exp(z[static_cast<std::size_t>(row * 4 + c)]);
            want += std::log(lse) - z[static_cast<std::size_t>(row * 4 + cls)];
        }
        want /= 4.0;
        QVERIFY2(std::abs(l.item<double>() - want) < 1e-6, qPrintable(QString("%1 vs %2").arg(l.item<double>()).arg(want)));
        // Padding steps get no gradient.
        l.backward();
        const auto grad = logits.grad().to_vector<float>();
        for (int row : {1, 5})
            for (int c = 0; c < 4; ++c) QCOMPARE(grad[static_cast<std::size_t>(row * 4 + c)], 0.0f);
        // The same through the ignore_index attribute: now the 0 labels are padding too.
        g.set_attribute(loss, "ignore_index", std::int64_t{0});
        Network net0 = compile(g, 1);
        const Tensor t0 = Tensor::from_vector<std::int64_t>({2, 0, 1, 0, 3, 0}, {2, 3});
        QVERIFY(std::abs(net0.loss(logits, t0).item<double>() -
                         (want * 4.0 - (std::log(std::exp(3.0) + 1.0 + std::exp(-1.0) + std::exp(0.5)) - 3.0)) / 3.0) < 1e-6);
        // A class per sample is as before: [B, C] with [B].
        const Tensor two = Tensor::from_vector<double>({0.0, 1.0, 2.0, 3.0}, {1, 4}).to(DType::F32);
        QVERIFY(std::abs(net.loss(two, Tensor::from_vector<std::int64_t>({3}, {1})).item<double>() -
                         (std::log(1 + std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0)) < 1e-6);
    }

    void perStepAccuracyLeavesPaddingOut() {
        // argmax per step: rows 0..5 predict classes 2, 0, 1, 0, 3, 3.
        const std::vector<double> z = {0.5, -1.0, 2.0, 0.0,  1.0, 0.0, 0.0, 0.0,  -2.0, 0.3, 0.1, 0.2,
                                       3.0, 0.0, -1.0, 0.5,  0.2, 0.4, 0.6, 0.8,  1.5, -0.5, 0.0, 2.5};
        const Tensor logits = Tensor::from_vector<double>(z, {2, 3, 4}).to(DType::F32);
        // Labelled steps 0, 2, 3, 4: right, wrong (2 vs 1), right, right → 3/4; steps 1 and 5 are padding.
        QCOMPARE(train::accuracy(logits, Tensor::from_vector<std::int64_t>({2, kIgnoreLabel, 2, 0, 3, kIgnoreLabel}, {2, 3})), 0.75);
        QCOMPARE(train::accuracy(logits, Tensor::from_vector<std::int64_t>({2, 0, 1, 0, 3, 3}, {2, 3})), 1.0);
        QCOMPARE(train::accuracy(logits, Tensor::full({2, 3}, static_cast<double>(kIgnoreLabel), DType::I64)), -1.0);
        QCOMPARE(train::accuracy(logits, Tensor::from_vector<std::int64_t>({2, 0}, {2})), -1.0);  // shapes disagree
    }

    void tokenFeaturesAreNeverStandardized() {
        project::Project p;
        graph::ModelGraph g;
        using L = std::vector<std::int64_t>;
        const auto in = g.add_node("Input", "input", {{"shape", L{6}}});
        const auto e = g.add_node("Embedding", "emb", {{"num_embeddings", std::int64_t{5}}, {"embedding_dim", std::int64_t{8}}});
        const auto fc = g.add_node("Linear", "fc", {{"out_features", std::int64_t{5}}});
        const auto loss = g.add_node("Loss", "loss");
        g.add_edge(in, e);
        g.add_edge(e, fc);
        g.add_edge(fc, loss);
        p.model_json = graph::to_json(g);
        train::DatasetSpec spec;
        spec.name = "copy";
        spec.params = {{"n", "200"}, {"length", "6"}, {"vocab", "5"}};
        p.dataset_json = spec.to_json();
        train::TrainConfig c;
        c.epochs = 30;
        c.lr = 0.05;
        c.normalize = true;  // asked for, and not done to token indices
        p.train_config_json = c.to_json();
        train::Experiment ex(p, c);
        const train::FitResult r = ex.run({}, nullptr);
        QCOMPARE(r.status, train::FitStatus::Completed);
        QVERIFY(!ex.standardizer().fitted());
        // Copying a token through an embedding and a linear layer is learned exactly.
        QVERIFY2(r.history.back().val_accuracy > 0.99, qPrintable(QString::number(r.history.back().val_accuracy)));
    }

    void textDefaultIsTinyShakespeare() {
        DatasetPtr d = make_dataset("text");
        QCOMPARE(d->size(), 20000);
        QCOMPARE(d->num_classes(), 65);  // Tiny Shakespeare's distinct characters
        QCOMPARE(d->feature_shape(), (Shape{64}));
        const auto& t = dynamic_cast<const TextDataset&>(*d);
        QCOMPARE(t.characters(), 1'115'394);
        // Against the file read with zlib here.
        const QByteArray text = gunzip(NEURA_SOURCE_DIR "/resources/datasets/tinyshakespeare.txt.gz");
        QCOMPARE(text.size(), 1'115'394);
        for (std::int64_t i : {std::int64_t{0}, std::int64_t{1}, std::int64_t{19999}}) {
            std::vector<std::int64_t> idx;
            for (float v : features_of(*d, i)) idx.push_back(static_cast<std::int64_t>(v));
            QCOMPARE(QByteArray::fromStdString(t.decode(idx)), text.mid(i * 3, 64));
            QCOMPARE(QByteArray::fromStdString(t.decode({d->label(i)})), text.mid(i * 3 + 64, 1));
        }
        QVERIFY(text.startsWith("First Citizen:\n"));
    }
};

QTEST_APPLESS_MAIN(TestSequenceData)
#include "tst_sequence_data.moc"
