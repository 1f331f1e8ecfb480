"""Many runs at once: `multistart`, `tune` and `compare`, their trials and their workers."""
