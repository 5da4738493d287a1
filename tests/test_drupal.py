"""The Drupal module: its PHPUnit suite (against stand-ins of core), php -l, and its YAML
files checked against the conventions core relies on."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.server import REPO_ROOT
from tests.support.tools import require_tool, unpacked_plugin
from widget_server.releases.packager import DRUPAL

MODULE_SOURCES = REPO_ROOT / "plugins" / "drupal" / "legion_integration"
SYMFONY_HTTP_FOUNDATION = "/usr/share/php/Symfony/Component/HttpFoundation/autoload.php"


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory) -> Path:
    """The module as unpacked from its zip (templates rendered, widget bundled)."""
    return unpacked_plugin(DRUPAL, tmp_path_factory, "legion_integration")


def load(module_dir: Path, name: str):
    return yaml.safe_load((module_dir / name).read_text())


def test_phpunit_suite_passes():
    require_tool("phpunit", "Debian package phpunit")
    require_tool(SYMFONY_HTTP_FOUNDATION, "Debian package php-symfony-http-foundation")
    result = subprocess.run(
        ["phpunit", "--configuration", str(MODULE_SOURCES / "tests" / "phpunit.xml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    summary = re.search(r"OK \((\d+) tests?, (\d+) assertions?\)", result.stdout)
    assert summary, result.stdout
    assert int(summary.group(1)) >= 30


def test_every_php_file_passes_php_lint(module_dir):
    require_tool("php", "Debian package php-cli")
    files = sorted(module_dir.rglob("*.php")) + sorted(module_dir.glob("*.module"))
    assert len(files) >= 5
    for path in files:
        result = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    for path in sorted((MODULE_SOURCES / "tests").rglob("*.php")):
        result = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_every_yaml_file_parses(module_dir):
    files = sorted(module_dir.rglob("*.yml"))
    assert len(files) == 7
    for path in files:
        assert isinstance(yaml.safe_load(path.read_text()), dict), path


def test_info_file_declares_a_drupal_10_and_11_module(module_dir):
    info = load(module_dir, "legion_integration.info.yml")
    assert info["type"] == "module"
    assert info["name"]
    assert info["core_version_requirement"] == "^10 || ^11"
    assert str(info["php"]) == "8.1"
    assert info["configure"] in load(module_dir, "legion_integration.routing.yml")


def test_callback_route_is_public_and_uncached(module_dir):
    routes = load(module_dir, "legion_integration.routing.yml")
    callback = routes["legion_integration.callback"]
    assert callback["path"] == "/legion-callback"
    assert callback["requirements"] == {"_access": "TRUE"}
    assert callback["options"]["no_cache"] is True
    controller, method = callback["defaults"]["_controller"].rsplit("::", 1)
    source = (module_dir / "src" / "Controller" / "LegionCallbackController.php").read_text()
    assert controller == r"\Drupal\legion_integration\Controller\LegionCallbackController"
    assert f"public function {method}(): Response" in source


def test_settings_route_menu_and_permission_fit_together(module_dir):
    routes = load(module_dir, "legion_integration.routing.yml")
    settings = routes["legion_integration.settings"]
    assert settings["path"].startswith("/admin/config/services/")
    assert settings["defaults"]["_form"] == r"\Drupal\legion_integration\Form\LegionSettingsForm"
    permission = settings["requirements"]["_permission"]
    permissions = load(module_dir, "legion_integration.permissions.yml")
    assert permissions[permission]["restrict access"] is True
    menu = load(module_dir, "legion_integration.links.menu.yml")["legion_integration.settings"]
    assert menu["parent"] == "system.admin_config_services"
    assert menu["route_name"] == "legion_integration.settings"
    assert menu["title"] == "Legion AI"


def test_libraries_bundle_the_widget_and_the_behavior(module_dir):
    libraries = load(module_dir, "legion_integration.libraries.yml")
    for library in libraries.values():
        for path in library["js"]:
            assert (module_dir / path).is_file(), path
    assert (module_dir / "js" / "widget.js").read_bytes() == (
        REPO_ROOT / "widget_server" / "static" / "widget.js"
    ).read_bytes()
    chat = libraries["chat"]
    assert {"core/drupal", "core/once", "legion_integration/widget"} <= set(chat["dependencies"])
    behavior = (module_dir / "js" / "legion-integration.js").read_text()
    assert "Drupal.behaviors.legionIntegrationChat" in behavior
    assert "once(" in behavior


def test_config_schema_covers_the_installed_settings_and_the_block(module_dir):
    schema = load(module_dir, "config/schema/legion_integration.schema.yml")
    installed = load(module_dir, "config/install/legion_integration.settings.yml")
    settings = schema["legion_integration.settings"]
    assert settings["type"] == "config_object"
    assert set(settings["mapping"]) == set(installed) == {"client_id", "server_url"}
    block_source = (module_dir / "src" / "Plugin" / "Block" / "LegionChatBlock.php").read_text()
    block_id = re.search(r"id: '([a-z_]+)'", block_source).group(1)
    block_schema = schema[f"block.settings.{block_id}"]
    assert block_schema["type"] == "block_settings"
    assert set(block_schema["mapping"]) == {"position", "theme", "placeholder"}
    assert f'id = "{block_id}"' in block_source  # the annotation names the same id
