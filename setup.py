"""Build step for an installable package (metadata lives in setup.cfg).

The checkout keeps ``templates/`` and ``migrations/`` at the top level (the house
layout); a wheel ships them inside the package as ``crm/templates`` and
``crm/migrations``, with the translation catalogues compiled, so that
``pip install .`` gives an application that serves pages and runs ``flask db upgrade``
from any directory. ``crm.config`` finds whichever layout it runs from.
"""
from pathlib import Path
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("templates", "migrations")


class BuildWithResources(build_py):
    """build_py that also copies the top-level resources into the package and compiles
    the .po catalogues to .mo (the .mo files are not kept in the repository)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install runs from the checkout, which has them already
        package = Path(self.build_lib) / "crm"
        for name in SHIPPED:
            target = package / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(HERE / name, target,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        self._compile_catalogues(package / "translations")

    @staticmethod
    def _compile_catalogues(directory: Path) -> None:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po in directory.glob("*/LC_MESSAGES/*.po"):
            with po.open("rb") as src:
                catalog = read_po(src)
            with po.with_suffix(".mo").open("wb") as dst:
                write_mo(dst, catalog)


setup(cmdclass={"build_py": BuildWithResources})
