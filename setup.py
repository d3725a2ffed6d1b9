"""The optional compiled part (`boilerbench/_speedups.pyx`); everything else is in pyproject.toml.

The extension is `optional`: where it cannot be built (no C compiler), the package installs
without it and runs the same code in Python, only slower (`segment.walk_tree`, scikit-learn's
predictor).
"""

from setuptools import Extension, setup


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


setup(ext_modules=extensions())
