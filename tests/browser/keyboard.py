"""Drive a page with the keyboard only, checking that focus is always visible.

Every stop of the focus is checked: the focused element (or, for the hidden
GOV.UK radio and checkbox inputs, their label's drawn box) must look different
from the same element unfocused, with a visible outline, box shadow or
background. A walk through the whole tab order, forwards and backwards, must
come back out of the page (no keyboard trap).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from playwright.sync_api import FileChooser
from playwright.sync_api import Page

# Describes the focused element and compares its focused and unfocused styles.
# blur() and focus() put the same element back: GOV.UK styles use :focus, and
# Chromium keeps :focus-visible after a keyboard interaction. Date fields are
# compared with an unfocused copy (refocusing would reset the part in focus).
FOCUS_PROBE = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) {
    return null;
  }
  const transparent = c => c === 'transparent' || /rgba\\(.*,\\s*0\\)$/.test(c);
  const look = e => {
    const s = getComputedStyle(e);
    const out = {
      outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
        && !transparent(s.outlineColor) ? `${s.outlineWidth} ${s.outlineColor}` : '',
      shadow: s.boxShadow,
      background: s.backgroundColor,
      drawn: '',
    };
    if (e.matches('input[type=radio], input[type=checkbox]') && e.labels.length) {
      const before = getComputedStyle(e.labels[0], '::before');
      out.drawn = `${before.boxShadow} ${before.outlineStyle} ${before.outlineColor}`;
    }
    return out;
  };
  const describe = e => {
    const text = (e.innerText || e.value || e.getAttribute('aria-label') || '')
      .trim().slice(0, 40);
    return `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}` +
      `${e.name ? '[name=' + e.name + ']' : ''}` +
      `${e.type === 'radio' || e.type === 'checkbox' ? '=' + e.value : ''}` +
      (text && !e.id ? ` "${text}"` : '');
  };
  const focused = look(el);
  let rest;
  if (el.matches('input[type=date], input[type=month], input[type=time]')) {
    // Refocusing would put the caret back in the first part (month, day...):
    // an unfocused copy in the same place shows the resting style instead.
    const copy = el.cloneNode(false);
    copy.removeAttribute('id');
    el.after(copy);
    rest = look(copy);
    copy.remove();
  } else {
    el.blur();
    rest = look(el);
    el.focus({preventScroll: true});
  }
  const box = (el.labels && el.labels.length ? el.labels[0] : el)
    .getBoundingClientRect();
  const changed = ['outline', 'shadow', 'background', 'drawn']
    .filter(k => focused[k] !== rest[k]);
  const visible = changed.some(k =>
    (k === 'outline' && focused.outline) ||
    (k === 'shadow' && focused.shadow !== 'none') ||
    (k === 'background' && !transparent(focused.background)) ||
    (k === 'drawn' && !focused.drawn.startsWith('none')));
  return {
    name: describe(el),
    visible: visible && box.width > 0 && box.height > 0,
    changed,
    inMain: !!el.closest('main'),
  };
}
"""

# More Tab presses than this inside one element is a keyboard trap.
MAX_STOPS_IN_ONE_ELEMENT = 5


@dataclass
class KeyboardUser:
    """A keyboard-only user on one visitor's page."""

    page: Page
    stops: list[str] = field(default_factory=list)
    # File choosers the page opened (``upload``). Listened for from the start:
    # a listener added just before the key press (``expect_file_chooser``)
    # turns on Chromium's interception of the dialog asynchronously, and on a
    # loaded machine the press could come first and open no chooser at all
    # (seen once in CI under load 8).
    choosers: list[FileChooser] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A function of its own: Playwright tags the handler it is given.
        def opened(chooser: FileChooser) -> None:
            self.choosers.append(chooser)

        self.page.on("filechooser", opened)

    def focus(self) -> dict | None:
        return self.page.evaluate(FOCUS_PROBE)

    def press(self, key: str) -> dict | None:
        self.page.keyboard.press(key)
        here = self.focus()
        if here is not None:
            assert here["visible"], f"focus is not visible on {here}"
            self.stops.append(here["name"])
        return here

    def active_matches(self, selector: str, text: str = "") -> bool:
        return self.page.evaluate(
            "([s, t]) => { const e = document.activeElement;"
            " return !!e && e.matches(s) && e.textContent.includes(t); }",
            [selector, text],
        )

    def tab_to(
        self, selector: str, *, text: str = "", limit: int = 150, back: bool = False
    ) -> None:
        """Tab (or Shift+Tab) until the focused element matches ``selector``."""
        for _ in range(limit):
            if self.active_matches(selector, text):
                return
            self.press("Shift+Tab" if back else "Tab")
        raise AssertionError(f"{selector} not reached by keyboard: {self.stops[-8:]}")

    def skip_to_main(self) -> None:
        """The first stop is the skip link; Enter moves focus to <main>.

        On a page that focuses a field itself (autofocus), or that opened at
        #main-content, the skip link is behind: Shift+Tab goes back to it.
        """
        if self.focus() is None:
            self.press("Tab")
        self.tab_to("a", text="Skip to main content", back=True)
        assert self.active_matches("a.govuk-skip-link", "Skip to main content")
        self.page.keyboard.press("Enter")
        assert self.page.evaluate("document.activeElement.id") == "main-content"
        here = self.press("Tab")
        assert here is not None
        assert here["inMain"], f"the Tab after the skip link left <main>: {here}"

    def cycle(self, key: str, limit: int) -> list[str]:
        """Press ``key`` until focus comes back round; the stops from the skip link."""
        stops: list[str] = []
        repeats = 0
        wrapped = False
        for _ in range(limit):
            here = self.press(key)
            if here is None:  # Out of the page, into the browser's own controls.
                wrapped = True
                continue
            if wrapped and key == "Tab":
                # Back into the page, normally from the top (the skip link
                # first). A moment with no focused element mid-page, while a
                # script updates it, looks the same, so the skip link's place
                # is checked by skip_to_main(), not here; the walk must still
                # come round to its first stop.
                wrapped = False
            if stops and here["name"] == stops[0]:
                break
            if stops and here["name"] == stops[-1]:
                # A date field's day, month and year are stops of one element.
                repeats += 1
                assert repeats < MAX_STOPS_IN_ONE_ELEMENT, f"trapped: {here}"
                continue
            repeats = 0
            stops.append(here["name"])
        else:
            raise AssertionError(f"{key} does not come round: {stops[-10:]}")
        skip = next(i for i, name in enumerate(stops) if "Skip to main" in name)
        return stops[skip:] + stops[:skip]

    def walk(self, *, limit: int = 400) -> list[str]:
        """Tab round the page and back: every stop visible, no trap, same order."""
        forward = self.cycle("Tab", limit)
        backward = self.cycle("Shift+Tab", limit)
        assert forward == backward[:1] + backward[1:][::-1], (forward, backward)
        return forward

    def type_into(self, selector: str, text: str) -> None:
        self.tab_to(selector)
        self.page.keyboard.press("ControlOrMeta+a")
        self.page.keyboard.press("Backspace")
        self.page.keyboard.type(text)

    def check(self, selector: str) -> None:
        """Tab to a checkbox and tick it with Space."""
        self.tab_to(selector)
        self.page.keyboard.press("Space")
        assert self.page.locator(selector).is_checked(), selector

    def choose(self, name: str, value: str) -> None:
        """Tab into a radio group, then move with the arrow keys to ``value``."""
        self.tab_to(f"input[type=radio][name='{name}']")
        target = f"input[type=radio][name='{name}'][value='{value}']"
        if self.active_matches(target):
            self.page.keyboard.press("Space")
        else:
            for _ in range(20):
                self.press("ArrowDown")
                if self.active_matches(target):
                    break
        assert self.page.locator(target).is_checked(), target

    def select(self, selector: str, label: str) -> None:
        """Tab to a closed <select> and press ArrowDown until ``label`` shows."""
        self.tab_to(selector)
        for _ in range(300):
            chosen = self.page.evaluate(
                "s => { const e = document.querySelector(s);"
                " return e.options[e.selectedIndex]?.text.trim(); }",
                selector,
            )
            if chosen == label:
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"{label} not reachable with arrows in {selector}")

    def expand(self, selector: str, text: str = "") -> None:
        """Tab to a <summary> and open it with Enter."""
        self.tab_to(selector, text=text)
        self.page.keyboard.press("Enter")

    def upload(self, selector: str, payload: dict) -> None:
        """Tab to a file input; Space opens the chooser (the OS dialog)."""
        self.tab_to(selector)
        self.choosers.clear()
        self.page.keyboard.press("Space")
        for _ in range(100):
            if self.choosers:
                break
            self.page.wait_for_timeout(100)
        assert self.choosers, f"Space on {selector} opened no file chooser in 10 s"
        self.choosers[0].set_files(payload)

    def submit(self, selector: str, *, key: str = "Enter") -> None:
        """Tab to a button and press it; wait for the next page."""
        self.tab_to(selector)
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.page.wait_for_load_state("networkidle")
