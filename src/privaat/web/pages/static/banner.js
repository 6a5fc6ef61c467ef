/* privaat cookie banner (issue 10 item 7; P14, P16, P17; LEGAL L39-L45).
 *
 * A site includes it with one tag: <script src="/consent/banner.js" defer></script>.
 *   - nothing non-essential runs before a choice: <script type="text/plain"
 *     data-category="analytics" src="..."> is copied into a real script only after consent
 *     (L39, L44); social buttons are placeholders (<div data-category="social"
 *     data-src="...">) that load the network's code only after a click (C-40/17, L45)
 *   - first layer: Accept, Refuse and Settings, the same size and style (L40); no cookie
 *     wall: the page stays usable behind it (L41)
 *   - Global Privacy Control (navigator.globalPrivacyControl, Sec-GPC) is a refusal, and is
 *     recorded as one
 *   - a permanent "cookie settings" button (and every [data-cookie-settings] element)
 *     reopens it; withdrawing deletes the category's cookies (the policy's names) and reloads
 *     a page whose scripts already ran (L42); a new vendor list asks again
 *   - embeds (video, maps, any iframe: <div data-privaat-embed="embeds" data-src="https://..."
 *     data-title="...">) are placeholders naming the purpose and the company, with "Allow this
 *     once" (loads that one iframe, records nothing) and "Always allow" (a consent, as any)
 *   - Google Consent Mode v2 (the policy's google_consent_mode): loaded synchronously first in
 *     <head>, it sets every type denied by default (but the always-on ones) before any Google
 *     tag runs, then sends an update with the stored choice and on every choice or withdrawal
 *   - on a hosting customer's site (issue 14 item 7) a link to another domain of the same
 *     customer carries the choice: privaat_carry=<signed token> is added at the click, and the
 *     banner there takes it from the address at once and posts it to /consent/carry
 * The categories, words, companies and cookies all come from GET /consent/choices, i.e. the
 * policy file: nothing here names a category. The choice is stored by privaat, not here.
 * No inline script or style, no eval: it runs under a strict Content-Security-Policy.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var source = new URL(script.src, document.baseURI);
  var base = source.origin; // privaat answers under the site's own origin in production
  var lang = source.searchParams.get("lang") || document.documentElement.lang || "";
  var config = null;
  var given = {}; // category id -> true when its consent counts now
  var ran = {}; // categories whose scripts already run in this page
  var banner = null;
  var reopen = null;
  // the policy's Google Consent Mode v2 block, written in by the server: null without one
  var MODE = /*privaat:consent-mode*/null;
  var TYPES = ["ad_storage", "ad_user_data", "ad_personalization", "analytics_storage",
    "functionality_storage", "personalization_storage", "security_storage"];

  // --- Google Consent Mode v2 ------------------------------------------------------------

  function consentState(choice) {
    var state = {};
    TYPES.forEach(function (t) { state[t] = MODE.always.indexOf(t) >= 0 ? "granted" : "denied"; });
    Object.keys(MODE.grants).forEach(function (category) {
      if (choice[category]) MODE.grants[category].forEach(function (t) { state[t] = "granted"; });
    });
    return state;
  }

  function consentUpdate(choice) {
    if (MODE) window.gtag("consent", "update", consentState(choice));
  }

  if (MODE) {
    // as Google's own snippet: the commands wait in dataLayer until a Google tag reads them,
    // so the default is the first thing any tag sees, on every page load
    window.dataLayer = window.dataLayer || [];
    if (typeof window.gtag !== "function") {
      window.gtag = function gtag() { window.dataLayer.push(arguments); };
    }
    var defaults = consentState({});
    defaults.wait_for_update = MODE.wait_for_update;
    window.gtag("consent", "default", defaults);
  }

  function api(path, options) {
    var init = { credentials: "same-origin", headers: { Accept: "application/json" } };
    if (options) {
      init.method = options.method;
      init.body = options.body;
      init.headers["Content-Type"] = "application/json";
    }
    return fetch(base + path, init).then(function (response) {
      if (!response.ok) throw new Error("privaat: " + response.status);
      return response.json();
    });
  }

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) {
      if (key === "text") node.textContent = attributes[key];
      else node.setAttribute(key, attributes[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function asked() {
    return config.categories.filter(function (c) { return !c.required; });
  }

  function browserGpc() {
    return navigator.globalPrivacyControl === true;
  }

  // --- running what was consented to ----------------------------------------------------

  function runScripts(category) {
    var selector = 'script[type="text/plain"][data-category="' + category + '"]';
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (old) {
      var copy = document.createElement("script");
      Array.prototype.forEach.call(old.attributes, function (a) {
        if (a.name !== "type" && a.name !== "data-category") copy.setAttribute(a.name, a.value);
      });
      if (!old.src) copy.textContent = old.textContent;
      copy.async = false; // in the document's order, as the site wrote them
      old.parentNode.replaceChild(copy, old);
    });
    Array.prototype.forEach.call(
      document.querySelectorAll('[data-category="' + category + '"][data-src]'),
      loadPlaceholder
    );
    Array.prototype.forEach.call(
      document.querySelectorAll('[data-privaat-embed="' + category + '"]'),
      loadEmbed
    );
    ran[category] = true;
  }

  function embedSource(holder) {
    var src = holder.getAttribute("data-src");
    if (!src) return null; // "" would resolve to the page itself
    try {
      var url = new URL(src, document.baseURI);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function loadEmbed(holder) {
    var src = embedSource(holder);
    if (holder.getAttribute("data-loaded") || !src) return;
    var category = asked().filter(function (c) {
      return c.id === holder.getAttribute("data-privaat-embed");
    })[0];
    holder.setAttribute("data-loaded", "yes");
    holder.textContent = "";
    var frame = el("iframe", { src: src, class: "pb-embed-frame", allowfullscreen: "",
      title: holder.getAttribute("data-title") || (category ? category.name : src) });
    holder.appendChild(frame);
    return frame;
  }

  function embedPlaceholders() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-privaat-embed]"), function (holder) {
      var category = asked().filter(function (c) {
        return c.id === holder.getAttribute("data-privaat-embed");
      })[0];
      // an unknown category or a source that is no web address never loads
      if (!category || !embedSource(holder) || holder.getAttribute("data-loaded")) return;
      if (given[category.id]) { loadEmbed(holder); return; }
      if (holder.querySelector(".pb-embed")) return;
      var t = config.texts;
      var once = el("button", { type: "button", class: "pb-button pb-once", text: t.once });
      var always = el("button", { type: "button", class: "pb-button pb-always", text: t.always });
      var title = holder.getAttribute("data-title");
      var status = el("p", { class: "pb-status", role: "status" });
      // the purpose and the company before any request to it (L39, L45); the consent's own
      // words, whose hash the ledger keeps when "always" is chosen (L86)
      holder.appendChild(el("div", { class: "pb-embed", role: "group",
        "aria-label": title || category.name, lang: config.lang }, [
        title ? el("p", { class: "pb-embed-title", text: title }) : null,
        el("p", { class: "pb-embed-request", text: category.request }),
        el("p", { text: category.purpose }),
        category.companies.length
          ? el("p", { text: t.companies + ": " + category.companies.join(", ") }) : null,
        el("div", { class: "pb-buttons" }, [once, always]),
        status,
      ]));
      // this once: the click is the consent, spent in loading this one embed; nothing is
      // stored, so the next page shows the placeholder again
      once.addEventListener("click", function () {
        var frame = loadEmbed(holder);
        if (frame) frame.focus();
      });
      always.addEventListener("click", function () {
        var choice = Object.assign({}, given);
        choice[category.id] = true;
        save(choice, false, status);
      });
    });
  }

  function loadPlaceholder(holder) {
    if (holder.getAttribute("data-loaded")) return;
    holder.setAttribute("data-loaded", "yes");
    holder.textContent = "";
    holder.appendChild(el("script", { src: holder.getAttribute("data-src") }));
  }

  function placeholders() {
    asked().forEach(function (category) {
      var selector = '[data-category="' + category.id + '"][data-src]';
      Array.prototype.forEach.call(document.querySelectorAll(selector), function (holder) {
        if (given[category.id] || holder.querySelector("button")) return;
        // C-40/17 Fashion ID: our own button first; the network's code only after the click
        var button = el("button", { type: "button", class: "pb-button pb-load", text: category.request });
        button.addEventListener("click", function () {
          var choice = Object.assign({}, given);
          choice[category.id] = true;
          save(choice, false);
        });
        holder.appendChild(button);
      });
    });
    embedPlaceholders();
  }

  function cookieMatches(pattern, name) {
    var wildcard = pattern.indexOf("<");
    return wildcard >= 0 ? name.indexOf(pattern.slice(0, wildcard)) === 0 : name === pattern;
  }

  function deleteCookies(category) {
    var names = document.cookie.split(";").map(function (c) { return c.split("=")[0].trim(); });
    var host = location.hostname.split(".");
    names.forEach(function (name) {
      var ours = category.cookies.some(function (c) { return cookieMatches(c.name, name); });
      if (!name || !ours) return;
      var expired = name + "=; Max-Age=0; path=/";
      document.cookie = expired;
      // set by a script for the site's domain or a parent of it (as Google Analytics does)
      for (var i = 0; i < host.length - 1; i++) {
        document.cookie = expired + "; domain=." + host.slice(i).join(".");
      }
    });
  }

  function apply(before) {
    var reload = false;
    asked().forEach(function (category) {
      if (given[category.id] && !ran[category.id]) runScripts(category.id);
      if (before[category.id] && !given[category.id]) {
        deleteCookies(category); // L42: withdrawing removes what the category set
        if (ran[category.id]) reload = true; // a running script cannot be stopped otherwise
      }
    });
    placeholders();
    if (reload) location.reload();
  }

  // --- the choice ------------------------------------------------------------------------

  function save(choice, gpc, status) {
    var before = Object.assign({}, given);
    var body = JSON.stringify({ choices: choice, lang: config.lang, gpc: gpc });
    return api("/consent/choices", { method: "POST", body: body }).then(
      function (answer) {
        given = answer.choice.given;
        if (answer.carry) config.carry = answer.carry;
        consentUpdate(given); // before a withdrawal's reload, so no tag reads a stale grant
        close();
        apply(before);
      },
      function () {
        var where = status || (banner && banner.querySelector(".pb-status"));
        if (where) where.textContent = config.texts.failed;
      }
    );
  }

  function all(value) {
    var choice = {};
    asked().forEach(function (c) { choice[c.id] = value; });
    return choice;
  }

  // --- the banner ------------------------------------------------------------------------

  function settingsLayer() {
    var layer = el("div", { class: "pb-settings", id: "pb-settings-layer", hidden: "hidden" });
    config.categories.forEach(function (category) {
      var id = "pb-category-" + category.id;
      var box = el("input", { type: "checkbox", id: id, name: category.id });
      if (category.required) {
        box.checked = true;
        box.disabled = true;
      } else {
        box.checked = !!given[category.id]; // L8: never ticked unless the visitor said yes
      }
      var label = el("label", { for: id, text: category.required
        ? category.name + " (" + config.texts.always_on + ")" : category.request });
      var cookies = el("ul", { class: "pb-cookies" }, category.cookies.map(function (c) {
        return el("li", {}, [el("code", { text: c.name }), document.createTextNode(": " + c.purpose)]);
      }));
      var companies = category.companies.length
        ? el("p", { text: config.texts.companies + ": " + category.companies.join(", ") }) : null;
      layer.appendChild(el("div", { class: "pb-category" }, [
        el("div", { class: "pb-check" }, [box, label]),
        el("p", { text: category.purpose }),
        companies,
        el("p", { class: "pb-cookies-title", text: config.texts.cookies }),
        cookies,
      ]));
    });
    return layer;
  }

  function open(withSettings) {
    if (banner) banner.remove();
    var t = config.texts;
    var purposes = el("ul", { class: "pb-purposes" }, asked().map(function (c) {
      var who = c.companies.length ? " (" + c.companies.join(", ") + ")" : "";
      return el("li", {}, [el("strong", { text: c.name }), document.createTextNode(who)]);
    }));
    var accept = el("button", { type: "button", class: "pb-button", id: "pb-accept", text: t.accept });
    var refuse = el("button", { type: "button", class: "pb-button", id: "pb-refuse", text: t.refuse });
    var settings = el("button", { type: "button", class: "pb-button", id: "pb-settings",
      "aria-expanded": "false", "aria-controls": "pb-settings-layer", text: t.settings });
    var saveButton = el("button", { type: "button", class: "pb-button", id: "pb-save", text: t.save,
      hidden: "hidden" });
    var layer = settingsLayer();
    var gpcNote = config.gpc || browserGpc() ? el("p", { class: "pb-gpc", text: t.gpc }) : null;
    banner = el("section", { id: "privaat-banner", class: "pb", "aria-labelledby": "pb-title",
      lang: config.lang, tabindex: "-1" }, [
      el("h2", { id: "pb-title", text: t.title }),
      el("p", { text: t.intro }),
      purposes,
      gpcNote,
      layer,
      el("div", { class: "pb-buttons" }, [accept, refuse, settings, saveButton]),
      el("p", { class: "pb-links" }, [el("a", { href: new URL(config.privacy, base).href, text: t.privacy })]),
      el("p", { class: "pb-status", role: "status" }),
    ]);
    accept.addEventListener("click", function () { save(all(true), false); });
    refuse.addEventListener("click", function () { save(all(false), false); });
    function showSettings() {
      layer.hidden = false;
      saveButton.hidden = false;
      settings.setAttribute("aria-expanded", "true");
    }
    settings.addEventListener("click", function () {
      showSettings();
      var first = layer.querySelector("input:not([disabled])");
      if (first) first.focus();
    });
    saveButton.addEventListener("click", function () {
      var choice = {};
      asked().forEach(function (c) {
        choice[c.id] = layer.querySelector("#pb-category-" + c.id).checked;
      });
      save(choice, false);
    });
    // first in the document, so the keyboard reaches it first; the page stays usable (L41)
    document.body.insertBefore(banner, document.body.firstChild);
    if (withSettings) showSettings();
    // no button is focused for the visitor: Accept and Refuse are one Tab apart (L40)
    (withSettings ? layer.querySelector("input:not([disabled])") || banner : banner).focus();
  }

  function close() {
    var focused = banner && banner.contains(document.activeElement);
    if (banner) banner.remove();
    banner = null;
    if (!reopen) {
      reopen = el("aside", { class: "pb-reopen", "aria-label": config.texts.reopen }, [
        el("button", { type: "button", id: "pb-reopen", class: "pb-reopen-button", text: config.texts.reopen }),
      ]);
      reopen.firstChild.addEventListener("click", function () { open(true); });
      document.body.appendChild(reopen);
    }
    if (focused) reopen.firstChild.focus(); // a keyboard user keeps their place
  }

  function start(answer) {
    config = answer;
    Array.prototype.forEach.call(document.querySelectorAll("[data-cookie-settings]"), function (b) {
      b.addEventListener("click", function (event) { event.preventDefault(); open(true); });
    });
    var choice = config.choice;
    if (choice && choice.current) {
      given = choice.given;
      close();
      apply({});
    } else if (config.gpc || browserGpc()) {
      // GPC: a refusal of every category, recorded as such, and no banner to click away
      save(all(false), true);
    } else {
      placeholders();
      open(false);
    }
  }

  // a customer's other domain carries the choice to this one: off the address before any
  // other script of the page can read it, then spent at privaat (once, for this scope only)
  var here = new URL(location.href);
  var carried = here.searchParams.get("privaat_carry");
  if (carried) {
    here.searchParams.delete("privaat_carry");
    history.replaceState(history.state, "", here.pathname + here.search + here.hash);
  }
  function carry(event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || !config || !config.carry || !config.domains) return;
    var url = new URL(link.href, document.baseURI);
    if (config.domains.indexOf(url.hostname) < 0 || !/^https?:$/.test(url.protocol)) return;
    url.searchParams.set("privaat_carry", config.carry);
    link.href = url.href; // at the click only: the page's links never hold a token
  }
  document.addEventListener("click", carry, true);
  document.addEventListener("auxclick", carry, true);

  var style = el("link", { rel: "stylesheet", href: base + "/consent/banner.css" });
  document.head.appendChild(style);
  // asked at once, not at DOMContentLoaded: the stored choice reaches Google tags as an
  // update within wait_for_update
  function ask() { return api("/consent/choices?lang=" + encodeURIComponent(lang)); }
  var answered = carried
    ? api("/consent/carry", { method: "POST", body: JSON.stringify({ token: carried }) }).then(ask, ask)
    : ask();
  answered.then(function (answer) {
    if (answer.choice && answer.choice.current) consentUpdate(answer.choice.given);
  }, function () {});
  function boot() {
    answered.then(start, function () {});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
