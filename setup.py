"""The optional compiled parts; everything else is in pyproject.toml.

Two extensions, one per side of the package: the core's segment walk (`boilerbench/core/_walk.pyx`)
and the extractor's feature loops and forest (`boilerbench/extractor/_loops.pyx`). Each is
`optional`: where one cannot be built (no C compiler), the package installs without it and runs the
same code in Python, only slower (`segment.walk_tree`, the features' Python loops, scikit-learn's
predictor).
"""

import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Builds the extension when it can; otherwise says why on stderr and installs without it.
    (setuptools' own `optional=True` does not cover editable installs.)"""

    failed = False

    def run(self) -> None:
        try:
            super().run()
        except Exception as e:  # no compiler, no headers: the package still works, in Python
            if not self.failed:  # else this is the in-place copy of what was not built: said already
                _without("the optional C extensions", e)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as e:
            self.failed = True
            _without(ext.name, e)


def _without(what: str, e: BaseException) -> None:
    """Say on stderr why the extension is not built and what follows (pip shows a build's output
    with -v; at run time `python -m boilerbench bench` says that the extension is absent, and why)."""
    print(
        f"boilerbench: building {what} failed: {type(e).__name__}: {e}\n"
        "boilerbench: installing without it: the same code runs in Python, only slower "
        "(the compiler's own messages, if any, are above)",
        file=sys.stderr,
    )


# Each extension and the package whose C headers it compiles against (lxml's public C API, numpy's arrays).
EXTENSIONS = (("boilerbench.core._walk", "lxml"), ("boilerbench.extractor._loops", "numpy"))


def extensions() -> list[Extension]:
    """The extensions, their C made from the .pyx by Cython; one that fails is left out (and why
    said on stderr), the other still built."""
    import importlib

    out = []
    for name, headers in EXTENSIONS:
        try:
            from Cython.Build import cythonize

            include = importlib.import_module(headers).get_include()
            ext = Extension(
                name,
                [name.replace(".", "/") + ".pyx"],
                include_dirs=include if isinstance(include, list) else [include],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                extra_compile_args=["-O2"],
                optional=True,
            )
            out += cythonize([ext], compiler_directives={"language_level": 3}, quiet=True)
        except Exception as e:  # no Cython (a build without isolation), a .pyx Cython refuses
            _without(name, e)
    return out


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
