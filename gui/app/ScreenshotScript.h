#pragma once
// ScreenshotScript: drives a MainWindow through the steps a user would take — new project, choose a
// dataset, add and connect layers, train, check gradients, export — and grabs the window between
// them. The tutorial's pictures come from one such script (docs/tutorial/first-network.script), so
// they always show the current app, and a test runs the same script to prove the tutorial works.
//
// One command per line; '#' starts a comment; paths are relative to the current folder.
//   new                                    an empty project (Input and Loss)
//   open PATH                              a .neura project
//   dataset NAME [key=value ...]           the Dataset dock's choice ("dataset spiral n=600 classes=3")
//   add TYPE NAME X Y [attr=value ...]     a layer from the palette at (X, Y); lists as 3,3
//   connect FROM TO [PORT]                 FROM's first output into TO's input PORT (0 by default)
//   disconnect FROM TO                     deletes the edges from FROM to TO
//   delete NODE ...                        deletes nodes (and their edges)
//   set NODE attr=value ...                edits in the Properties dock
//   config key=value ...                   training setup: epochs, batch_size, lr, optimizer, seed,
//                                          normalize
//   train                                  trains and waits for the end of the run
//   gradcheck                              checks every layer and waits
//   capture                                one batch for the Inspector
//   generate [temperature=T] [top_k=K] [top_p=P] [length=N] [seed=S] PROMPT...
//                                          the Text dock continues PROMPT and waits
//   evaluate [val|train]                   the Evaluation dock evaluates the split and waits
//   cell TRUE PRED                         clicks that confusion-matrix cell (class names or indices)
//   saliency SAMPLE|first [ig|gxi]         saliency of a sample of the split (first: the clicked
//                                          cell's first sample, selected in its list)
//   sweep [epochs=N] [random=N] [seed=S] KEY=V1,V2 ...
//                                          Train ▸ Sweep… with a row per KEY (a training setting or
//                                          NODE.ATTRIBUTE), every combination or N random ones;
//                                          starts it and waits for its end (the dialog stays open)
//   runs select RUN ...                    selects runs in the Runs dock by the number it shows
//   runs tab TITLE                         the Runs dock's Curves, Parallel Coordinates or Runs Chart
//   runs against time|macs                 the Runs Chart's horizontal axis
//   use-run RUN                            the Runs dock's Use This Run's Settings
//   compare-runs RUN RUN                   the Runs dock's Compare Models (the first run before)
//   compare PATH                           File ▸ Compare With… a .neura project
//   leave-compare                          the compare banner's Leave Compare
//   close TITLE                            closes the dialog titled TITLE (e.g. "Sweep")
//   export PATH                            File ▸ Export ONNX
//   save PATH                              File ▸ Save As
//   select NODE ...                        selects nodes (the Properties and Inspector docks follow)
//   dock TITLE                             brings a dock to the front
//   hide TITLE                             closes a dock (View ▸ Docks brings it back), for a larger canvas
//   tab TITLE                              shows the tab titled TITLE (e.g. the Inspector's "Attention")
//   float TITLE WIDTH HEIGHT               floats a dock at that size (for a picture of the dock alone)
//   layout | fit                           View ▸ Auto Layout | View ▸ Fit
//   expect NODE shape|params|error TEXT    fails the script unless the node shows TEXT
//   expect accuracy|val_accuracy|loss OP NUMBER    on the last run (OP is > or <)
//   shot FILE.png [DOCK]                   grabs the window, or only the dock (or open dialog) titled DOCK
#include <QString>
#include <QStringList>

namespace neura::gui {

class MainWindow;

class ScreenshotScript {
public:
    // Runs every line; false with *error ("line 12: no node called 'fc9'") at the first that fails.
    static bool run(MainWindow& window, const QString& path, QString* error);
};

}  // namespace neura::gui
