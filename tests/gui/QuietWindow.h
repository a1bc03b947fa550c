#pragma once
// QuietWindow: the studio's main window for tests. It asks nothing: errors are recorded instead of
// shown, and each question (save changes? stop the run? recover the autosave? revert?) gets the
// answer a test set, counted.
#include <QMessageBox>
#include <QStringList>

#include "app/MainWindow.h"

namespace neura::test {

class QuietWindow : public gui::MainWindow {
public:
    QStringList errors;  // "title: text"
    QMessageBox::StandardButton saveAnswer = QMessageBox::Discard;
    bool stopAnswer = true;
    bool recoverAnswer = true;
    bool revertAnswer = true;
    int saveQuestions = 0, stopQuestions = 0, recoverQuestions = 0, revertQuestions = 0;

protected:
    void showError(const QString& title, const QString& text) override { errors << title + ": " + text; }
    QMessageBox::StandardButton askToSave() override {
        ++saveQuestions;
        return saveAnswer;
    }
    bool askToStopTraining() override {
        ++stopQuestions;
        return stopAnswer;
    }
    bool askToRecover(const QString&) override {
        ++recoverQuestions;
        return recoverAnswer;
    }
    bool askToRevert() override {
        ++revertQuestions;
        return revertAnswer;
    }
};

}  // namespace neura::test
