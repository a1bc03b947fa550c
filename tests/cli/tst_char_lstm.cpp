// The char-lstm example (issue 15) trained by the `neura` command line against PyTorch's figure, then
// generating text: the longest example, so it has a CTest entry of its own.
#include <QtTest>

#include "cli/CliSupport.h"

#include <QJsonObject>
#include <QTemporaryDir>

#include <cmath>

using namespace neura::test::cli;

class TestCharLstm : public QObject {
    Q_OBJECT
private slots:
    // Issue 15: Embedding(65, 32) → LSTM(64) → LastStep → Linear(65) predicts Tiny Shakespeare's next
    // character from the previous 32 (20000 windows, stride 3; the last 4000 validate, and the training
    // windows end before the first character they read). PyTorch, same architecture, hyper-parameters,
    // windows and split (bench/torch_examples.py): val loss 1.855 (a uniform guess is ln 65 = 4.17); the
    // issue asks for within 5% of it, so the bound is 1.855 × 1.05 = 1.948. The engine reaches 1.875
    // (10 epochs, ~10 s; LSTM through oneDNN's primitive). Then `neura generate` on the
    // trained project continues a prompt with characters of the text's vocabulary (tst_generate tests
    // generation itself on a tiny corpus; here only that the shipped example works end to end).
    //
    // Under the sanitizers (tools/sanitize.sh, several times slower) the same example trains one epoch on
    // 2000 windows: the memory and undefined-behaviour checks need the code paths, not the 10 epochs, so
    // there the bound is only that it learned (val loss under the uniform guess's ln 65); the 5% bound is
    // checked by the test command's own build.
    void char_lstm_is_within_5_percent_of_pytorch_and_generates() {
        QTemporaryDir dir;
#ifdef NEURA_TEST_SANITIZER_BUILD
        const QString path = create(dir, "char-lstm", "text,length=32,stride=3,max_samples=2000");
        const QStringList extra{"--epochs", "1"};
        const double bound = std::log(65.0);
#else
        const QString path = create(dir, "char-lstm");
        const QStringList extra;
        const double bound = 1.855 * 1.05;
#endif
        QVERIFY(!path.isEmpty());
        const QJsonObject j = train_json(path, extra);
        QCOMPARE(j["status"].toString(), QString("completed"));
        const double val = j["final"].toObject()["val_loss"].toDouble(-1);
        QVERIFY2(val > 0 && val < bound, qPrintable(QString("val loss %1, bound %2").arg(val).arg(bound)));

        // Tiny Shakespeare's 65 distinct characters.
        const QString vocabulary = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        const QString prompt = "ROMEO:\nWhat ";
        const Result r = run_neura({"generate", path, "--prompt", prompt, "--length", "80", "--seed", "2"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.out.endsWith('\n'));
        const QString text = r.out.chopped(1);
        QVERIFY2(text.startsWith(prompt), qPrintable(text));
        QCOMPARE(text.size(), prompt.size() + 80);
        for (QChar c : text) QVERIFY2(vocabulary.contains(c), qPrintable(QString("'%1' in %2").arg(c).arg(text)));
    }
};

QTEST_GUILESS_MAIN(TestCharLstm)
#include "tst_char_lstm.moc"
