"""The WordPress plugin's PHP as shipped: php -l, PHP 7.4 syntax only, translations,
uninstall, where the chat's settings are printed (the element, or the JSON data block),
and what the mount script takes from them, run in node.

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
from tests.support.tools import require_tool, run_node_harness, unpacked_plugin
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
// Just enough of WordPress to render a chat, print the footer's data block and filter
// script tags. What to do comes as JSON in the file named by $argv[2].
define( 'ABSPATH', '/' );
define( 'LEGION_AI_CONNECT_VERSION', '0.0.0' );
define( 'LEGION_AI_CONNECT_URL', 'https://site.example/wp-content/plugins/legion-ai-connect/' );
$legion_test_input    = json_decode( file_get_contents( $argv[2] ), true );
$legion_test_enqueued = array();
$legion_test_hooks    = array();
$legion_test_inline   = array();
function add_action( $hook, $callback, $priority = 10 ) {
	$GLOBALS['legion_test_hooks'][] = array( $hook, $callback, $priority );
}
function add_filter( $hook, $callback, $priority = 10 ) {
	$GLOBALS['legion_test_hooks'][] = array( $hook, $callback, $priority );
}
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
function wp_script_is( $handle, $status = 'enqueued' ) {
	return 'registered' === $status || in_array( $handle, $GLOBALS['legion_test_enqueued'], true );
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
if ( $legion_test_input['inline_tag'] ) {
	// As in WordPress 5.7 to 6.3 for a theme with HTML5 scripts (6.4+ add a CDATA wrapper
	// for JavaScript types only, 7.0 sets the text through the HTML API).
	function wp_print_inline_script_tag( $data, $attributes = array() ) {
		$GLOBALS['legion_test_inline'][] = array( $data, $attributes );
		$printed = '';
		foreach ( $attributes as $name => $value ) {
			$printed .= sprintf( ' %1$s="%2$s"', esc_attr( $name ), esc_attr( $value ) );
		}
		printf( "<script%s>%s</script>\n", $printed, "\n" . trim( $data, "\n\r " ) . "\n" );
	}
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
	list( $legion_test_html, $legion_test_handle ) = $legion_test_tag;
	$legion_test_tags[] = legion_ai_connect_defer_scripts( $legion_test_html, $legion_test_handle );
}
$legion_test_chat = null;
if ( $legion_test_input['render'] ) {
	$legion_test_chat = legion_ai_connect_render_chat( $legion_test_input['attributes'] );
}
// WordPress fires wp_print_footer_scripts once; a theme that prints the footer twice
// still gets one block.
ob_start();
legion_ai_connect_print_site_settings();
legion_ai_connect_print_site_settings();
$legion_test_footer = ob_get_clean();
echo json_encode(
	array(
		'chat'     => $legion_test_chat,
		'footer'   => $legion_test_footer,
		'tags'     => $legion_test_tags,
		'enqueued' => $legion_test_enqueued,
		'hooks'    => $legion_test_hooks,
		'inline'   => $legion_test_inline,
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
SITE_SETTINGS = {
    "serverUrl": "https://legion.example",
    "clientId": "lgn_site1",
    "redirectUri": "https://site.example/?legion_callback=1",
}
SETTINGS_ID = "legion-ai-connect-settings"


class Markup(HTMLParser):
    """The script and div elements of some HTML, with each script's text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[dict[str, str | None]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "div"):
            self.tags.append({"<tag>": tag, "<text>": "", **dict(attrs)})

    def handle_data(self, data):
        if self.tags and self.tags[-1]["<tag>"] == "script":
            self.tags[-1]["<text>"] += data


def render(
    plugin_dir: Path,
    tmp_path: Path,
    options: dict,
    tags=(),
    attributes=None,
    *,
    render_chat: bool = True,
    inline_tag: bool = True,
) -> dict:
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
                "render": render_chat,
                "inline_tag": inline_tag,
            }
        )
    )
    result = subprocess.run(
        ["php", str(harness), str(plugin_dir), str(data)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def data_block(footer: str) -> dict:
    """The footer's one element: the JSON data block, and what it says."""
    [block] = Markup(footer).tags
    assert block["<tag>"] == "script"
    assert (block["type"], block["id"]) == ("application/json", SETTINGS_ID)
    assert set(block) == {"<tag>", "<text>", "type", "id"}
    return json.loads(block["<text>"])


def test_the_chat_element_carries_only_the_presentational_settings(plugin_dir, tmp_path):
    rendered = render(plugin_dir, tmp_path, CONFIGURED)
    [chat] = Markup(rendered["chat"]).tags
    assert chat["class"] == "legion-ai-connect-chat legion-ai-connect-chat--inline"
    assert json.loads(chat["data-legion-config"]) == {
        "position": "inline",
        "theme": "light",
        "placeholder": "Ask",
    }
    for site_value in ("lgn_site1", "legion.example", "legion-callback", "legion_callback"):
        assert site_value not in rendered["chat"]
    assert rendered["enqueued"] == ["legion-ai-connect"]


@pytest.mark.parametrize(
    "inline_tag", [True, False], ids=["wp_print_inline_script_tag", "fallback"]
)
def test_a_chat_page_gets_the_site_settings_once_as_a_json_data_block(
    plugin_dir, tmp_path, inline_tag
):
    rendered = render(plugin_dir, tmp_path, CONFIGURED, inline_tag=inline_tag)
    assert rendered["footer"].count("<script") == 1
    assert data_block(rendered["footer"]) == SITE_SETTINGS
    if inline_tag:
        [(_, attributes)] = rendered["inline"]
        assert attributes == {"type": "application/json", "id": SETTINGS_ID}


def test_the_block_is_printed_just_before_the_footer_scripts_and_tags_get_only_defer(
    plugin_dir, tmp_path
):
    rendered = render(plugin_dir, tmp_path, CONFIGURED)
    hooks = {(hook, callback): priority for hook, callback, priority in rendered["hooks"]}
    # WordPress prints the footer scripts at priority 10 of the same action.
    assert hooks[("wp_print_footer_scripts", "legion_ai_connect_print_site_settings")] == 9
    assert [callback for hook, callback in hooks if hook == "script_loader_tag"] == [
        "legion_ai_connect_defer_scripts"
    ]


@pytest.mark.parametrize("form", sorted(TAG_FORMS))
def test_the_plugins_script_tags_are_deferred_and_otherwise_left_alone(plugin_dir, tmp_path, form):
    widget_tag = f"<script src='{WIDGET_SRC}' id='legion-ai-connect-widget-js'></script>\n"
    other_tag = "<script src='https://site.example/x.js' id='other-js'></script>\n"
    rendered = render(
        plugin_dir,
        tmp_path,
        CONFIGURED,
        [
            (TAG_FORMS[form], "legion-ai-connect"),
            (widget_tag, "legion-ai-connect-widget"),
            (other_tag, "other"),
        ],
    )
    mount_tag, widget, other = rendered["tags"]
    if form == "wp-6.4":
        assert mount_tag == TAG_FORMS[form]
    else:
        assert mount_tag == TAG_FORMS[form].replace("<script ", "<script defer ")
    # The bundled widget starts by itself when its tag has data-client-id: it gets nothing.
    assert widget == widget_tag.replace("<script ", "<script defer ")
    assert other == other_tag
    assert "data-legion" not in mount_tag + widget


def test_no_data_block_without_a_chat_on_the_page_or_without_settings(plugin_dir, tmp_path):
    assert render(plugin_dir, tmp_path, CONFIGURED, render_chat=False)["footer"] == ""
    unconfigured = render(plugin_dir, tmp_path, {})
    assert (unconfigured["chat"], unconfigured["footer"], unconfigured["enqueued"]) == ("", "", [])
    half = render(plugin_dir, tmp_path, {"legion_client_id": "lgn_site1"})
    assert (half["chat"], half["footer"]) == ("", "")


@pytest.mark.parametrize(
    "inline_tag", [True, False], ids=["wp_print_inline_script_tag", "fallback"]
)
def test_the_site_settings_can_not_break_out_of_the_data_block(plugin_dir, tmp_path, inline_tag):
    # Saved settings are validated; options written some other way are still escaped.
    options = {
        "legion_client_id": "lgn_a\"' &amp; </script><script>alert(1)</script>",
        "legion_server_url": "https://legion.example/<!--<script>\\u003c/SCRIPT >-->",
    }
    rendered = render(plugin_dir, tmp_path, options, inline_tag=inline_tag)
    footer = rendered["footer"]
    # Only the block's own tags hold "<"; no "&", quote or apostrophe inside it either.
    assert footer.count("<") == 2 and footer.lower().count("</script") == 1
    text = footer[footer.index(">") + 1 : footer.rindex("<")]
    assert not re.search(r"[<>&']", text)
    assert data_block(footer) == {
        "serverUrl": options["legion_server_url"],
        "clientId": options["legion_client_id"],
        "redirectUri": SITE_SETTINGS["redirectUri"],
    }


MOUNT_HARNESS = r"""
// Just enough of a browser's DOM for the mount script: elements by tag, id, class and
// attribute, a document whose own properties can shadow its methods (as a <form name>
// does in a real one), and DOMContentLoaded.
const fs = require('fs');
const vm = require('vm');
const input = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const events = [];

class EventTarget {
  addEventListener(type, listener) {
    (this.listeners[type] = this.listeners[type] || []).push(listener);
  }
}
class Element {
  constructor(index, spec) {
    this.index = index;
    this.tagName = spec.tag.toUpperCase();
    this.attributes = new Map(Object.entries(spec.attributes || {}));
    this.text = spec.text || '';
  }
  get textContent() { return this.text; }
  hasAttribute(name) { return this.attributes.has(name); }
  getAttribute(name) { return this.attributes.has(name) ? this.attributes.get(name) : null; }
  setAttribute(name, value) { this.attributes.set(name, String(value)); }
}
class HTMLElement extends Element {}
class HTMLScriptElement extends HTMLElement {}
class HTMLDivElement extends HTMLElement {}
const KINDS = { script: HTMLScriptElement, div: HTMLDivElement };

class Document extends EventTarget {
  constructor(specs, state) {
    super();
    this.listeners = {};
    this.state = state;
    this.all = specs.map((spec, index) => {
      // An SVG <script> or a custom element is an Element, not an HTMLScriptElement.
      const Kind = spec.namespace === 'svg' ? Element : KINDS[spec.tag] || HTMLElement;
      return new Kind(index, spec);
    });
  }
  get readyState() { return this.state; }
  querySelectorAll(selector) {
    const parts = /^(\w+)(?:#([\w-]+))?(?:\.([\w-]+))?(?:\[([\w-]+)\])?$/.exec(selector);
    if (!parts) {
      throw new Error('unexpected selector ' + selector);
    }
    const [, tag, id, cls, attribute] = parts;
    return this.all.filter(
      (el) =>
        el.tagName === tag.toUpperCase() &&
        (!id || el.getAttribute('id') === id) &&
        (!cls || (el.getAttribute('class') || '').split(/\s+/).includes(cls)) &&
        (!attribute || el.hasAttribute(attribute))
    );
  }
  getElementById(id) {
    return this.all.find((el) => el.getAttribute('id') === id) || null;
  }
}

const document = new Document(input.elements, input.readyState);
if (input.clobbered) {
  // <form name="querySelectorAll"> and the like: named elements shadow a document's own
  // properties (an element, so not callable).
  for (const name of ['querySelectorAll', 'getElementById', 'readyState', 'addEventListener']) {
    Object.defineProperty(document, name, { value: { tagName: 'FORM' } });
  }
}
const LegionChat = {
  mount(el, config) {
    events.push(['mount', el.index, JSON.parse(JSON.stringify(config))]);
  },
};
const sandbox = {
  document,
  window: { LegionChat },
  Document,
  EventTarget,
  HTMLScriptElement,
};
vm.runInNewContext(fs.readFileSync(process.argv[2], 'utf8'), sandbox);
events.push(['ran']);
for (const listener of document.listeners.DOMContentLoaded || []) {
  listener();
}
process.stdout.write(JSON.stringify(events));
"""


def settings_block(settings, *, tag: str = "script", type_: str = "application/json", **spec):
    """The plugin's data block (``settings`` as JSON unless a string), or a look-alike."""
    text = settings if isinstance(settings, str) else json.dumps(settings)
    attributes = {"id": SETTINGS_ID}
    if type_ is not None:
        attributes["type"] = type_
    return {"tag": tag, "attributes": attributes, "text": text, **spec}


def chat_element(config, *, tag: str = "div") -> dict:
    raw = config if isinstance(config, str) else json.dumps(config)
    return {
        "tag": tag,
        "attributes": {"class": "legion-ai-connect-chat", "data-legion-config": raw},
    }


def run_mount_script(
    plugin_dir: Path, tmp_path: Path, elements: list, *, ready_state="loading", clobbered=False
) -> list:
    script = plugin_dir / "public" / "js" / "legion-ai-connect.js"
    data = {"elements": elements, "readyState": ready_state, "clobbered": clobbered}
    return run_node_harness(MOUNT_HARNESS, script, data, tmp_path)


FOREIGN = {
    "serverUrl": "https://evil.example",
    "clientId": "lgn_attacker",
    "redirectUri": "https://evil.example/callback",
}


@pytest.mark.parametrize("ready_state", ["loading", "interactive"])
def test_chats_mount_with_the_data_blocks_settings_and_their_own_presentation(
    plugin_dir, tmp_path, ready_state
):
    forged = {**FOREIGN, "position": "inline", "theme": "light", "placeholder": "Forged chat"}
    elements = [
        # An author's post: a look-alike chat, a <div> with the block's id and the foreign
        # settings as its text, a custom element of that id; then the real chat.
        chat_element(forged),
        settings_block(FOREIGN, tag="div", type_=None),
        settings_block(FOREIGN, tag="legion-settings"),
        chat_element({"position": "bottom-left", "theme": "auto", "serverUrl": 1}),
        # The plugin's block, printed in the footer.
        settings_block(SITE_SETTINGS),
    ]
    events = run_mount_script(plugin_dir, tmp_path, elements, ready_state=ready_state)
    mounts = [
        ["mount", 0, {**SITE_SETTINGS, "position": "inline", "theme": "light",
                      "placeholder": "Forged chat"}],
        ["mount", 3, {**SITE_SETTINGS, "position": "bottom-left", "theme": "auto"}],
    ]  # fmt: skip
    # While the page loads, the script waits for the whole document (the block comes
    # after the chats, and an optimizer may have moved the script above both).
    expected = [["ran"], *mounts] if ready_state == "loading" else [*mounts, ["ran"]]
    assert events == expected


def test_clobbered_document_methods_change_nothing(plugin_dir, tmp_path):
    elements = [chat_element({"position": "inline"}), settings_block(SITE_SETTINGS)]
    events = run_mount_script(plugin_dir, tmp_path, elements, clobbered=True)
    assert events == [["ran"], ["mount", 0, {**SITE_SETTINGS, "position": "inline"}]]


@pytest.mark.parametrize(
    "blocks",
    [
        [],
        [settings_block(SITE_SETTINGS, tag="div", type_=None)],
        [settings_block(SITE_SETTINGS, namespace="svg")],
        [settings_block(SITE_SETTINGS, type_=None)],
        [settings_block(SITE_SETTINGS, type_="text/javascript")],
        [settings_block(SITE_SETTINGS), settings_block(FOREIGN)],
        [settings_block("not json")],
        [settings_block("null")],
        [settings_block([SITE_SETTINGS])],
        [settings_block({**SITE_SETTINGS, "clientId": ""})],
        [settings_block({**SITE_SETTINGS, "serverUrl": ["https://legion.example"]})],
        [settings_block({"clientId": "lgn_site1", "redirectUri": SITE_SETTINGS["redirectUri"]})],
    ],
    ids=[
        "none",
        "a-div",
        "an-svg-script",
        "javascript-without-type",
        "javascript",
        "two-blocks",
        "not-json",
        "null",
        "an-array",
        "empty-client",
        "non-string-server",
        "no-server",
    ],
)
def test_without_exactly_one_valid_data_block_nothing_mounts(plugin_dir, tmp_path, blocks):
    # The element's own serverUrl/clientId never stand in for missing or odd settings.
    forged = {**FOREIGN, "position": "inline"}
    events = run_mount_script(plugin_dir, tmp_path, [chat_element(forged), *blocks])
    assert events == [["ran"]]


def test_only_div_chat_elements_with_a_json_object_mount(plugin_dir, tmp_path):
    odd = {"position": ["inline"], "theme": {"toString": "light"}, "placeholder": 5}
    elements = [
        chat_element(odd),
        chat_element("not json"),
        chat_element("null"),
        chat_element('"inline"'),
        # A <form> could shadow its own getAttribute with a named <input>.
        chat_element({"position": "inline"}, tag="form"),
        settings_block(SITE_SETTINGS),
    ]
    events = run_mount_script(plugin_dir, tmp_path, elements)
    # Odd values are dropped (the widget's defaults apply); where the attribute isn't a
    # JSON object (unreadable, null, a bare string), nothing mounts.
    assert events == [["ran"], ["mount", 0, SITE_SETTINGS]]
