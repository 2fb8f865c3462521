"""The simple baselines a fine-tune must beat, on the same labelled images (issue 23).

    accuracy = pixel_logistic_regression(train_set, eval_set)   # % on eval_set

Pixel logistic regression is the strongest of benchmarks/transfer_bench.py's baselines on the
Fashion-MNIST target task; the demo prints it beside the verified score. The pixels are the
images' first channel scaled to [0, 1] (the data sets here are grey images repeated into RGB).
"""

from __future__ import annotations

import numpy as np

from offchain.ml.data import ImageSet

# C of the pixel logistic regression: the benchmark's validation choice (grid 0.01 / 0.1 / 1).
PIXEL_LOGISTIC_C = 0.1


def pixels(data: ImageSet) -> np.ndarray:
    """One row per image: its first channel's pixels in [0, 1]."""
    return data.images[:, 0].reshape(len(data), -1).astype(np.float64) / 255.0


def pixel_logistic_regression(train_set: ImageSet, eval_set: ImageSet, c: float = PIXEL_LOGISTIC_C) -> float:
    """Accuracy (%) on `eval_set` of a multinomial logistic regression fitted to `train_set`'s pixels."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000).fit(pixels(train_set), train_set.labels)
    return 100 * float(np.mean(model.predict(pixels(eval_set)) == eval_set.labels))
