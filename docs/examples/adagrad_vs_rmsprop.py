"""The README's figure: the gallery's sparse-feature example, saved as a PNG.

Run from the repository root: ``python docs/examples/adagrad_vs_rmsprop.py``; it writes
``docs/images/adagrad_vs_rmsprop.png``.
"""

import pathlib
import runpy

import matplotlib

matplotlib.use("Agg")

DOCS = pathlib.Path(__file__).parent.parent
OUT = DOCS / "images" / "adagrad_vs_rmsprop.png"

if __name__ == "__main__":
    example = runpy.run_path(str(DOCS / "gallery" / "plot_sparse_feature_regression.py"))
    figure = example["fig"]
    figure.suptitle(
        "Sparse-feature regression, learning rate 1e-2 for both: AdaGrad's step size decays "
        "and it stalls; RMSprop's recovers"
    )
    OUT.parent.mkdir(exist_ok=True)
    figure.savefig(OUT, dpi=80)
    print(f"wrote {OUT}")
