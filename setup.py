"""Package data for wheels. Everything else is in pyproject.toml.

A wheel carries the Alembic migrations, the trained weights and, when `make frontend` built it, the web front end:
build_py copies migrations/, models/ and frontend/dist into maskwatch/_data of the build, where maskwatch.paths
looks when it runs outside a checkout. They stay where they are in the repository, once; an editable install
(`make install`) copies nothing and keeps reading them from the checkout.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: Checkout folder -> folder under maskwatch/_data
PACKAGE_DATA = {"migrations": "migrations", "models": "models", "frontend/dist": "frontend"}
SKIPPED = shutil.ignore_patterns("__pycache__", "*.py[co]", ".*")


class BuildPyWithData(build_py):
    def run(self):
        super().run()
        if self.editable_mode:
            return
        data = Path(self.build_lib) / "maskwatch" / "_data"
        shutil.rmtree(data, ignore_errors=True)  # nothing left over from an earlier build
        for source, target in PACKAGE_DATA.items():
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, data / target, ignore=SKIPPED)
        if not (data / "frontend" / "index.html").is_file():
            self.warn("frontend/dist is not built (make frontend): this wheel's server answers a page saying "
                      "how to get the web front end")

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        data = Path(self.build_lib) / "maskwatch" / "_data"
        if self.editable_mode or not data.is_dir():
            return outputs
        return outputs + [str(path) for path in data.rglob("*") if path.is_file()]


setup(cmdclass={"build_py": BuildPyWithData})
