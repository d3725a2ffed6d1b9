"""The test suite: a package, so that `tests.fake_systems` is this folder's even where an installed
distribution ships a top-level `tests` package of its own (magic-html's dependency py_asciimath does)."""
