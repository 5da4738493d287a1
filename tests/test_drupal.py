"""The Drupal module: its PHPUnit suite (against stand-ins of core), php -l, its YAML
files checked against the conventions core relies on, and its behavior run in node
against stand-ins of Drupal, once() and the widget."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.server import REPO_ROOT
from tests.support.tools import require_tool, run_node_harness, unpacked_plugin
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
    assert {
        "core/drupal",
        "core/drupalSettings",
        "core/once",
        "legion_integration/widget",
    } <= set(chat["dependencies"])
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


BEHAVIOR_HARNESS = r"""
// Runs js/legion-integration.js (argv[2]) against stand-ins for Drupal, once() and the
// widget: the page's elements and the attach/detach calls come as JSON (argv[3]), what
// the widget was asked to mount and unmount goes to stdout.
const fs = require('fs');
const vm = require('vm');
const input = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const events = [];

function element(index, spec) {
  const attributes = new Map(Object.entries({ class: spec.class, ...spec.attributes }));
  return {
    index,
    classList: attributes.get('class').split(/\s+/),
    hasAttribute: (name) => attributes.has(name),
    getAttribute: (name) => (attributes.has(name) ? attributes.get(name) : null),
  };
}
const page = input.elements.map((spec, index) => element(index, spec));

// once() for the one kind of selector the behavior uses: .class[attribute].
const seen = new Map();
function matching(selector) {
  const parts = /^\.([\w-]+)\[([\w-]+)\]$/.exec(selector);
  if (!parts) {
    throw new Error('unexpected selector ' + selector);
  }
  return page.filter((el) => el.classList.includes(parts[1]) && el.hasAttribute(parts[2]));
}
function once(id, selector, context) {
  if (context !== page) {
    throw new Error('unexpected context');
  }
  const ids = seen.get(id) || new Set();
  seen.set(id, ids);
  return matching(selector).filter((el) => !ids.has(el) && ids.add(el));
}
once.remove = (id, selector, context) => {
  const ids = seen.get(id) || new Set();
  return matching(selector).filter((el) => ids.delete(el));
};

const LegionChat = {
  mount(el, config) {
    events.push(['mount', el.index, JSON.parse(JSON.stringify(config))]);
    return { unmount: () => events.push(['unmount', el.index]) };
  },
};
const sandbox = { Drupal: { behaviors: {} }, once, window: { LegionChat } };
vm.runInNewContext(fs.readFileSync(process.argv[2], 'utf8'), sandbox);
const behavior = sandbox.Drupal.behaviors.legionIntegrationChat;
for (const [call, settings, trigger] of input.calls) {
  behavior[call](page, settings, trigger);
}
process.stdout.write(JSON.stringify(events));
"""
SITE = {
    "serverUrl": "https://legion.example",
    "clientId": "lgn_site1",
    "redirectUri": "https://drupal.example/legion-callback",
}
DRUPAL_SETTINGS = {"path": {"baseUrl": "/"}, "legionIntegration": SITE}
CHAT_CLASS = "legion-integration-chat legion-integration-chat--inline"


def chat(config, css_class: str = CHAT_CLASS) -> dict:
    """A chat element; ``config`` is its data-legion-config (JSON unless a string)."""
    raw = config if isinstance(config, str) else json.dumps(config)
    return {"class": css_class, "attributes": {"data-legion-config": raw}}


def run_behavior(module_dir: Path, tmp_path: Path, elements: list, calls: list) -> list:
    behavior = module_dir / "js" / "legion-integration.js"
    data = {"elements": elements, "calls": calls}
    return run_node_harness(BEHAVIOR_HARNESS, behavior, data, tmp_path)


def test_a_forged_chat_element_mounts_with_the_sites_settings_only(module_dir, tmp_path):
    forged = {
        "serverUrl": "https://evil.example",
        "clientId": "lgn_attacker",
        "redirectUri": "https://evil.example/callback",
        "strings": {"connect": "Log in to Legion"},
        "open": True,
        "position": "inline",
        "theme": "light",
        "placeholder": "Forged chat",
    }
    real = {"position": "bottom-left", "theme": "auto"}
    events = run_behavior(
        module_dir, tmp_path, [chat(forged), chat(real)], [["attach", DRUPAL_SETTINGS]]
    )
    presentation = {"position": "inline", "theme": "light", "placeholder": "Forged chat"}
    assert events == [
        ["mount", 0, {**SITE, **presentation}],
        ["mount", 1, {**SITE, "position": "bottom-left", "theme": "auto"}],
    ]


def test_the_behavior_takes_only_strings_for_the_presentational_settings(module_dir, tmp_path):
    odd = {"position": ["inline"], "theme": {"toString": "light"}, "placeholder": 5}
    elements = [chat(odd), chat("not json"), chat("null"), chat('"inline"')]
    events = run_behavior(module_dir, tmp_path, elements, [["attach", DRUPAL_SETTINGS]])
    # Odd values are dropped (the widget's defaults apply); where the attribute isn't a
    # JSON object (unreadable, null, a bare string), nothing mounts.
    assert events == [["mount", 0, SITE]]


@pytest.mark.parametrize(
    "settings",
    [
        {"path": {"baseUrl": "/"}},
        {"legionIntegration": {**SITE, "clientId": ""}},
        {"legionIntegration": {**SITE, "serverUrl": ["https://legion.example"]}},
        {"legionIntegration": {"clientId": "lgn_site1", "redirectUri": SITE["redirectUri"]}},
        {"legionIntegration": "https://legion.example"},
    ],
    ids=["none", "empty-client", "non-string-server", "no-server", "not-an-object"],
)
def test_without_the_sites_settings_nothing_mounts_until_they_come(module_dir, tmp_path, settings):
    # The element's own serverUrl/clientId never stand in for missing site settings, and
    # the elements wait for an attach that brings them (a later AJAX response).
    forged = {**SITE, "clientId": "lgn_attacker", "position": "inline"}
    calls = [["attach", settings], ["attach", DRUPAL_SETTINGS]]
    events = run_behavior(module_dir, tmp_path, [chat(forged)], calls)
    assert events == [["mount", 0, {**SITE, "position": "inline"}]]


def test_the_behavior_mounts_each_chat_once_and_unmounts_on_unload(module_dir, tmp_path):
    elements = [
        chat({"position": "inline"}),
        {"class": "legion-integration-chat", "attributes": {}},
        chat({"position": "inline"}, css_class="some-other-block"),
    ]
    calls = [
        ["attach", DRUPAL_SETTINGS],
        ["attach", DRUPAL_SETTINGS],
        ["detach", DRUPAL_SETTINGS, "serialize"],
        ["detach", DRUPAL_SETTINGS, "unload"],
        ["attach", DRUPAL_SETTINGS],
    ]
    events = run_behavior(module_dir, tmp_path, elements, calls)
    mounted = ["mount", 0, {**SITE, "position": "inline"}]
    assert events == [mounted, ["unmount", 0], mounted]
