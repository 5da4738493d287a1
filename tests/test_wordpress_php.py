"""The WordPress plugin's PHP as shipped: php -l, PHP 7.4 syntax only, translations,
uninstall, and where the chat's settings are printed (the element or the script tag).

The files checked are the ones in the built zip (templates rendered), since those are
what a site runs.
"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
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


RENDER_HARNESS = r"""<?php
// Just enough of WordPress to render a chat and filter its script tags. The options and
// the tags to filter come as JSON in the file named by $argv[2].
define( 'ABSPATH', '/' );
define( 'LEGION_AI_CONNECT_VERSION', '0.0.0' );
define( 'LEGION_AI_CONNECT_URL', 'https://site.example/wp-content/plugins/legion-ai-connect/' );
$legion_test_input    = json_decode( file_get_contents( $argv[2] ), true );
$legion_test_enqueued = array();
function add_action() {}
function add_filter() {}
function get_option( $name, $default_value = false ) {
	$options = $GLOBALS['legion_test_input']['options'];
	return array_key_exists( $name, $options ) ? $options[ $name ] : $default_value;
}
function esc_attr( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' );
}
function esc_html__( $text ) {
	return htmlspecialchars( $text, ENT_QUOTES, 'UTF-8' );
}
function current_user_can() {
	return false;
}
function sanitize_text_field( $text ) {
	return trim( strip_tags( $text ) );
}
function wp_json_encode( $data, $flags = 0 ) {
	return json_encode( $data, $flags );
}
function wp_script_is() {
	return true;
}
function wp_enqueue_script( $handle ) {
	$GLOBALS['legion_test_enqueued'][] = $handle;
}
function home_url( $path = '' ) {
	return 'https://site.example' . $path;
}
function add_query_arg( $key, $value, $url ) {
	return $url . '?' . $key . '=' . $value;
}
$legion_test_files = array(
	'includes/defaults.php',
	'includes/settings.php',
	'public/assets.php',
	'public/callback.php',
	'public/shortcode.php',
);
foreach ( $legion_test_files as $legion_test_file ) {
	require $argv[1] . '/' . $legion_test_file;
}
$legion_test_tags = array();
foreach ( $legion_test_input['tags'] as $legion_test_tag ) {
	$legion_test_tags[] = apply_tag_filters( $legion_test_tag[0], $legion_test_tag[1] );
}
function apply_tag_filters( $tag, $handle ) {
	$tag = legion_ai_connect_defer_scripts( $tag, $handle );
	return legion_ai_connect_add_site_config( $tag, $handle );
}
echo json_encode(
	array(
		'chat'     => legion_ai_connect_render_chat( $legion_test_input['attributes'] ),
		'tags'     => $legion_test_tags,
		'enqueued' => $legion_test_enqueued,
	)
);
"""
MOUNT_SRC = (
    "https://site.example/wp-content/plugins/legion-ai-connect/public/js/legion-ai-connect.js"
)
WIDGET_SRC = "https://site.example/wp-content/plugins/legion-ai-connect/public/js/widget.js"
# How WordPress prints a script: single quotes up to 6.2, double quotes and the loading
# strategy from 6.3/6.4, and inline scripts of the same handle printed before it.
TAG_FORMS = {
    "wp-6.1": f"<script src='{MOUNT_SRC}?ver=0.0.0' id='legion-ai-connect-js'></script>\n",
    "wp-6.4": (
        f'<script src="{MOUNT_SRC}?ver=0.0.0" id="legion-ai-connect-js" defer '
        'data-wp-strategy="defer"></script>\n'
    ),
    "inline-before": (
        "<script id='legion-ai-connect-js-before'>\nvar other = 1;\n</script>\n"
        f"<script src='{MOUNT_SRC}?ver=0.0.0' id='legion-ai-connect-js'></script>\n"
    ),
}
CONFIGURED = {"legion_client_id": "lgn_site1", "legion_server_url": "https://legion.example"}


class ScriptTags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[dict[str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "div"):
            self.tags.append({"<tag>": tag, **dict(attrs)})


def render(plugin_dir: Path, tmp_path: Path, options: dict, tags=(), attributes=None) -> dict:
    require_tool("php", "Debian package php-cli")
    harness = tmp_path / "render-harness.php"
    harness.write_text(RENDER_HARNESS)
    data = tmp_path / "render-input.json"
    data.write_text(
        json.dumps(
            {
                "options": options,
                "tags": [list(tag) for tag in tags],
                "attributes": attributes
                or {"position": "inline", "theme": "light", "placeholder": "Ask"},
            }
        )
    )
    result = subprocess.run(
        ["php", str(harness), str(plugin_dir), str(data)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_the_chat_element_carries_only_the_presentational_settings(plugin_dir, tmp_path):
    rendered = render(plugin_dir, tmp_path, CONFIGURED)
    [chat] = ScriptTags(rendered["chat"]).tags
    assert chat["class"] == "legion-ai-connect-chat legion-ai-connect-chat--inline"
    assert json.loads(chat["data-legion-config"]) == {
        "position": "inline",
        "theme": "light",
        "placeholder": "Ask",
    }
    for site_value in ("lgn_site1", "legion.example", "legion-callback", "legion_callback"):
        assert site_value not in rendered["chat"]
    assert rendered["enqueued"] == ["legion-ai-connect"]


@pytest.mark.parametrize("form", sorted(TAG_FORMS))
def test_the_site_settings_go_on_the_mount_scripts_own_tag(plugin_dir, tmp_path, form):
    rendered = render(plugin_dir, tmp_path, CONFIGURED, [(TAG_FORMS[form], "legion-ai-connect")])
    tags = ScriptTags(rendered["tags"][0]).tags
    mount = next(tag for tag in tags if tag.get("id") == "legion-ai-connect-js")
    assert mount["src"].startswith(MOUNT_SRC)
    assert "defer" in mount
    assert (
        mount["data-legion-server-url"],
        mount["data-legion-client-id"],
        mount["data-legion-redirect-uri"],
    ) == ("https://legion.example", "lgn_site1", "https://site.example/?legion_callback=1")
    others = [tag for tag in tags if tag is not mount]
    assert len(others) == (1 if form == "inline-before" else 0)
    assert all(not any(name.startswith("data-legion") for name in tag) for tag in others)


def test_other_handles_and_an_unconfigured_site_get_no_settings(plugin_dir, tmp_path):
    widget_tag = f"<script src='{WIDGET_SRC}' id='legion-ai-connect-widget-js'></script>\n"
    other_tag = "<script src='https://site.example/x.js' id='legion-ai-connect-js-x'></script>\n"
    mount_tag = TAG_FORMS["wp-6.1"]
    configured = render(
        plugin_dir,
        tmp_path,
        CONFIGURED,
        [(widget_tag, "legion-ai-connect-widget"), (other_tag, "legion-ai-connect")],
    )
    # The bundled widget starts by itself when its tag has data-client-id: it gets nothing.
    assert configured["tags"][0] == widget_tag.replace("<script ", "<script defer ")
    assert "data-legion" not in configured["tags"][1]
    unconfigured = render(plugin_dir, tmp_path, {}, [(mount_tag, "legion-ai-connect")])
    assert "data-legion" not in unconfigured["tags"][0]
    assert unconfigured["chat"] == ""


def test_the_site_settings_are_escaped_on_the_tag(plugin_dir, tmp_path):
    # Saved settings are validated; options written some other way are still escaped.
    options = {
        "legion_client_id": "lgn_a\"' onload='x",
        "legion_server_url": 'https://legion.example/$1\\1"><script>alert(1)</script>',
    }
    rendered = render(plugin_dir, tmp_path, options, [(TAG_FORMS["wp-6.1"], "legion-ai-connect")])
    assert "<script>alert" not in rendered["tags"][0]
    [mount] = ScriptTags(rendered["tags"][0]).tags
    assert "onload" not in mount
    assert mount["data-legion-client-id"] == options["legion_client_id"]
    assert mount["data-legion-server-url"] == options["legion_server_url"]
