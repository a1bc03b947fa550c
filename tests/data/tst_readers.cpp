// The CSV reader for users' files and the IDX (MNIST) reader/writer.
#include <QtTest>

#include "common/TestSupport.h"

#include <zlib.h>

#include <fstream>

#include "data/TextFile.h"
#include "neura/data/CsvReader.h"
#include "neura/data/IdxReader.h"
#include "neura/neura.h"

using namespace neura;
using namespace neura::data;

namespace {

std::string write_file(const QTemporaryDir& dir, const QString& name, const QByteArray& content) {
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) qFatal("cannot write %s", qPrintable(path));
    f.write(content);
    return path.toStdString();
}

// A gzip file of `header` followed by `zeros` zero bytes: a small file that inflates to much more.
std::string write_gz(const QTemporaryDir& dir, const QString& name, const QByteArray& header, std::size_t zeros) {
    const QString path = dir.filePath(name);
    gzFile f = gzopen(path.toUtf8().constData(), "wb9");
    if (!f) qFatal("cannot write %s", qPrintable(path));
    gzwrite(f, header.constData(), static_cast<unsigned>(header.size()));
    const std::vector<char> block(1 << 20, 0);
    for (std::size_t left = zeros; left > 0;) {
        const auto n = static_cast<unsigned>(std::min(left, block.size()));
        gzwrite(f, block.data(), n);
        left -= n;
    }
    gzclose(f);
    return path.toStdString();
}

// The message of the neura::Error that fn throws, or "" when it throws none.
using neura::test::error_of;

}  // namespace

class TestReaders : public QObject {
    Q_OBJECT
private slots:
    // ---------------------------------------------------------------- CSV
    void csvHeaderAndClassNames() {
        QTemporaryDir dir;
        const auto path = write_file(dir, "pets.csv",
                                     "weight,height,kind\n"
                                     "4.5,30,cat\n"
                                     "30,60,dog\n"
                                     "\n"
                                     "3.9,25,cat\r\n"
                                     "0.02,3,\"mouse, small\"\n");
        CsvData d = read_csv(path);
        QVERIFY(d.has_header);
        QCOMPARE(d.delimiter, ',');
        QCOMPARE(d.feature_names, (std::vector<std::string>{"weight", "height"}));
        QCOMPARE(d.label_name, std::string("kind"));
        QCOMPARE(d.label_column, 2);
        QCOMPARE(d.class_names, (std::vector<std::string>{"cat", "dog", "mouse, small"}));  // sorted
        QCOMPARE(d.dataset->size(), 4);
        QCOMPARE(d.dataset->num_classes(), 3);
        QCOMPARE(d.dataset->class_names(), d.class_names);
        QCOMPARE(d.dataset->labels(), (std::vector<std::int64_t>{0, 1, 0, 2}));
        QCOMPARE(d.dataset->features().to_vector<float>(), (std::vector<float>{4.5f, 30, 30, 60, 3.9f, 25, 0.02f, 3}));
    }

    void csvNoHeaderIntegerLabels() {
        QTemporaryDir dir;
        const auto path = write_file(dir, "plain.csv", "1,0.5,2\n2,1.5,0\n3,2.5,1\n");
        CsvData d = read_csv(path);
        QVERIFY(!d.has_header);
        QCOMPARE(d.feature_names, (std::vector<std::string>{"col1", "col2"}));
        QCOMPARE(d.dataset->labels(), (std::vector<std::int64_t>{2, 0, 1}));
        QCOMPARE(d.class_names, (std::vector<std::string>{"0", "1", "2"}));

        // Forcing a header takes the first row as names.
        CsvOptions o;
        o.header = CsvOptions::Header::Present;
        QCOMPARE(read_csv(path, o).dataset->size(), 2);
    }

    void csvLabelColumnByNameAndIndex() {
        QTemporaryDir dir;
        const auto path = write_file(dir, "first.csv", "species;a;b\nx;1;2\ny;3;4\nx;5;6\n");
        CsvOptions byName;
        byName.label_column = "species";
        CsvData d = read_csv(path, byName);
        QCOMPARE(d.delimiter, ';');
        QCOMPARE(d.label_column, 0);
        QCOMPARE(d.feature_names, (std::vector<std::string>{"a", "b"}));
        QCOMPARE(d.dataset->labels(), (std::vector<std::int64_t>{0, 1, 0}));
        QCOMPARE(d.dataset->features().to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));

        CsvOptions byIndex;
        byIndex.label_column = "0";
        QCOMPARE(read_csv(path, byIndex).dataset->labels(), d.dataset->labels());
        CsvOptions negative;
        negative.label_column = "-3";
        QCOMPARE(read_csv(path, negative).label_column, 0);

        CsvOptions missing;
        missing.label_column = "colour";
        const QString e1 = error_of([&] { read_csv(path, missing); });
        QVERIFY2(e1.contains("colour") && e1.contains("species"), qPrintable(e1));
        CsvOptions outOfRange;
        outOfRange.label_column = "5";
        QVERIFY2(error_of([&] { read_csv(path, outOfRange); }).contains("label column 5"), "index out of range");
    }

    void csvRegressionAndForcedNames() {
        QTemporaryDir dir;
        const auto path = write_file(dir, "reg.csv", "x,y\n0,1.5\n1,-2\n2,0.25\n");
        CsvOptions o;
        o.labels = CsvOptions::Labels::Regression;
        CsvData d = read_csv(path, o);
        QCOMPARE(d.dataset->task(), Task::Regression);
        QCOMPARE(d.dataset->targets().shape(), (Shape{3, 1}));
        QCOMPARE(d.dataset->targets().to_vector<float>(), (std::vector<float>{1.5f, -2, 0.25f}));

        const auto ints = write_file(dir, "ints.csv", "1,10\n2,30\n3,10\n");
        CsvOptions names;
        names.labels = CsvOptions::Labels::Names;
        CsvData n = read_csv(ints, names);
        QCOMPARE(n.class_names, (std::vector<std::string>{"10", "30"}));
        QCOMPARE(n.dataset->labels(), (std::vector<std::int64_t>{0, 1, 0}));
    }

    void csvIntegerLabelsCannotClaimMillionsOfClasses() {
        // Integer labels make max + 1 classes: one label of 10^12 asked for 10^12 class names (found by
        // fuzz_csv as an out-of-memory).
        QTemporaryDir dir;
        const QString e = error_of([&] { read_csv(write_file(dir, "big.csv", "x,label\n1,0\n2,1000000000000\n")); });
        QVERIFY2(e.contains("big.csv:3") && e.contains("label 1000000000000 would make more than 1048576 classes"),
                 qPrintable(e));
        // The largest allowed label still reads, with that many classes.
        const CsvData ok = read_csv(write_file(dir, "ok.csv", "x,label\n1,0\n2,1048575\n"));
        QCOMPARE(ok.dataset->num_classes(), std::int64_t{1} << 20);
    }

    void csvErrorsNameFileAndLine() {
        QTemporaryDir dir;
        const auto bad = write_file(dir, "bad.csv", "a,b,label\n1,2,x\n3,oops,y\n");
        QString e = error_of([&] { read_csv(bad); });
        QVERIFY2(e.contains(QString::fromStdString(bad) + ":3:"), qPrintable(e));
        QVERIFY2(e.contains("oops") && e.contains("column 2") && e.contains("'b'"), qPrintable(e));

        const auto ragged = write_file(dir, "ragged.csv", "1,2,0\n3,4,1\n\n5,6,7,1\n");
        e = error_of([&] { read_csv(ragged); });
        QVERIFY2(e.contains(QString::fromStdString(ragged) + ":4:"), qPrintable(e));
        QVERIFY2(e.contains("4 cells, expected 3"), qPrintable(e));

        const auto empty_cell = write_file(dir, "hole.csv", "1,2,0\n3,,1\n");
        e = error_of([&] { read_csv(empty_cell); });
        QVERIFY2(e.contains(":2:") && e.contains("empty cell"), qPrintable(e));

        const auto badLabel = write_file(dir, "neg.csv", "1,2,0\n3,4,-1\n");
        CsvOptions ints;
        ints.labels = CsvOptions::Labels::Integer;
        e = error_of([&] { read_csv(badLabel, ints); });
        QVERIFY2(e.contains(":2:") && e.contains("-1"), qPrintable(e));

        const auto quote = write_file(dir, "quote.csv", "1,2,\"cat\n");
        QVERIFY2(error_of([&] { read_csv(quote); }).contains(":1:"), "unterminated quote");

        QVERIFY(!error_of([&] { read_csv(write_file(dir, "empty.csv", "\n\n")); }).isEmpty());
        QVERIFY(!error_of([&] { read_csv(write_file(dir, "onlyheader.csv", "a,b,c\n")); }).isEmpty());
        QVERIFY(error_of([&] { read_csv(dir.filePath("missing.csv").toStdString()); }).contains("missing.csv"));
    }

    // ---------------------------------------------------------------- IDX
    void idxRoundTripAllTypes() {
        QTemporaryDir dir;
        const std::vector<std::pair<IdxType, Tensor>> cases = {
            {IdxType::UInt8, Tensor::from_vector(std::vector<std::int64_t>{0, 1, 255, 128, 7, 9}, {2, 3})},
            {IdxType::Int8, Tensor::from_vector(std::vector<std::int64_t>{-128, -1, 0, 1, 127, 5}, {3, 2})},
            {IdxType::Int16, Tensor::from_vector(std::vector<std::int64_t>{-32768, 32767, 300, -2}, {4})},
            {IdxType::Int32, Tensor::from_vector(std::vector<std::int64_t>{-2147483648LL, 2147483647LL, 65536, 0}, {2, 1, 2})},
            {IdxType::Float32, Tensor::from_vector(std::vector<float>{0.5f, -1.25f, 3.0e7f, 1.0e-3f}, {2, 2})},
            {IdxType::Float64, Tensor::from_vector(std::vector<double>{0.1, -2.5e100, 3.0}, {3})},
        };
        for (const auto& [type, t] : cases) {
            for (const char* ext : {"", ".gz"}) {
                const auto path = dir.filePath(QString("a-%1%2").arg(idx_type_name(type)).arg(ext)).toStdString();
                write_idx(path, t, type);
                IdxArray back = read_idx(path);
                QCOMPARE(back.type, type);
                QCOMPARE(back.data.shape(), t.shape());
                QCOMPARE(back.data.to_vector<double>(), t.to_vector<double>());
            }
        }
    }

    void idxBytesAreBigEndian() {
        QTemporaryDir dir;
        const auto path = dir.filePath("be.idx").toStdString();
        write_idx(path, Tensor::from_vector(std::vector<std::int64_t>{258}, {1}), IdxType::Int32);
        std::ifstream f(path, std::ios::binary);
        std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        QCOMPARE(bytes, (std::vector<unsigned char>{0, 0, 0x0C, 1, 0, 0, 0, 1, 0, 0, 1, 2}));
    }

    void idxDatasetLikeMnist() {
        QTemporaryDir dir;
        // 3 images of 2×2 pixels and their labels, as MNIST's idx3-ubyte / idx1-ubyte pair.
        const auto images = dir.filePath("imgs-idx3-ubyte.gz").toStdString();
        const auto labels = dir.filePath("labels-idx1-ubyte").toStdString();
        write_idx(images, Tensor::from_vector(std::vector<std::int64_t>{0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0}, {3, 2, 2}),
                  IdxType::UInt8);
        write_idx(labels, Tensor::from_vector(std::vector<std::int64_t>{7, 0, 9}, {3}), IdxType::UInt8);
        auto d = read_idx_dataset(images, labels, true, 10);
        QCOMPARE(d->size(), 3);
        QCOMPARE(d->feature_shape(), (Shape{1, 2, 2}));
        QCOMPARE(d->num_classes(), 10);
        QCOMPARE(d->labels(), (std::vector<std::int64_t>{7, 0, 9}));
        const auto f = d->get_batch({0}).features.to_vector<float>();
        QCOMPARE(f, (std::vector<float>{0.0f, 1.0f, 0.2f, 0.4f}));
        auto raw = read_idx_dataset(images, labels, false);
        QCOMPARE(raw->num_classes(), 10);
        QCOMPARE(raw->get_batch({0}).features.to_vector<float>(), (std::vector<float>{0, 255, 51, 102}));

        // Mismatched counts name both files.
        const auto two = dir.filePath("two-idx1-ubyte").toStdString();
        write_idx(two, Tensor::from_vector(std::vector<std::int64_t>{1, 2}, {2}), IdxType::UInt8);
        const QString e = error_of([&] { read_idx_dataset(images, two); });
        QVERIFY2(e.contains("imgs-idx3-ubyte.gz") && e.contains("two-idx1-ubyte"), qPrintable(e));
    }

    void idxRejectsBadFiles() {
        QTemporaryDir dir;
        QString e = error_of([&] { read_idx(write_file(dir, "magic", QByteArray("\x00\x01\x08\x01\x00\x00\x00\x01\x05", 9))); });
        QVERIFY2(e.contains("magic") && e.contains("not an IDX file"), qPrintable(e));
        e = error_of([&] { read_idx(write_file(dir, "type", QByteArray("\x00\x00\x07\x01\x00\x00\x00\x01\x05", 9))); });
        QVERIFY2(e.contains("not an IDX file"), qPrintable(e));
        e = error_of([&] { read_idx(write_file(dir, "short", QByteArray("\x00\x00\x08\x01\x00\x00\x00\x03\x05", 9))); });
        QVERIFY2(e.contains("needs 11 bytes") && e.contains("has 9"), qPrintable(e));
        e = error_of([&] { read_idx(write_file(dir, "long", QByteArray("\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", 10))); });
        QVERIFY2(e.contains("has 10"), qPrintable(e));
        // Sizes whose product passes 2^64 (it wraps to 0, which the 16-byte file would match): refused
        // with the sizes, before anything is allocated.
        e = error_of([&] {
            read_idx(write_file(dir, "overflow", QByteArray("\x00\x00\x08\x03\x00\x00\x02\x00\x80\x00\x00\x00\x01\x00\x00\x00", 16)));
        });
        QVERIFY2(e.contains("overflow") && e.contains("[512, 2147483648, 16777216]") && e.contains("multiply past 2^64"),
                 qPrintable(e));
        // A zero among sizes whose strides pass 2^63: no data, but no tensor either (found by fuzz_idx).
        e = error_of([&] {
            read_idx(write_file(dir, "strides", QByteArray("\x00\x00\x08\x04\x00\x00\x00\x00\x80\x00\x00\x00\x80\x00\x00\x00\x80\x00\x00\x00", 20)));
        });
        QVERIFY2(e.contains("strides") && e.contains("[0, 2147483648, 2147483648, 2147483648]") && e.contains("past 2^63"),
                 qPrintable(e));
        // A plain file whose header claims more than it holds is refused before its data are read.
        e = error_of([&] { read_idx(write_file(dir, "claims", QByteArray("\x00\x00\x08\x02\x00\x01\x00\x00\x00\x01\x00\x00\x05", 13))); });
        QVERIFY2(e.contains("claims") && e.contains("needs 4294967308 bytes") && e.contains("has 13"), qPrintable(e));
        QVERIFY(!error_of([&] { write_idx(dir.filePath("x").toStdString(), Tensor::from_vector(std::vector<std::int64_t>{256}, {1}),
                                          IdxType::UInt8); }).isEmpty());
        QVERIFY(!error_of([&] { write_idx(dir.filePath("y").toStdString(), Tensor::from_vector(std::vector<float>{0.5f}, {1}),
                                          IdxType::Int32); }).isEmpty());
    }

    void gzipBombsAreCappedAgainstTheDeclaredSize() {
        QTemporaryDir dir;
        // An IDX header declaring 4 bytes, then 8 MiB of zeros in a file of a few KiB: the reader stops
        // after what the header declares (+1), it does not inflate the rest.
        const std::string idx = write_gz(dir, "bomb-idx1-ubyte.gz", QByteArray("\x00\x00\x08\x01\x00\x00\x00\x04", 8),
                                         8u << 20);
        QVERIFY(QFileInfo(QString::fromStdString(idx)).size() < 64 * 1024);
        QString e = error_of([&] { read_idx(idx); });
        QVERIFY2(e.contains("bomb-idx1-ubyte.gz") && e.contains("needs 12 bytes") && e.contains("decompresses to more"),
                 qPrintable(e));
        // Text files (CSV) are capped by a limit: 8 MiB of zeros against a 1 MiB limit.
        const std::string csv = write_gz(dir, "bomb.csv.gz", QByteArray("a,b\n"), 8u << 20);
        e = error_of([&] { internal::read_file(csv, 1u << 20); });
        QVERIFY2(e.contains("bomb.csv.gz") && e.contains("decompresses to more than 1048576 bytes"), qPrintable(e));
        // Under the limit the same reader returns every byte.
        QCOMPARE(internal::read_file(csv, 16u << 20).size(), std::size_t{4 + (8u << 20)});
        QCOMPARE(internal::kMaxDataFileBytes, std::uint64_t{2} << 30);
    }
};

QTEST_APPLESS_MAIN(TestReaders)
#include "tst_readers.moc"
