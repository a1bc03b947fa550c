// The shipped UCI datasets and the datasets folder lookup.
#include <QtTest>

#include <cstdlib>
#include <filesystem>

#include "neura/data/BuiltinDatasets.h"
#include "neura/neura.h"

using namespace neura;
using namespace neura::data;

namespace {

// Sets an environment variable for one scope.
class EnvGuard {
public:
    EnvGuard(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) qputenv(name, value);
        else qunsetenv(name);
    }
    ~EnvGuard() {
        if (old_) qputenv(name_, old_->c_str());
        else qunsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace

class TestBuiltin : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        // Tests run from the build tree: the source tree's folder must be found without help.
        qunsetenv("NEURA_DATA_DIR");
    }

    void datasetsDirFindsSourceTree() {
        const auto dir = datasets_dir();
        QVERIFY(std::filesystem::exists(dir / "iris.csv"));
        QCOMPARE(std::filesystem::weakly_canonical(dir),
                 std::filesystem::weakly_canonical(std::filesystem::path(NEURA_SOURCE_DIR) / "resources" / "datasets"));
        QVERIFY(std::filesystem::exists(dir / "README.md"));
    }

    void datasetsDirHonoursEnvironment() {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        {
            EnvGuard env("NEURA_DATA_DIR", tmp.path().toUtf8().constData());
            QCOMPARE(datasets_dir(), std::filesystem::path(tmp.path().toStdString()));
            // The folder is empty: loaders name the missing file.
            try {
                (void)iris();
                QFAIL("iris() found a file in an empty folder");
            } catch (const neura::Error& e) {
                QVERIFY2(QString(e.what()).contains("iris.csv"), e.what());
            }
        }
        {
            EnvGuard env("NEURA_DATA_DIR", "/no/such/neura/folder");
            QVERIFY_THROWS_EXCEPTION(neura::Error, datasets_dir());
        }
    }

    void digitsFlat() {
        auto d = digits();
        QCOMPARE(d->size(), 1797);
        QCOMPARE(d->feature_shape(), (Shape{64}));
        QCOMPARE(d->num_classes(), 10);
        // Class counts computed once from resources/datasets/digits.csv.gz with Debian's /usr/bin/python3.
        QCOMPARE(d->class_counts(), (std::vector<std::int64_t>{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}));
        const auto f = d->features().to_vector<float>();
        QCOMPARE(*std::min_element(f.begin(), f.end()), 0.0f);
        QCOMPARE(*std::max_element(f.begin(), f.end()), 16.0f);
        // The first row of the file: 0,0,5,13,9,1,0,0,0,0,13,15,… label 0.
        QCOMPARE(d->label(0), 0);
        QCOMPARE(std::vector<float>(f.begin(), f.begin() + 12), (std::vector<float>{0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15}));
        QCOMPARE(d->class_names().front(), std::string("0"));
        QCOMPARE(d->class_names().back(), std::string("9"));
    }

    void digitsAsImages() {
        auto img = digits(true);
        auto flat = digits(false);
        QCOMPARE(img->size(), 1797);
        QCOMPARE(img->feature_shape(), (Shape{1, 8, 8}));
        Batch b = img->get_batch({0, 1796});
        QCOMPARE(b.features.shape(), (Shape{2, 1, 8, 8}));
        QCOMPARE(b.features.to_vector<float>(), flat->get_batch({0, 1796}).features.to_vector<float>());
        QCOMPARE(img->labels(), flat->labels());
    }

    void iris150x4() {
        auto d = iris();
        QCOMPARE(d->size(), 150);
        QCOMPARE(d->feature_shape(), (Shape{4}));
        QCOMPARE(d->class_names(), (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
        QCOMPARE(d->class_counts(), (std::vector<std::int64_t>{50, 50, 50}));
        QCOMPARE(d->get_batch({0}).features.to_vector<float>(), (std::vector<float>{5.1f, 3.5f, 1.4f, 0.2f}));
    }

    void wineAndBreastCancer() {
        auto w = wine();
        QCOMPARE(w->size(), 178);
        QCOMPARE(w->feature_shape(), (Shape{13}));
        QCOMPARE(w->class_counts(), (std::vector<std::int64_t>{59, 71, 48}));
        QCOMPARE(w->class_names(), (std::vector<std::string>{"class_0", "class_1", "class_2"}));
        auto b = breast_cancer();
        QCOMPARE(b->size(), 569);
        QCOMPARE(b->feature_shape(), (Shape{30}));
        QCOMPARE(b->class_counts(), (std::vector<std::int64_t>{212, 357}));
        QCOMPARE(b->class_names(), (std::vector<std::string>{"malignant", "benign"}));
    }

    void sklearnCsvErrorsNameFileAndLine() {
        QTemporaryDir tmp;
        const std::string path = (tmp.path() + "/bad.csv").toStdString();
        {
            QFile f(QString::fromStdString(path));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("3,2,a,b\n1,2,0\n3,x,1\n5,6,1\n");
        }
        try {
            (void)load_sklearn_csv(path);
            QFAIL("no error for a non-numeric cell");
        } catch (const neura::Error& e) {
            QVERIFY2(QString(e.what()).contains(QString::fromStdString(path + ":3:")), e.what());
        }
        {
            QFile f(QString::fromStdString(path));
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write("3,2,a,b\n1,2,0\n3,4,1\n");
        }
        QVERIFY_THROWS_EXCEPTION(neura::Error, load_sklearn_csv(path));  // 2 rows, header says 3
    }
};

QTEST_APPLESS_MAIN(TestBuiltin)
#include "tst_builtin.moc"
