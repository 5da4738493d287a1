"""The WordPress plugin on a real WordPress (SPEC §7), driven in Chromium.

A site owner uploads the built zip through Plugins > Add New, activates it, reads the
Redirect URI on Settings > Legion AI, registers an app with it and pastes the Client ID;
a page gets ``[legion_chat ...]``; a visitor connects through the popup and the plugin's
callback page and chats with a streamed reply. Once with pretty permalinks and once with
plain ones. Then attacks: markup in every shortcode attribute and block setting, an
author's forged chat element and settings pointing at another server, a subscriber at the
settings, page caches; and a JS optimizer that strips and moves the plugin's script tags.
Last, deactivate and uninstall leave nothing.

One WordPress serves the whole module (installing one takes seconds), and the Legion
server and fake LLM provider are the browser suite's shared ones (``e2e/conftest.py``);
the tests run in file order and each sets the state it needs.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from e2e.widget_driver import Widget
from e2e.wordpress import admin
from e2e.wordpress.site import ADMIN_PASSWORD, ADMIN_USER, WordPressSite, require_wordpress
from tests.support.server import REPO_ROOT

pytestmark = [pytest.mark.wordpress, pytest.mark.browser]

SHORTCODE = '[legion_chat position="inline" theme="light" placeholder="Ask me anything..."]'
CHAT = ".legion-ai-connect-chat"
SETTINGS_ID = "legion-ai-connect-settings"
SETTINGS_BLOCK = f"script#{SETTINGS_ID}[type='application/json']"
ATTACKS = (
    '"><script>window.__legion_pwned=1</script>',
    "javascript:window.__legion_pwned=2",
    'x" onerror="window.__legion_pwned=3',
)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def wordpress():
    require_wordpress()
    with WordPressSite() as site:
        yield site


@pytest.fixture(scope="module")
def plugin_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "build_plugins.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return out / "legion-wordpress.zip"


@pytest.fixture(scope="module")
def owner(chromium, wordpress, plugin_zip):
    """The site owner's browser, logged in to wp-admin, with the plugin installed."""
    context = admin.new_context(chromium)
    page = context.new_page()
    admin.log_in(page, wordpress.url, ADMIN_USER, ADMIN_PASSWORD)
    admin.upload_plugin(page, wordpress.url, plugin_zip)
    yield page
    context.close()


@pytest.fixture
def visitor_page(chromium):
    context = admin.new_context(chromium)
    page = context.new_page()
    yield page
    context.close()


def read_redirect_uri(page, site_url: str) -> str:
    admin.open_legion_settings(page, site_url)
    return page.locator("#legion-redirect-uri").input_value()


def ensure_configured(owner, wordpress, legion) -> None:
    """Tests that only look at pages need some saved settings, whichever app they name."""
    if not wordpress.php("return get_option( 'legion_client_id' );"):
        admin.save_legion_settings(owner, wordpress.url, "lgn_pagesonly", legion.url)
        expect(owner.locator("#setting-error-settings_updated")).to_be_visible()


def chat_configs(page) -> list[dict]:
    """What each chat element says: its presentational settings only."""
    return [
        json.loads(raw)
        for raw in page.locator(CHAT).evaluate_all("els => els.map(e => e.dataset.legionConfig)")
    ]


def site_config(page) -> dict:
    """The site's settings, which travel in the plugin's JSON data block."""
    block = page.locator(SETTINGS_BLOCK)
    expect(block).to_have_count(1)
    return json.loads(block.text_content())


def widget_in(page, scope, placeholder: str) -> Widget:
    """A Widget driver for the one chat inside ``scope`` (a page with several chats)."""
    widget = Widget(page, placeholder=placeholder)
    widget.launcher = scope.get_by_role("button", name="Open chat")
    for name, label in (
        ("connect_button", "Connect"),
        ("send_button", "Send"),
        ("stop_button", "Stop"),
        ("disconnect_button", "Disconnect"),
    ):
        setattr(widget, name, scope.get_by_role("button", name=label, exact=True))
    widget.input = scope.get_by_placeholder(placeholder)
    widget.alert = scope.locator(".legion-chat-widget .alert")
    widget.gate = scope.locator(".legion-chat-widget .gate p")
    widget.replies = scope.locator(".legion-chat-widget .msg.bot:not(.note) > div")
    widget.questions = scope.locator(".legion-chat-widget .msg.me > div")
    return widget


# ---------------------------------------------------------------- the site owner


def test_the_zip_installs_and_activates_through_the_plugins_screen(owner, wordpress, plugin_zip):
    owner.goto(f"{wordpress.url}/wp-admin/plugins.php")
    row = owner.locator("tr[data-slug='legion-ai-connect']")
    expect(row).to_have_class(re.compile(r"\bactive\b"))
    expect(row.get_by_role("link", name="Settings")).to_be_visible()
    bundled = zipfile.ZipFile(plugin_zip).read("legion-ai-connect/public/js/widget.js")
    assert (wordpress.plugin_dir() / "public" / "js" / "widget.js").read_bytes() == bundled
    row.get_by_role("link", name="Settings").click()
    expect(owner.get_by_role("heading", name="Legion AI")).to_be_visible()


def test_bad_settings_are_refused_and_the_saved_ones_kept(owner, wordpress):
    admin.save_legion_settings(owner, wordpress.url, "lgn_goodvalue1", "https://legion.example")
    expect(owner.locator("#setting-error-settings_updated")).to_be_visible()
    admin.save_legion_settings(owner, wordpress.url, '"><script>x</script>', "javascript:alert(1)")
    expect(owner.locator("#setting-error-legion_client_id_invalid")).to_be_visible()
    expect(owner.locator("#setting-error-legion_server_url_invalid")).to_be_visible()
    expect(owner.locator("#setting-error-settings_updated")).to_have_count(0)
    expect(owner.get_by_label("Client ID")).to_have_value("lgn_goodvalue1")
    expect(owner.get_by_label("Legion server URL")).to_have_value("https://legion.example")
    admin.save_legion_settings(owner, wordpress.url, "lgn_goodvalue1", "http://legion.example")
    expect(owner.locator("#setting-error-legion_server_url_invalid")).to_be_visible()
    assert wordpress.php("return get_option( 'legion_server_url' );") == "https://legion.example"


# ---------------------------------------------------------------- owner to visitor


@pytest.mark.parametrize("permalinks", ["plain", "pretty"])
def test_a_visitor_connects_and_chats_on_a_shortcode_page(
    owner, visitor_page, wordpress, legion, fake_llm, unique_email, permalinks
):
    admin.set_permalinks(owner, wordpress.url, permalinks)
    redirect_uri = read_redirect_uri(owner, wordpress.url)
    expected = {
        "plain": f"{wordpress.url}/?legion_callback=1",
        "pretty": f"{wordpress.url}/legion-callback",
    }[permalinks]
    assert redirect_uri == expected

    app = legion.cli_json(
        "create-app", "--name", "WordPress test site", "--type", "wordpress",
        "--redirect-uris", redirect_uri,
    )  # fmt: skip
    admin.save_legion_settings(owner, wordpress.url, app["client_id"], legion.url)
    expect(owner.locator("#setting-error-settings_updated")).to_be_visible()
    page = admin.publish(owner.context, wordpress.url, f"Chat ({permalinks})", SHORTCODE)

    callback = httpx.get(redirect_uri.replace("legion_callback=1", "legion_callback=1&state=x"))
    assert callback.status_code == 200
    assert "no-store" in callback.headers["cache-control"]
    assert callback.headers["referrer-policy"] == "no-referrer"
    assert "data-legion-callback" in callback.text
    assert "/wp-content/plugins/legion-ai-connect/public/js/widget.js" in callback.text

    fake_llm.set(reply="Hello from the WordPress test", delay=0.01)
    email = unique_email("wpvisitor")
    legion.create_user(email)
    navigations: list[str] = []
    visitor_page.goto(page["link"])
    chat = visitor_page.locator(CHAT)
    expect(chat).to_have_count(1)
    assert chat_configs(visitor_page) == [
        {"position": "inline", "theme": "light", "placeholder": "Ask me anything..."}
    ]
    assert site_config(visitor_page) == {
        "serverUrl": legion.url,
        "clientId": app["client_id"],
        "redirectUri": redirect_uri,
    }
    widget = Widget(visitor_page, placeholder="Ask me anything...")
    expect(widget.connect_button).to_be_visible()
    visitor_page.context.on(
        "page",
        lambda popup: popup.on("framenavigated", lambda frame: navigations.append(frame.url)),
    )
    widget.connect(email)
    widget.expect_connected()
    assert any(url.startswith(redirect_uri) and "code=" in url for url in navigations), navigations
    assert widget.ask("Hi there") == "Hello from the WordPress test"
    assert fake_llm.requests[-1]["stream"] is True
    assert "legion-ai-connect" not in wordpress.debug_log()


def test_the_block_renders_the_same_chat(owner, visitor_page, wordpress, legion):
    ensure_configured(owner, wordpress, legion)
    settings = {"position": "bottom-left", "theme": "auto", "placeholder": "Ask the block"}
    block = f"<!-- wp:legion-ai-connect/chat {json.dumps(settings, separators=(',', ':'))} /-->"
    page = admin.publish(owner.context, wordpress.url, "Block page", block)
    visitor_page.goto(page["link"])
    [config] = chat_configs(visitor_page)
    assert (config["position"], config["theme"], config["placeholder"]) == (
        "bottom-left",
        "auto",
        "Ask the block",
    )
    expect(Widget(visitor_page, placeholder="Ask the block").launcher).to_be_visible()


def test_a_placeholder_written_with_entities_shows_its_characters(
    owner, visitor_page, wordpress, legion
):
    # The block and classic editors store "&" and quotes in a paragraph as entities,
    # and a shortcode gets its attributes as the post stores them.
    ensure_configured(owner, wordpress, legion)
    shortcode = '[legion_chat placeholder="Q &amp; A &#8211; ask &quot;anything&quot;"]'
    content = f"<!-- wp:paragraph --><p>{shortcode}</p><!-- /wp:paragraph -->"
    page = admin.publish(owner.context, wordpress.url, "Entities", content)
    visitor_page.goto(page["link"])
    [config] = chat_configs(visitor_page)
    assert config["placeholder"] == 'Q & A \u2013 ask "anything"'


def test_the_block_editor_offers_the_block_with_its_three_settings(owner, wordpress):
    owner.goto(f"{wordpress.url}/wp-admin/post-new.php")
    owner.wait_for_function(
        "() => window.wp && wp.blocks && wp.blocks.getBlockType('legion-ai-connect/chat')",
        timeout=60_000,
    )
    block_type = owner.evaluate(
        """() => {
            const type = wp.blocks.getBlockType('legion-ai-connect/chat');
            return {title: type.title, attributes: type.attributes};
        }"""
    )
    assert block_type["title"] == "Legion AI Chat"
    assert block_type["attributes"]["position"]["enum"] == ["bottom-right", "bottom-left", "inline"]
    assert block_type["attributes"]["theme"]["default"] == "dark"
    saved = owner.evaluate(
        """() => {
            const block = wp.blocks.createBlock(
                'legion-ai-connect/chat', {position: 'inline', placeholder: 'Hi'});
            wp.data.dispatch('core/block-editor').insertBlocks(block);
            wp.data.dispatch('core/block-editor').selectBlock(block.clientId);
            return wp.blocks.serialize([block]);
        }"""
    )
    assert saved == '<!-- wp:legion-ai-connect/chat {"position":"inline","placeholder":"Hi"} /-->'
    owner.evaluate("() => wp.data.dispatch('core/edit-post').openGeneralSidebar('edit-post/block')")
    for label in ("Position", "Theme", "Placeholder"):
        expect(owner.get_by_label(label, exact=True)).to_be_visible()


# ---------------------------------------------------------------- attacks


def attack_content() -> str:
    shortcodes = []
    for payload in ATTACKS:
        quoted = payload.replace("'", "")
        for attribute in ("position", "theme", "placeholder"):
            shortcodes.append(f"[legion_chat {attribute}='{quoted}']")
    blocks = [
        "<!-- wp:legion-ai-connect/chat "
        + json.dumps({"position": payload, "theme": payload, "placeholder": payload})
        + " /-->"
        for payload in ATTACKS
    ]
    return "\n".join(shortcodes + blocks)


def test_markup_in_every_attribute_and_setting_executes_nothing(
    chromium, owner, visitor_page, wordpress, legion
):
    ensure_configured(owner, wordpress, legion)
    author_password = wordpress.create_user("author1", "author")
    author_context = admin.new_context(chromium)
    author = author_context.new_page()
    admin.log_in(author, wordpress.url, "author1", author_password)
    pages = [
        admin.publish(
            author_context, wordpress.url, "Author's attack", attack_content(), kind="posts"
        ),
        # An administrator's content is not filtered by kses, so the payloads reach the
        # shortcode and the block exactly as typed.
        admin.publish(owner.context, wordpress.url, "Raw attack", attack_content()),
    ]
    author_context.close()

    dialogs: list[str] = []
    visitor_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for published in pages:
        visitor_page.goto(published["link"])
        configs = chat_configs(visitor_page)
        assert len(configs) == 3 * len(ATTACKS) + len(ATTACKS)
        for config in configs:
            assert config["position"] in ("bottom-right", "bottom-left", "inline")
            assert config["theme"] in ("dark", "light", "auto")
            assert "<" not in config.get("placeholder", "")  # tags are stripped; the rest is text
        # The payloads did reach the plugin: they show up, inert, as placeholder text.
        assert any("onerror=" in config.get("placeholder", "") for config in configs)
        html = visitor_page.content()
        assert "window.__legion_pwned=1</script>" not in html
        assert visitor_page.evaluate("() => window.__legion_pwned") is None
        assert visitor_page.locator(f"{CHAT}[onerror], {CHAT} [onerror]").count() == 0
        assert (
            visitor_page.locator("script:not([src])").evaluate_all(
                "els => els.filter(e => e.textContent.includes('__legion_pwned')).length"
            )
            == 0
        )
    assert dialogs == []


def forged_chat_content(foreign: str) -> str:
    """An author's post: a chat element, a settings block and script tags written by hand,
    each pointing at ``foreign``, elements spoofing the ids of the plugin's settings block
    and mount script, and a real shortcode."""
    forged = {
        "serverUrl": foreign,
        "clientId": "lgn_attacker",
        "redirectUri": f"{foreign}/callback",
        "position": "inline",
        "theme": "dark",
        "placeholder": "Forged chat",
    }
    site = {name: forged[name] for name in ("serverUrl", "clientId", "redirectUri")}
    site_attributes = (
        f'data-legion-server-url="{foreign}" data-legion-client-id="lgn_attacker" '
        f'data-legion-redirect-uri="{foreign}/callback"'
    )
    return "\n".join(
        [
            '<div class="legion-ai-connect-chat legion-ai-connect-chat--inline" '
            f"data-legion-config='{json.dumps(forged)}'></div>",
            f'<div id="{SETTINGS_ID}">{html.escape(json.dumps(site), quote=False)}</div>',
            f'<script type="application/json" id="{SETTINGS_ID}">{json.dumps(site)}</script>',
            f'<div id="legion-ai-connect-js" {site_attributes}></div>',
            f'<script id="legion-ai-connect-js" {site_attributes}></script>',
            '[legion_chat position="inline" placeholder="Real chat"]',
        ]
    )


def test_a_forged_chat_element_in_an_authors_post_can_not_choose_the_server(
    chromium, owner, visitor_page, wordpress, legion, fake_llm, unique_email
):
    redirect_uri = read_redirect_uri(owner, wordpress.url)
    app = legion.cli_json(
        "create-app", "--name", "WordPress forgery test", "--type", "wordpress",
        "--redirect-uris", redirect_uri,
    )  # fmt: skip
    admin.save_legion_settings(owner, wordpress.url, app["client_id"], legion.url)
    expect(owner.locator("#setting-error-settings_updated")).to_be_visible()

    foreign = "http://evil.localhost:8999"
    author_password = wordpress.create_user("author2", "author")
    author_context = admin.new_context(chromium)
    admin.log_in(author_context.new_page(), wordpress.url, "author2", author_password)
    post = admin.publish(
        author_context, wordpress.url, "Forged chat", forged_chat_content(foreign), kind="posts"
    )
    author_context.close()
    # The post filter dropped the <script>s but kept the forged data-* attributes and ids.
    stored = wordpress.php(f"return get_post_field( 'post_content', {int(post['id'])} );")
    assert "<script" not in stored
    assert "lgn_attacker" in stored and "data-legion-config=" in stored
    assert f'<div id="{SETTINGS_ID}">' in stored

    foreign_requests: list[str] = []
    context = visitor_page.context
    context.route(
        re.compile(r"^https?://evil\.localhost(:\d+)?/"),
        lambda route: (foreign_requests.append(route.request.url), route.fulfill(body="x")),
    )
    visitor_page.goto(post["link"])
    forged_chat = visitor_page.locator(f"{CHAT}[data-legion-config*='lgn_attacker']")
    real_chat = visitor_page.locator(f"{CHAT}:not([data-legion-config*='lgn_attacker'])")
    expect(forged_chat).to_have_count(1)
    expect(real_chat).to_have_count(1)
    assert json.loads(real_chat.get_attribute("data-legion-config")) == {
        "position": "inline",
        "theme": "dark",
        "placeholder": "Real chat",
    }
    assert site_config(visitor_page) == {
        "serverUrl": legion.url,
        "clientId": app["client_id"],
        "redirectUri": redirect_uri,
    }
    # The author's div with the block's id comes first in the page: getElementById would
    # find it, not the plugin's block.
    assert visitor_page.evaluate(
        f"() => [document.getElementById('{SETTINGS_ID}').tagName,"
        f" document.querySelectorAll('#{SETTINGS_ID}').length]"
    ) == ["DIV", 2]

    # Both mount, and both with the site's own server: the forged element chose only how
    # its chat looks.
    for chat in (forged_chat, real_chat):
        expect(chat.locator(".legion-chat-widget")).to_have_count(1)
        powered = chat.get_by_role("link", name="Powered by Legion")
        expect(powered).to_have_attribute("href", f"{legion.url}/")
    forged = widget_in(visitor_page, forged_chat, "Forged chat")
    with (
        context.expect_event("request", lambda r: "/connect?" in r.url) as connect_request,
        visitor_page.expect_popup() as opened,
    ):
        forged.connect_button.click()
    opened.value.close()
    connect_url = httpx.URL(connect_request.value.url)
    assert str(connect_url).startswith(f"{legion.url}/connect?")
    assert connect_url.params["client_id"] == app["client_id"]
    assert connect_url.params["redirect_uri"] == redirect_uri

    # The real chat connects and chats as before.
    fake_llm.set(reply="Hello from the real chat", delay=0.01)
    email = unique_email("wpforged")
    legion.create_user(email)
    real = widget_in(visitor_page, real_chat, "Real chat")
    real.connect(email)
    real.expect_connected()
    assert real.ask("Hi there") == "Hello from the real chat"
    assert foreign_requests == []
    assert "legion-ai-connect" not in wordpress.debug_log()


def test_a_subscriber_can_not_change_the_settings(chromium, wordpress):
    before = wordpress.php(
        "return array( get_option( 'legion_client_id' ), get_option( 'legion_server_url' ) );"
    )
    password = wordpress.create_user("subscriber1", "subscriber")
    context = admin.new_context(chromium)
    page = context.new_page()
    admin.log_in(page, wordpress.url, "subscriber1", password)

    page.goto(f"{wordpress.url}/wp-admin/options-general.php?page=legion-ai-connect")
    expect(page.get_by_text("Sorry, you are not allowed to access this page.")).to_be_visible()
    assert page.locator("#legion_client_id").count() == 0

    forged = context.request.post(
        f"{wordpress.url}/wp-admin/options.php",
        form={
            "option_page": "legion_ai_connect",
            "action": "update",
            "_wpnonce": "0123456789",
            "legion_client_id": "lgn_attacker",
            "legion_server_url": "https://evil.example",
        },
        max_redirects=0,
    )
    assert forged.status in (403, 200)
    through_rest = admin.rest(
        context, wordpress.url, "POST", "/wp/v2/settings",
        {"legion_client_id": "lgn_attacker", "legion_server_url": "https://evil.example"},
    )  # fmt: skip
    assert through_rest.status == 403
    context.close()
    after = wordpress.php(
        "return array( get_option( 'legion_client_id' ), get_option( 'legion_server_url' ) );"
    )
    assert after == before


def test_chat_pages_carry_no_cookie_nonce_or_visitor_data(owner, wordpress, legion):
    ensure_configured(owner, wordpress, legion)
    published = admin.publish(owner.context, wordpress.url, "Cacheable", SHORTCODE)
    anonymous = httpx.get(published["link"])
    assert anonymous.status_code == 200
    assert "set-cookie" not in anonymous.headers
    assert "nonce" not in anonymous.text.lower()
    tags = re.findall(r"<script [^>]*legion-ai-connect[^>]*>", anonymous.text)
    assert len(tags) == 3, tags  # the settings block, the widget and the mount script
    block_tag, *scripts = tags
    assert block_tag == f'<script type="application/json" id="{SETTINGS_ID}">'
    assert all(" src=" in tag and " defer" in tag for tag in scripts), scripts
    assert [re.search(r"id=.([\w-]+)", tag).group(1) for tag in scripts] == [
        "legion-ai-connect-widget-js",
        "legion-ai-connect-js",
    ]
    # No setting on any script tag: the widget's own would start a chat by itself with a
    # data-client-id. Nothing else inline.
    assert not any("data-legion" in tag or "data-client-id" in tag for tag in scripts)
    start = anonymous.text.index(block_tag) + len(block_tag)
    block_text = anonymous.text[start : anonymous.text.index("</script>", start)]
    assert not re.search(r"[<>&']", block_text)
    assert anonymous.text.index("data-legion-config") < anonymous.text.index(block_tag)

    owner.goto(published["link"])
    as_admin = owner.locator(CHAT).get_attribute("data-legion-config")
    start = anonymous.text.index('data-legion-config="') + len('data-legion-config="')
    as_anonymous = anonymous.text[start : anonymous.text.index('"', start)]
    assert json.loads(as_admin) == json.loads(as_anonymous.replace("&quot;", '"'))
    assert set(json.loads(as_admin)) == {"position", "theme", "placeholder"}
    assert site_config(owner) == json.loads(block_text)
    assert set(json.loads(block_text)) == {"serverUrl", "clientId", "redirectUri"}

    plain = admin.publish(owner.context, wordpress.url, "No chat here", "<p>Just text.</p>")
    without_chat = httpx.get(plain["link"]).text
    assert "widget.js" not in without_chat and SETTINGS_ID not in without_chat


# A JS optimizer, as a must-use plugin: the plugin's script tags keep only their src (no
# id, no defer), in the footer or moved into the <head> (as "combine JS" options do).
OPTIMIZER = r"""<?php
add_filter(
	'script_loader_tag',
	function ( $tag, $handle ) {
		if ( 0 !== strpos( $handle, 'legion-ai-connect' ) ) {
			return $tag;
		}
		preg_match( '/\ssrc=([\'"])(.*?)\1/', $tag, $src );
		return '<script src="' . $src[2] . '"></script>' . "\n";
	},
	PHP_INT_MAX,
	2
);
if ( @MOVE@ ) {
	add_action(
		'template_redirect',
		function () {
			ob_start(
				function ( $html ) {
					$ours = '#<script src="[^"]*/legion-ai-connect/[^"]*"></script>\n#';
					preg_match_all( $ours, $html, $tags );
					$html = str_replace( $tags[0], '', $html );
					return str_replace( '</head>', implode( '', $tags[0] ) . '</head>', $html );
				}
			);
		}
	);
}
"""


@pytest.mark.parametrize("where", ["footer", "head"])
def test_the_chat_mounts_when_an_optimizer_strips_and_moves_its_script_tags(
    owner, visitor_page, wordpress, legion, where
):
    ensure_configured(owner, wordpress, legion)
    client_id = wordpress.php("return get_option( 'legion_client_id' );")
    published = admin.publish(owner.context, wordpress.url, f"Optimized ({where})", SHORTCODE)
    snippet = OPTIMIZER.replace("@MOVE@", "true" if where == "head" else "false")
    mu_plugin = wordpress.install_mu_plugin("legion-test-optimizer", snippet)
    try:
        page_html = httpx.get(published["link"]).text
        bare = re.findall(r"<script[^>]*/legion-ai-connect/public/js/[^>]*>", page_html)
        assert len(bare) == 2 and all(re.fullmatch(r'<script src="[^"]+">', t) for t in bare)
        head_end = page_html.index("</head>")
        assert all((page_html.index(tag) < head_end) == (where == "head") for tag in bare)
        assert page_html.count(f'id="{SETTINGS_ID}"') == 1

        visitor_page.goto(published["link"])
        chat = visitor_page.locator(CHAT)
        expect(chat.locator(".legion-chat-widget")).to_have_count(1)
        expect(chat.get_by_role("link", name="Powered by Legion")).to_have_attribute(
            "href", f"{legion.url}/"
        )
        widget = Widget(visitor_page, placeholder="Ask me anything...")
        with (
            visitor_page.context.expect_event(
                "request", lambda r: "/connect?" in r.url
            ) as connect_request,
            visitor_page.expect_popup() as opened,
        ):
            widget.connect_button.click()
        opened.value.close()
        assert httpx.URL(connect_request.value.url).params["client_id"] == client_id
    finally:
        mu_plugin.unlink()
    assert "legion-ai-connect" not in wordpress.debug_log()


# ---------------------------------------------------------------- leaving


def test_deactivate_and_uninstall_leave_nothing_behind(owner, wordpress):
    admin.set_permalinks(owner, wordpress.url, "pretty")
    assert httpx.get(f"{wordpress.url}/legion-callback").status_code == 200
    # The plain-permalink form keeps working under pretty permalinks.
    assert "data-legion-callback" in httpx.get(f"{wordpress.url}/?legion_callback=1").text
    owner.goto(f"{wordpress.url}/wp-admin/plugins.php")
    row = owner.locator("tr[data-slug='legion-ai-connect']")
    row.get_by_role("link", name="Deactivate").click()
    expect(owner.locator("#message")).to_contain_text("deactivated")
    assert httpx.get(f"{wordpress.url}/legion-callback").status_code == 404
    assert "legion" not in json.dumps(wordpress.php("return get_option( 'rewrite_rules' );"))

    owner.on("dialog", lambda dialog: dialog.accept())
    row = owner.locator("tr[data-slug='legion-ai-connect']")
    row.get_by_role("link", name="Delete").click()
    # wp-admin deletes in the page after a confirm() dialog, or, without its script
    # ready, on a confirmation screen.
    confirm = owner.get_by_role("button", name="Yes, delete these files")
    deleted = owner.get_by_text(re.compile(r"(successfully|has been) deleted"))
    expect(deleted.or_(confirm).first).to_be_visible(timeout=30_000)
    if confirm.count():
        confirm.click()
        expect(deleted.first).to_be_visible(timeout=30_000)
    assert not wordpress.plugin_dir().exists()
    assert (
        wordpress.sql("SELECT option_name FROM wp_options WHERE option_name LIKE '%legion%'") == []
    )
    assert "legion-ai-connect" not in wordpress.debug_log()
