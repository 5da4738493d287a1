/** The widget's one constructable stylesheet (Shadow DOM): no <style>, no style=. */
export var CSS = [
  ":host{all:initial;display:block}",
  ".lc{--bg:#1e2128;--fg:#e8eaed;--muted:#a7adb8;--line:#3a3f4b;--accent:#8aa6ff;--on:#0b1020;--me:#2f3d6e;--bot:#2a2e37;--bad:#ff9b9b;",
  "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);-webkit-text-size-adjust:100%}",
  ".lc[data-theme=light]{--bg:#fff;--fg:#1b1d22;--muted:#595f6b;--line:#d3d7de;--accent:#2f4fcf;--on:#fff;--me:#e3e9ff;--bot:#f1f3f6;--bad:#b3261e}",
  "@media (prefers-color-scheme:light){.lc[data-theme=auto]{--bg:#fff;--fg:#1b1d22;--muted:#595f6b;--line:#d3d7de;--accent:#2f4fcf;--on:#fff;--me:#e3e9ff;--bot:#f1f3f6;--bad:#b3261e}}",
  "*{box-sizing:border-box}[hidden]{display:none!important}",
  "button{font:inherit;color:inherit;cursor:pointer;border-radius:8px;border:1px solid var(--line);background:none;padding:6px 12px;min-height:36px}",
  "button.primary{background:var(--accent);border-color:var(--accent);color:var(--on);font-weight:600}",
  ":focus-visible{outline:2px solid var(--accent);outline-offset:2px}",
  "a{color:var(--accent)}svg{width:26px;height:26px;fill:currentColor}",
  ".launcher{position:fixed;z-index:2147483000;bottom:calc(20px + env(safe-area-inset-bottom));right:calc(20px + env(safe-area-inset-right));width:56px;height:56px;padding:0;border:0;border-radius:50%;background:var(--accent);color:var(--on);display:grid;place-items:center;box-shadow:0 6px 20px rgba(0,0,0,.3)}",
  "[data-position=bottom-left] .launcher{right:auto;left:calc(20px + env(safe-area-inset-left))}",
  ".panel{display:flex;flex-direction:column;background:var(--bg);border:1px solid var(--line);border-radius:14px;overflow:hidden;transition:opacity .15s,transform .15s}",
  "[data-position^=bottom] .panel{position:fixed;z-index:2147483000;bottom:calc(88px + env(safe-area-inset-bottom));right:calc(20px + env(safe-area-inset-right));width:min(380px,calc(100vw - 40px));height:min(600px,calc(100vh - 120px));box-shadow:0 12px 40px rgba(0,0,0,.35)}",
  "[data-position=bottom-left] .panel{right:auto;left:calc(20px + env(safe-area-inset-left))}",
  "[data-position=inline] .panel{width:100%;height:520px;max-height:85vh}",
  "@media (max-width:480px){[data-position^=bottom] .panel{inset:0;width:auto;height:auto;border:0;border-radius:0;padding:env(safe-area-inset-top) env(safe-area-inset-right) env(safe-area-inset-bottom) env(safe-area-inset-left)}}",
  "header{display:flex;align-items:center;gap:8px;padding:8px 12px;border-bottom:1px solid var(--line)}",
  "h2{flex:1;margin:0;font-size:15px}",
  ".log{flex:1;overflow-y:auto;overscroll-behavior:contain;padding:12px;display:flex;flex-direction:column;gap:8px}",
  ".msg{max-width:88%;padding:8px 12px;border-radius:12px;background:var(--bot);overflow-wrap:anywhere}",
  ".me{align-self:flex-end;background:var(--me);white-space:pre-wrap}",
  ".msg p,.msg ul,.msg ol,.msg pre,.msg blockquote{margin:0 0 6px}.msg>:last-child{margin-bottom:0}",
  ".msg ul,.msg ol{padding-left:20px}.h{font-weight:700}",
  "blockquote{border-left:3px solid var(--line);padding-left:8px}",
  "pre{overflow-x:auto;padding:8px;border-radius:6px;background:rgba(0,0,0,.22)}",
  "code{font:13px ui-monospace,Menlo,Consolas,monospace}",
  ".busy div:empty::after{content:'…';animation:pulse 1s infinite}@keyframes pulse{50%{opacity:.3}}",
  ".note{color:var(--muted);font-style:italic}",
  ".gate{padding:12px;display:flex;flex-direction:column;gap:10px;align-items:flex-start;border-top:1px solid var(--line)}",
  ".alert{margin:0 12px 8px;padding:8px 10px;border-radius:8px;border:1px solid var(--bad);color:var(--bad)}",
  ".alert a{color:inherit}",
  "form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px;border-top:1px solid var(--line)}",
  "textarea{flex:1;font:inherit;font-size:16px;line-height:1.35;min-height:40px;max-height:140px;field-sizing:content;resize:none;padding:8px 10px;border-radius:10px;border:1px solid var(--line);background:var(--bot);color:var(--fg)}",
  "textarea::placeholder{color:var(--muted);opacity:1}",
  "footer{padding:4px 12px 8px;text-align:center;font-size:12px}footer a{color:var(--muted)}",
  ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
  "@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}",
].join("");

var sheet = null;
export function styles() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}
