"""``python -m rmsopt``: a short demonstration of RMSprop on test functions."""

from ._demo import run_demo

if __name__ == "__main__":
    run_demo()
