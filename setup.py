"""Build of the native search extension (dispatch._pdptw); metadata lives in pyproject.toml."""

from pybind11.setup_helpers import Pybind11Extension, build_ext
from setuptools import setup

setup(
    ext_modules=[
        Pybind11Extension(
            "dispatch._pdptw",
            ["dispatch/native/module.cpp"],
            depends=[
                "dispatch/native/instance.hpp",
                "dispatch/native/general.hpp",
                "dispatch/native/route.hpp",
                "dispatch/native/solution.hpp",
                "dispatch/native/search.hpp",
                "dispatch/native/shared.hpp",
                "dispatch/native/portfolio.hpp",
            ],
            cxx_std=17,
            extra_compile_args=["-O2", "-pthread"],  # parallel searches (std::thread)
            extra_link_args=["-pthread"],
        )
    ],
    cmdclass={"build_ext": build_ext},
)
