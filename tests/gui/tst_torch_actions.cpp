// File ▸ Export PyTorch Code… in the studio: the action is in the File menu beside the ONNX export, the
// folder it writes loads in PyTorch with the document's trained weights, and a folder that cannot be
// made is reported naming it.
#include <QtTest>

#include <QAction>
#include <QMenu>
#include <QMenuBar>
#include <QProcess>
#include <QTemporaryDir>

#include "app/MainWindow.h"
#include "gui/QuietWindow.h"
#include "gui/TrainedExample.h"
#include "neura/project/Project.h"
#include "neura/train/Experiment.h"

using namespace neura;
using neura::test::trainedExample;

class TestTorchActions : public QObject {
    Q_OBJECT
private slots:
    void export_pytorch_code_writes_a_folder_pytorch_loads() {
        QTemporaryDir dir;
        neura::test::QuietWindow w;
        QVERIFY(w.openFile(trainedExample(dir, "xor")));
        // The menu entry, right after File ▸ Export ONNX…
        QMenu* file = w.menuBar()->actions().front()->menu();
        QVERIFY(file);
        const auto actions = file->actions();
        qsizetype onnx = -1;
        for (qsizetype k = 0; k < actions.size(); ++k)
            if (actions[k]->text().startsWith("&Export ONNX")) onnx = k;
        QVERIFY(onnx >= 0 && onnx + 1 < actions.size());
        QCOMPARE(actions[onnx + 1]->text(), QString("Export &PyTorch Code…"));

        const QString out = dir.filePath("torch");
        QVERIFY2(w.exportTorchTo(out), qPrintable(w.errors.join("\n")));
        for (const char* f : {"model.py", "weights.pt", "data.py", "data.pt", "train.py", "README.md"})
            QVERIFY2(QFile::exists(out + "/" + f), f);
        QProcess py;
        py.setWorkingDirectory(out);
        py.start("/usr/bin/python3", {"-c", "import torch, model; m = model.load(); print(m(torch.zeros(1, 2)).shape[-1])"});
        QVERIFY(py.waitForFinished(300000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        QCOMPARE(QString::fromUtf8(py.readAllStandardOutput()).trimmed(), QString("2"));

        QVERIFY(w.errors.isEmpty());
        QFile blocker(dir.filePath("a_file"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        QVERIFY(!w.exportTorchTo(dir.filePath("a_file/sub")));
        QCOMPARE(w.errors.size(), 1);
        QVERIFY2(w.errors.front().startsWith("Cannot export PyTorch code: ") && w.errors.front().contains("a_file/sub"),
                 qPrintable(w.errors.front()));
    }
};

QTEST_MAIN(TestTorchActions)
#include "tst_torch_actions.moc"
