"""The methods as data: each method's declaration (its options with their defaults and
constraints, its state rows, the native kernel that steps it, its documentation), the
options they share, and the registry that lists them. Pure Python: nothing here imports
compiled code."""
