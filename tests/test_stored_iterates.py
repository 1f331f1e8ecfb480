"""Stored iterates: every method and option combination, through the public API only, in
float32 and float64, compared bit for bit with the digests in ``data/stored_iterates.json``.

The digests were written before the package was reorganised into layers; any change of the
code that moves a single bit of an iterate, a state row or a history column fails here. They
are written (only when the numbers are meant to change) with::

    python tests/test_stored_iterates.py --write

The objectives use only additions, subtractions and multiplications, which IEEE arithmetic
rounds the same way on every CPU, so the digests do not depend on the machine.
"""

import hashlib
import json
import pathlib
import sys

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der

import rmsopt
from rmsopt import problems, schedules

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from conftest import option_grid, option_id  # noqa: E402

DATA = pathlib.Path(__file__).parent / "data" / "stored_iterates.json"
CLASSES = {
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "adamax": "Adamax",
    "nadam": "NAdam",
    "radam": "RAdam",
    "rprop": "Rprop",
    "asgd": "ASGD",
    "lion": "Lion",
    "adafactor": "Adafactor",
}
# Not Muon: its matrix products are BLAS's, whose order of sums depends on the machine's BLAS
# build and CPU; its iterates are checked against the twin to a tolerance instead.
RATES = {
    "rmsprop": 1e-2,
    "adagrad": 5e-2,
    "adadelta": 1.0,
    "adam": 1e-2,
    "adamw": 1e-2,
    "sgd": 1e-3,
    "adamax": 1e-2,
    "nadam": 1e-2,
    "radam": 1e-2,
    "rprop": 1e-2,
    "asgd": 1e-4,
    "lion": 1e-3,
    "adafactor": 1e-2,
}
DTYPES = {"float64": np.float64, "float32": np.float32}
X0 = [-1.2, 1.0, 0.8]


def digest(*arrays):
    """SHA-256 of the arrays' values as little-endian bytes, shapes included."""
    hasher = hashlib.sha256()
    for array in arrays:
        array = np.asarray(array)
        hasher.update(repr(array.shape).encode())
        hasher.update(array.astype(array.dtype.newbyteorder("<")).tobytes())
    return hasher.hexdigest()


def state_arrays(state):
    # The step count and the state rows; the options a class's state also holds are settings,
    # not iterates.
    return [np.asarray(state[key]) for key in sorted(state) if key not in ("method", "options")]


def signed(options):
    sign = -1.0 if options.get("maximize") else 1.0
    return (lambda x: sign * rosen(x)), (lambda x: sign * rosen_der(x))


def minimize_case(name, options, dtype):
    """150 iterations, then 50 more resumed from ``res.state``."""
    fun, jac = signed(options)
    x0 = np.array(X0, dtype=dtype)
    common = {"learning_rate": RATES[name], "gtol": 0.0, "return_all": True}
    first = rmsopt.minimize(
        fun, x0, method=name, jac=jac, options={**common, "maxiter": 150, **options}
    )
    second = rmsopt.minimize(
        fun,
        first.x,
        method=name,
        jac=jac,
        options={**common, "maxiter": 50, "state": first.state, **options},
    )
    return digest(
        np.array(first.allvecs),
        *state_arrays(first.state),
        np.array(second.allvecs),
        *state_arrays(second.state),
        [first.status, first.nit, second.status, second.nit],
    )


def class_case(name, options, dtype):
    """100 steps of the class on a quadratic, a state dict round trip, 50 more steps."""
    scales = np.array([1.0, 4.0, 0.25], dtype=dtype)
    sign = -1.0 if options.get("maximize") else 1.0
    x = np.array(X0, dtype=dtype)
    opt = getattr(rmsopt, CLASSES[name])(x, learning_rate=RATES[name], **options)
    path = []
    for _ in range(100):
        opt.step((sign * scales * (x - 0.5)).astype(dtype))
        path.append(x.copy())
    saved = opt.state_dict()
    y = x.copy()
    resumed = getattr(rmsopt, CLASSES[name])(y, learning_rate=RATES[name], **options)
    resumed.load_state_dict(saved)
    for _ in range(50):
        resumed.step((sign * scales * (y - 0.5)).astype(dtype))
        path.append(y.copy())
    return digest(np.array(path), *state_arrays(resumed.state_dict()))


def extra_cases():
    """Options every method shares, one at a time, on each method's defaults."""
    cases = {
        "clipnorm": {"clipnorm": 0.5},
        "clipvalue": {"clipvalue": 0.1},
        "schedule": {"learning_rate_schedule": "exponential_decay"},
        "warmup": {"learning_rate_schedule": "linear_warmup"},
        "bounds": {"bounds": [(-1.0, 0.9), (None, 1.05), (0.7, None)]},
        "history": {"history": True, "history_size": 16},
        "ftol": {"ftol": 1e-9, "maxiter": 2000},
        "xtol": {"xtol": 1e-7, "maxiter": 2000},
        "threads": {"threads": 2},
    }
    return cases


def schedule_for(kind, rate):
    if kind == "exponential_decay":
        return schedules.exponential_decay(rate, decay_steps=20, decay_rate=0.5)
    return schedules.linear_warmup(schedules.cosine_decay(rate, decay_steps=100), warmup_steps=10)


def extra_case(name, extra, dtype):
    options = {"learning_rate": RATES[name], "gtol": 0.0, "maxiter": 120, "return_all": True}
    extra = dict(extra)
    bounds = extra.pop("bounds", None)
    kind = extra.pop("learning_rate_schedule", None)
    if kind is not None:
        options["learning_rate"] = schedule_for(kind, RATES[name])
    options.update(extra)
    res = rmsopt.minimize(
        rosen, np.array(X0, dtype=dtype), method=name, jac=rosen_der, bounds=bounds, options=options
    )
    parts = [np.array(res.allvecs), *state_arrays(res.state), [res.status, res.nit]]
    if "history" in res:
        parts += [res.history[key] for key in sorted(res.history)]
    return digest(*parts)


def sample_loss(w, a):
    """Mean over the samples (rows of ``a``) of a scaled squared distance: no matrix
    product, whose rounding depends on the BLAS build."""
    scales = np.array([1.0, 4.0, 0.25], dtype=w.dtype)
    return float(0.5 * np.mean(np.sum(scales * (w - a) ** 2, axis=1)))


def sample_gradient(w, a):
    scales = np.array([1.0, 4.0, 0.25], dtype=w.dtype)
    return (w - a).mean(axis=0) * scales


def minibatch_case(name, dtype):
    """Shuffled minibatches with a held-out validation set and early stopping."""
    samples = np.random.default_rng(3).standard_normal((240, 3)).astype(dtype) + 0.5
    res = rmsopt.minimize(
        sample_loss,
        np.array(X0, dtype=dtype),
        args=(samples[:200],),
        method=name,
        jac=sample_gradient,
        options={
            "batch_size": 16,
            "epochs": 8,
            "seed": 5,
            "learning_rate": RATES[name] / 10,
            "validation": (samples[200:],),
            "patience": 3,
            "return_all": True,
        },
    )
    return digest(
        np.array(res.allvecs),
        *state_arrays(res.state),
        [res.status, res.nit, res.epochs],
        np.array(res.val_history),
    )


def native_case(name):
    p = problems.rosenbrock(n=3)
    res = rmsopt.minimize(
        p.native,
        np.array(X0),
        method=name,
        options={
            "learning_rate": RATES[name],
            "gtol": 0.0,
            "maxiter": 300,
            "history": ["grad_norm", "step_norm", "v"],
        },
    )
    return digest(
        res.x,
        *state_arrays(res.state),
        [res.status, res.nit],
        *(res.history[key] for key in sorted(res.history)),
    )


def all_cases():
    """(key, function computing the digest) for every stored case."""
    cases = []
    for name in CLASSES:
        for options in option_grid(name):
            if "shape" in options:  # X0's three elements make no matrix of Adafactor's
                continue
            for dtype_name, dtype in DTYPES.items():
                key = f"{name}|{option_id(options) or 'defaults'}|{dtype_name}"
                cases.append(
                    (f"minimize|{key}", lambda n=name, o=options, d=dtype: minimize_case(n, o, d))
                )
                cases.append(
                    (f"class|{key}", lambda n=name, o=options, d=dtype: class_case(n, o, d))
                )
        for label, extra in extra_cases().items():
            for dtype_name, dtype in DTYPES.items():
                cases.append(
                    (
                        f"extra|{name}|{label}|{dtype_name}",
                        lambda n=name, e=extra, d=dtype: extra_case(n, e, d),
                    )
                )
        for dtype_name, dtype in DTYPES.items():
            cases.append(
                (f"minibatch|{name}|{dtype_name}", lambda n=name, d=dtype: minibatch_case(n, d))
            )
        cases.append((f"native|{name}", lambda n=name: native_case(n)))
    return cases


CASES = all_cases()


def stored():
    return json.loads(DATA.read_text())


@pytest.fixture(scope="module")
def digests():
    return stored()


def test_every_case_is_stored(digests):
    assert sorted(digests) == sorted(key for key, _ in CASES)


@pytest.mark.parametrize("key, compute", CASES, ids=[key for key, _ in CASES])
def test_iterates_are_bit_identical_to_the_stored_ones(key, compute, digests):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        assert compute() == digests[key]


if __name__ == "__main__":
    # --write: every digest, when the numbers are meant to change; --add: only the cases not
    # stored yet (a new method or option), leaving every stored digest as it is.
    if sys.argv[1:] not in (["--write"], ["--add"]):
        sys.exit("usage: python tests/test_stored_iterates.py --write | --add")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if sys.argv[1] == "--add":
            written = stored()
            written.update((key, compute()) for key, compute in CASES if key not in written)
        else:
            written = {key: compute() for key, compute in CASES}
    DATA.parent.mkdir(exist_ok=True)
    DATA.write_text(json.dumps(written, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(written)} digests to {DATA}")
