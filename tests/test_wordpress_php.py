"""The WordPress plugin's PHP as shipped: php -l, PHP 7.4 syntax only, translations.

The files checked are the ones in the built zip (templates rendered), since those are
what a site runs.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.server import REPO_ROOT
from tests.support.tools import require_tool, unpacked_plugin
from widget_server.releases.packager import WORDPRESS

CHECKER = REPO_ROOT / "tests" / "php" / "php74_compat.php"
PHP_PARSER = "/usr/share/php/PhpParser/autoload.php"
TEXT_DOMAIN = "legion-ai-connect"
# WordPress's translation functions whose first argument is the message.
I18N_CALL = re.compile(
    r"\b(?:__|_e|esc_html__|esc_html_e|esc_attr__|esc_attr_e)\(\s*"
    r"(?P<q>['\"])(?P<msg>(?:\\.|(?!(?P=q)).)*)(?P=q)\s*,\s*(?P<domain>[^)]*?)\s*\)",
    re.DOTALL,
)


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory) -> Path:
    """The plugin as unpacked from its zip."""
    return unpacked_plugin(WORDPRESS, tmp_path_factory, "legion-ai-connect")


def php_files(plugin_dir: Path) -> list[Path]:
    files = sorted(plugin_dir.rglob("*.php"))
    assert len(files) > 10
    return files


def source_files(plugin_dir: Path) -> list[Path]:
    """PHP and JavaScript written for the plugin (not the bundled widget)."""
    files = php_files(plugin_dir) + sorted(plugin_dir.rglob("*.js"))
    return [f for f in files if f.name != "widget.js"]


def test_every_php_file_passes_php_lint(plugin_dir):
    require_tool("php", "Debian package php-cli")
    for path in php_files(plugin_dir):
        result = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_plugin_uses_only_php_7_4_syntax_and_functions(plugin_dir):
    require_tool("php", "Debian package php-cli")
    require_tool(PHP_PARSER, "Debian package php-parser")
    files = [str(p) for p in php_files(plugin_dir)]
    result = subprocess.run(["php", str(CHECKER), *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_php_7_4_check_finds_php_8_syntax(tmp_path):
    """The check above could fail: PHP 8-only code is reported, line by line."""
    require_tool("php", "Debian package php-cli")
    require_tool(PHP_PARSER, "Debian package php-parser")
    sample = tmp_path / "php8.php"
    sample.write_text(
        "<?php\n"
        "function legion_a( int|string $v ): mixed { return match ( $v ) { default => 1 }; }\n"
        "$legion_b = $legion_o?->name;\n"
        "legion_c( value: 1 );\n"
        "if ( str_starts_with( 'ab', 'a' ) ) {}\n"
        "class Legion_D { public function __construct( private int $x ) {} }\n"
    )
    result = subprocess.run(["php", str(CHECKER), str(sample)], capture_output=True, text=True)
    assert result.returncode == 1
    for expected in (
        ":2: union type",
        ":2: type mixed",
        ":2: match expression",
        ":3: nullsafe operator",
        ":4: named argument",
        ":5: function str_starts_with()",
        ":6: constructor property promotion",
    ):
        assert expected in result.stdout, result.stdout


def test_every_translatable_string_uses_the_plugin_text_domain(plugin_dir):
    calls = 0
    for path in source_files(plugin_dir):
        for match in I18N_CALL.finditer(path.read_text()):
            calls += 1
            assert match.group("domain").strip("'\" ") == TEXT_DOMAIN, (path, match.group(0))
    assert calls > 20


def test_the_pot_file_lists_every_translatable_string(plugin_dir):
    pot = (plugin_dir / "languages" / "legion-ai-connect.pot").read_text()
    catalog = set()
    for block in re.findall(r'^msgid ((?:".*"\n)+)', pot, re.MULTILINE):
        catalog.add("".join(re.findall(r'"(.*)"', block)).replace('\\"', '"'))
    for path in source_files(plugin_dir):
        for match in I18N_CALL.finditer(path.read_text()):
            message = match.group("msg")
            message = message.replace("\\'", "'") if match.group("q") == "'" else message
            message = message.replace('\\"', '"')
            assert message in catalog, f"{path.name}: {message!r} is missing from the .pot"


def test_no_inline_event_handlers_or_secrets_in_the_plugin(plugin_dir):
    for path in source_files(plugin_dir):
        text = path.read_text()
        assert not re.search(r"\son[a-z]+\s*=\s*['\"\\]", text), path
        assert "client_secret" not in text.lower(), path
        assert "innerHTML" not in text, path


UNINSTALL_HARNESS = r"""<?php
// Just enough of WordPress for uninstall.php: a network of 150 sites whose get_sites()
// behaves like WP_Site_Query (100 sites unless 'number' says otherwise; 0 means all).
define( 'WP_UNINSTALL_PLUGIN', 'legion-ai-connect/legion-ai-connect.php' );
$legion_test_current = 1;
$legion_test_left    = array();
foreach ( range( 1, 150 ) as $legion_test_site ) {
	$legion_test_left[ $legion_test_site ] = array(
		'legion_client_id'  => 'lgn_abc',
		'legion_server_url' => 'https://legion.example',
		'blogname'          => 'Site',
	);
}
function is_multisite() {
	return true;
}
function get_sites( $args = array() ) {
	global $legion_test_left;
	$args   = array_merge( array( 'number' => 100, 'fields' => '' ), $args );
	$ids    = array_keys( $legion_test_left );
	$number = abs( (int) $args['number'] );
	return $number ? array_slice( $ids, 0, $number ) : $ids;
}
function switch_to_blog( $id ) {
	$GLOBALS['legion_test_current'] = $id;
	return true;
}
function restore_current_blog() {
	$GLOBALS['legion_test_current'] = 1;
	return true;
}
function delete_option( $name ) {
	global $legion_test_left, $legion_test_current;
	unset( $legion_test_left[ $legion_test_current ][ $name ] );
	return true;
}
require $argv[1];
echo json_encode( $legion_test_left );
"""


def test_uninstall_removes_the_options_on_every_site_of_a_large_network(plugin_dir, tmp_path):
    require_tool("php", "Debian package php-cli")
    harness = tmp_path / "uninstall-harness.php"
    harness.write_text(UNINSTALL_HARNESS)
    result = subprocess.run(
        ["php", str(harness), str(plugin_dir / "uninstall.php")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    left = json.loads(result.stdout)
    assert len(left) == 150
    assert all(options == {"blogname": "Site"} for options in left.values()), [
        site for site, options in left.items() if options != {"blogname": "Site"}
    ]
