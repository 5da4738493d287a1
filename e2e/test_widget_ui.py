"""What a visitor feels (SPEC §6.2): themes and positions, the mobile sheet, keyboard-only
use, an axe-core scan, isolation from the host page's CSS, replaceable strings, the
programmatic API, reduced motion, and one public global."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.widget_driver import Widget, decide_in, wait_closed
from tests.support.tools import require_tool

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
DARK_PANEL = "rgb(30, 33, 40)"
LIGHT_PANEL = "rgb(255, 255, 255)"


def panel_background(page) -> str:
    return page.locator(".legion-chat-widget .panel").evaluate(
        "panel => getComputedStyle(panel).backgroundColor"
    )


def focused_control(page) -> str | None:
    """The accessible name (or text) of the focused element inside the widget."""
    return page.evaluate(
        """() => {
            const inner = document.activeElement && document.activeElement.shadowRoot
                && document.activeElement.shadowRoot.activeElement;
            return inner ? (inner.getAttribute('aria-label') || inner.textContent) : null;
        }"""
    )


def require_axe() -> None:
    require_tool(str(AXE), "scripts/test runs npm ci in e2e/")


def serious_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => await axe.run(document)")
    # axe walks open shadow roots: a node inside one is targeted as [[host, inner]].
    contrast = next(rule for rule in results["passes"] if rule["id"] == "color-contrast")
    inside = [n["target"][0] for n in contrast["nodes"] if isinstance(n["target"][0], list)]
    assert any(path[0] == ".legion-chat-widget" for path in inside), "the widget was not scanned"
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"] for n in v["nodes"]][:3]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("position", ["bottom-right", "bottom-left", "inline"])
def test_each_position(legion, site, embed, context, position):
    embed(position=position)
    page = context.new_page()
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto(site.url())
    widget = Widget(page)
    panel = page.locator(".legion-chat-widget .panel")
    if position == "inline":
        expect(widget.launcher).to_have_count(0)
        expect(panel).to_be_visible()
        holder = page.locator(".legion-chat").bounding_box()
        box = panel.bounding_box()
        assert holder["x"] <= box["x"] and box["x"] + box["width"] <= holder["x"] + holder["width"]
        assert holder["y"] <= box["y"] <= holder["y"] + holder["height"]
        return
    # A wide screen: the panel starts open above its launcher, Connect one click away.
    expect(panel).to_be_visible()
    expect(widget.connect_button).to_be_visible()
    assert widget.launcher.get_attribute("aria-expanded") == "true"
    launcher = widget.launcher.bounding_box()
    assert launcher["y"] + launcher["height"] == pytest.approx(800 - 20, abs=2)
    if position == "bottom-right":
        assert launcher["x"] + launcher["width"] == pytest.approx(1200 - 20, abs=2)
    else:
        assert launcher["x"] == pytest.approx(20, abs=2)
    box = panel.bounding_box()
    assert (box["x"] > 600) is (position == "bottom-right")
    assert box["y"] + box["height"] <= launcher["y"]
    page.get_by_role("button", name="Close chat").click()
    expect(panel).to_be_hidden()
    assert widget.launcher.get_attribute("aria-expanded") == "false"
    widget.open()
    expect(panel).to_be_visible()


@pytest.mark.parametrize(
    ("width", "data_open", "starts_open"),
    [(375, None, False), (1200, "false", False), (375, "true", True)],
)
def test_where_a_floating_panel_starts_closed(
    legion, site, embed, context, width, data_open, starts_open
):
    embed(**({"open": data_open} if data_open else {}))
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 700})
    page.goto(site.url())
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()
    expect(widget.launcher).to_have_attribute("aria-expanded", str(starts_open).lower())
    if starts_open:
        expect(widget.connect_button).to_be_visible()
    else:
        expect(widget.connect_button).to_be_hidden()


def test_a_connected_visitors_closed_panel_stays_closed_in_the_tab(chat):
    widget, page = chat, chat.page
    page.get_by_role("button", name="Close chat").click()
    page.reload()
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    widget.open()
    page.reload()
    widget.expect_connected()


@pytest.mark.parametrize(
    ("theme", "scheme", "expected"),
    [
        ("dark", "light", DARK_PANEL),
        ("light", "dark", LIGHT_PANEL),
        ("auto", "dark", DARK_PANEL),
        ("auto", "light", LIGHT_PANEL),
    ],
)
def test_each_theme(legion, site, embed, context, theme, scheme, expected):
    embed(theme=theme, position="inline")
    page = context.new_page()
    page.emulate_media(color_scheme=scheme)
    page.goto(site.url())
    expect(Widget(page).connect_button).to_be_visible()
    assert panel_background(page) == expected


def test_narrow_screen_gets_a_full_screen_sheet_with_16px_input(
    legion, site, embed, visitor, context
):
    embed()
    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(site.url())
    widget = Widget(page)
    widget.connect(visitor())
    box = page.locator(".legion-chat-widget .panel").bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 375, 667)
    assert widget.input.evaluate("i => getComputedStyle(i).fontSize") == "16px"
    page.get_by_role("button", name="Close chat").click()
    expect(widget.launcher).to_be_visible()


def test_keyboard_only(legion, site, embed, visitor, context):
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()
    page.keyboard.press("Tab")
    assert focused_control(page) == "Minimize chat"  # the panel started open
    assert widget.launcher.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page.locator(".legion-chat-widget .panel")).to_be_hidden()
    assert focused_control(page) == "Open chat"
    page.keyboard.press("Enter")  # opens it again, with the focus on Connect
    assert focused_control(page) == "Connect"
    with page.expect_popup() as opened:
        page.keyboard.press("Enter")
    popup = opened.value
    decide_in(popup, visitor(), "correct horse 9")
    wait_closed(popup)
    widget.expect_connected()
    assert focused_control(page) == "Ask me anything..."
    page.keyboard.type("First line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    expect(widget.input).to_have_value("First line\nsecond line")
    page.keyboard.press("Enter")
    widget.wait_until_idle()
    expect(widget.replies.last).to_contain_text("Fake openai reply: First line")
    assert focused_control(page) == "Ask me anything..."
    page.keyboard.press("Escape")
    expect(page.locator(".legion-chat-widget .panel")).to_be_hidden()
    assert focused_control(page) == "Open chat"
    assert widget.launcher.get_attribute("aria-expanded") == "false"


def test_axe_finds_no_serious_or_critical_violations(legion, site, embed, visitor, context):
    require_axe()
    embed(theme="dark")
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page).open()
    expect(widget.connect_button).to_be_visible()
    assert serious_violations(page) == []
    widget.connect(visitor())
    widget.ask('Format [[fake reply="**Hi** there, see [docs](https://example.com) and `code`"]]')
    assert serious_violations(page) == []


def test_axe_light_inline_theme_with_an_error(legion, site, embed, visitor, context):
    require_axe()
    embed(theme="light", position="inline")
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page)
    widget.connect(visitor())
    widget.send("Fail [[fake fail=500]]")
    expect(widget.alert).to_be_visible()
    assert serious_violations(page) == []


def test_host_page_css_does_not_reach_the_widget(legion, site, embed, context):
    embed()
    plain = context.new_page()
    plain.goto(site.url())
    Widget(plain).open()
    site.head = '<link rel="stylesheet" href="/hostile.css">'
    hostile = context.new_page()
    hostile.goto(site.url())
    assert hostile.locator("h1").evaluate("h => getComputedStyle(h).fontSize") == "31px"
    Widget(hostile).open()
    for page in (plain, hostile):
        expect(Widget(page).connect_button).to_be_visible()
    probe = """el => { const s = getComputedStyle(el);
        return [s.fontSize, s.fontFamily, s.color, s.visibility, s.display, s.padding]; }"""
    for selector in (".panel", ".gate button", "h2", ".gate p", "footer a"):
        target = f".legion-chat-widget {selector}"
        assert hostile.locator(target).evaluate(probe) == plain.locator(target).evaluate(probe)
    for selector in (".panel", ".launcher"):
        target = f".legion-chat-widget {selector}"
        assert hostile.locator(target).bounding_box() == plain.locator(target).bounding_box()


def test_strings_can_be_replaced_for_another_language(legion, site, embed, context):
    embed(placeholder="Frag mich etwas...")
    site.head = (
        "<script>window.LegionChat = {strings: {open: 'Chat öffnen', minimize: 'Chat minimieren',"
        " connect: 'Verbinden',"
        " title: 'Unterhaltung', poweredBy: 'Betrieben von Legion'}};</script>"
    )
    page = context.new_page()
    page.goto(site.url())
    expect(page.get_by_role("button", name="Verbinden")).to_be_visible()
    page.get_by_role("button", name="Chat minimieren").click()
    expect(page.get_by_role("button", name="Verbinden")).to_be_hidden()
    page.get_by_role("button", name="Chat öffnen").click()
    expect(page.get_by_role("button", name="Verbinden")).to_be_visible()
    expect(page.get_by_role("dialog", name="Unterhaltung")).to_be_visible()
    expect(page.get_by_role("link", name="Betrieben von Legion")).to_be_visible()
    assert page.evaluate("LegionChat.strings.connect") == "Verbinden"


def test_programmatic_mount_connects_and_unmounts(legion, site, embed, visitor, context):
    app = embed()
    page = context.new_page()
    page.goto(site.url("/blank"))
    page.add_script_tag(url=f"{legion.url}/widget.js")
    page.evaluate(
        """([serverUrl, clientId, redirectUri]) => {
            window.__chat = LegionChat.mount(document.querySelector('main'), {
                serverUrl, clientId, redirectUri,
                position: 'inline', theme: 'light', placeholder: 'Programmatic',
            });
        }""",
        [legion.url, app["client_id"], site.callback_uri],
    )
    widget = Widget(page, placeholder="Programmatic")
    widget.connect(visitor())
    widget.expect_connected()
    page.evaluate("window.__chat.unmount()")
    expect(page.locator(".legion-chat-widget")).to_have_count(0)


def test_the_only_global_is_legion_chat(legion, site, embed, context):
    embed()
    page = context.new_page()
    page.goto(site.url("/blank"))
    before = set(page.evaluate("Object.getOwnPropertyNames(window)"))
    page.add_script_tag(url=f"{legion.url}/widget.js")
    page.wait_for_function("!!window.LegionChat")
    after = set(page.evaluate("Object.getOwnPropertyNames(window)"))
    assert after - before == {"LegionChat"}
    # markdown and readEvents are shared with the hosted chat page.
    assert page.evaluate("Object.keys(LegionChat).sort()") == [
        "markdown",
        "mount",
        "readEvents",
        "strings",
        "version",
    ]


def test_reduced_motion_turns_transitions_off(legion, site, embed, context):
    embed()
    page = context.new_page()
    page.goto(site.url())
    widget = Widget(page).open()
    panel = page.locator(".legion-chat-widget .panel")
    duration = "p => getComputedStyle(p).transitionDuration"
    assert panel.evaluate(duration) != "0s"
    page.emulate_media(reduced_motion="reduce")
    assert panel.evaluate(duration) == "0s"
    expect(widget.connect_button).to_be_visible()


def test_screen_readers_hear_the_finished_reply_not_each_token(chat):
    widget, page = chat, chat.page
    log = page.get_by_role("log", name="Messages")
    assert log.get_attribute("aria-live") == "polite"
    widget.send("Slowly [[fake chunks=30 delay=0.1]]")
    expect(widget.replies.last).to_contain_text("Fake")
    expect(log).to_have_attribute("aria-busy", "true")  # announcements held while streaming
    widget.wait_until_idle()
    expect(log).to_have_attribute("aria-busy", "false")


def test_programmatic_mount_defaults_the_server_url_to_the_scripts_origin(
    legion, site, embed, visitor, context
):
    app = embed()
    page = context.new_page()
    page.goto(site.url("/blank"))
    page.add_script_tag(url=f"{legion.url}/widget.js")
    page.evaluate(
        """([clientId, redirectUri]) => {
            LegionChat.mount(document.querySelector('main'), {clientId, redirectUri});
        }""",
        [app["client_id"], site.callback_uri],
    )
    widget = Widget(page).open()  # the defaults: bottom-right, with a launcher
    expect(page.get_by_role("link", name="Powered by Legion")).to_have_attribute(
        "href", f"{legion.url}/"
    )
    widget.connect(visitor())
    assert widget.ask("Hi").startswith("Fake openai reply: Hi")


def test_page_markup_that_shadows_current_script_cannot_choose_the_server(
    legion, site, embed, context
):
    """<form name="currentScript"> makes document.currentScript the form (DOM clobbering):
    the widget must still read its settings from its own script tag."""
    embed()
    site.head = (
        '<form name="currentScript" data-client-id="lgn_attacker"'
        ' data-server-url="http://evil.localhost:1"'
        ' data-redirect-uri="http://evil.localhost:1/cb"></form>'
    )
    page = context.new_page()
    page.goto(site.url())
    assert page.evaluate("document.currentScript instanceof HTMLFormElement")
    expect(page.get_by_role("link", name="Powered by Legion")).to_have_attribute(
        "href", f"{legion.url}/"
    )
    expect(page.locator(".legion-chat-widget")).to_have_count(1)
