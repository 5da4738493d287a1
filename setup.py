"""The one thing pyproject.toml can't say: an installed wheel must carry the CMS plugin
sources, so that its server's release downloads build the same zips as
``build_plugins.py`` does in a checkout (SPEC §10). They live at the top of the
repository (SPEC §0), outside the package, so the build copies them into
``widget_server/releases/bundled/plugins/``. An editable install reads the checkout
instead and gets no copy.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PLUGIN_SOURCES = ("plugins/wordpress", "plugins/drupal/legion_integration")
BUNDLE = Path("widget_server", "releases", "bundled")
# Never shipped by the packager; the Drupal module's tests/ is left out by it too.
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", ".git*", ".DS_Store", "node_modules")


class BuildPyWithPluginSources(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for source in PLUGIN_SOURCES:
            target = Path(self.build_lib, BUNDLE, source)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / source, target, ignore=SKIPPED)


setup(cmdclass={"build_py": BuildPyWithPluginSources})
