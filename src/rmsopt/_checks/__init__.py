"""The vocabulary under everything: one wording of input errors, the constraint objects
that check a value and say what they accept, options as data, and warnings that point at
the user's line. Nothing here imports the rest of rmsopt."""
