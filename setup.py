"""The optional compiled part (`boilerbench/_speedups.pyx`); everything else is in pyproject.toml.

The extension is `optional`: where it cannot be built (no C compiler), the package installs
without it and runs the same code in Python, only slower (`segment.walk_tree`, scikit-learn's
predictor).
"""

import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """Builds the extension when it can; otherwise says why and installs without it. (setuptools'
    own `optional=True` does not cover editable installs.)"""

    def run(self) -> None:
        try:
            super().run()
        except Exception as e:  # no compiler, no headers: the package still works, in Python
            print(f"boilerbench: building the optional C extension failed ({e}); installing without it", file=sys.stderr)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as e:
            print(f"boilerbench: building {ext.name} failed ({e}); installing without it", file=sys.stderr)


def extensions() -> list[Extension]:
    import lxml
    import numpy
    from Cython.Build import cythonize

    ext = Extension(
        "boilerbench._speedups",
        ["boilerbench/_speedups.pyx"],
        include_dirs=[*lxml.get_include(), numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O2"],
        optional=True,
    )
    return cythonize([ext], compiler_directives={"language_level": 3}, quiet=True)


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
