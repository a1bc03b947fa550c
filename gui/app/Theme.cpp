#include "app/Theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace neura::gui {

void applyTheme(bool dark) {
    static const QPalette light = QApplication::palette();  // the platform's, taken before any change
    if (!dark) {
        QApplication::setPalette(light);
        return;
    }
    QApplication::setStyle(QStyleFactory::create("Fusion"));
    QPalette p;
    const QColor window(45, 47, 52), base(32, 34, 38), text(222, 224, 228), mid(80, 84, 92);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, QColor(60, 63, 70));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(255, 90, 90));
    p.setColor(QPalette::Mid, mid);
    p.setColor(QPalette::Dark, QColor(25, 26, 29));
    p.setColor(QPalette::Light, QColor(70, 73, 80));
    p.setColor(QPalette::Highlight, QColor(66, 133, 244));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(110, 170, 255));
    p.setColor(QPalette::PlaceholderText, QColor(140, 144, 150));
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, QColor(125, 128, 134));
    QApplication::setPalette(p);
}

}  // namespace neura::gui
