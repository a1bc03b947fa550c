#pragma once
// The small real datasets shipped in resources/datasets (UCI, CC BY 4.0; see the README there).
#include <filesystem>
#include <memory>
#include <string>

#include "neura/data/Dataset.h"

namespace neura::data {

// The folder holding the shipped dataset files, the first that exists of:
//   1. $NEURA_DATA_DIR (when set it must exist: a typo is an error, not a silent fallback),
//   2. <folder of the executable>/../share/neurastudio/datasets (an installed build),
//   3. the source tree's resources/datasets (a build run from its build folder).
// Throws neura::Error listing the places tried when none exists.
std::filesystem::path datasets_dir();
// datasets_dir() / file_name, checked to exist.
std::filesystem::path dataset_file(const std::string& file_name);

// The files use sklearn's layout: a first line "n_samples,n_features,<class names…>", then rows of
// n_features numbers and an integer class index. Errors name the file and line.
std::shared_ptr<TensorDataset> load_sklearn_csv(const std::filesystem::path& path);

// Optical recognition of handwritten digits: 1797 8×8 images, pixels 0–16 (kept as is), classes 0–9.
// Features [1797, 64], or [1797, 1, 8, 8] when image is true.
std::shared_ptr<TensorDataset> digits(bool image = false);
// Fisher's iris: 150 × 4, classes setosa, versicolor, virginica.
std::shared_ptr<TensorDataset> iris();
// Wine recognition: 178 × 13, classes class_0, class_1, class_2.
std::shared_ptr<TensorDataset> wine();
// Breast cancer Wisconsin (diagnostic): 569 × 30, classes malignant, benign.
std::shared_ptr<TensorDataset> breast_cancer();

}  // namespace neura::data
