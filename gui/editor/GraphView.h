#pragma once
// GraphView: the canvas widget — wheel zoom about the cursor, pan with the middle button or
// space + drag, rubber-band selection, fit to contents.
#include <QGraphicsView>

namespace neura::gui {

class GraphScene;

class GraphView : public QGraphicsView {
    Q_OBJECT
public:
    explicit GraphView(GraphScene* scene, QWidget* parent = nullptr);

    GraphScene* graphScene() const { return scene_; }
    double zoom() const { return transform().m11(); }
    void setZoom(double zoom);

public slots:
    void fitToContents();
    // The document's auto layout for this viewport and the items' real heights (one undo step), then a
    // fit; false (nothing moved) when the document refused it.
    bool autoLayout();
    void zoomIn() { setZoom(zoom() * 1.2); }
    void zoomOut() { setZoom(zoom() / 1.2); }
    void centreOn(QPointF scenePos) { centerOn(scenePos); }

protected:
    void wheelEvent(QWheelEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void keyReleaseEvent(QKeyEvent* e) override;
    void focusOutEvent(QFocusEvent* e) override;

private:
    GraphScene* scene_;
    bool spaceHeld_ = false;
    bool panning_ = false;
    QPoint panLast_;
};

}  // namespace neura::gui
