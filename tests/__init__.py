"""The test suite, a regular package: `tests.fake_systems` must resolve here even where another
distribution has installed a top-level `tests` package into site-packages (py_asciimath, which
magic-html requires, does), which would win over a namespace package."""
