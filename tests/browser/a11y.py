"""An accessibility smoke check run inside the page: labels, alt text, button contrast."""
from __future__ import annotations

CHECK_JS = r"""
() => {
  const problems = [];
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const name = (el) => (el.getAttribute('aria-label') || el.getAttribute('title') || el.innerText || el.value || '').trim();
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push('img without alt: ' + img.src);
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button' || !visible(el)) continue;
    const labelled = (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]'))
      || el.closest('label') || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!labelled) problems.push('field without label: ' + (el.name || el.id || el.outerHTML.slice(0, 80)));
  }
  for (const el of document.querySelectorAll('button, a.btn, input[type=submit]')) {
    if (!visible(el)) continue;
    if (!name(el)) problems.push('button without a name: ' + el.outerHTML.slice(0, 80));
  }
  // Contrast of the main (primary) buttons: WCAG AA needs 4.5:1 for normal text.
  const rgb = (s) => (s.match(/[\d.]+/g) || []).slice(0, 3).map(Number);
  const lum = (c) => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                       return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  for (const el of document.querySelectorAll('.btn-primary, .btn-ocop, button[type=submit]')) {
    if (!visible(el)) continue;
    const style = getComputedStyle(el);
    const bg = rgb(style.backgroundColor), fg = rgb(style.color);
    if (bg.length < 3 || style.backgroundColor === 'rgba(0, 0, 0, 0)') continue;
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) problems.push('low contrast (' + ratio.toFixed(2) + ':1) on button: ' + name(el));
  }
  // The same destination linked twice in a row (a photo link next to the name's link): keyboard
  // and screen-reader users meet every item twice.
  const links = [...document.querySelectorAll('a[href]')].filter(visible);
  for (let i = 1; i < links.length; i++) {
    const [a, b] = [links[i - 1], links[i]];
    if (a.href === b.href && (!a.innerText.trim() || !b.innerText.trim()) && !a.href.endsWith('#'))
      problems.push('redundant adjacent links to ' + a.getAttribute('href'));
  }
  if (!document.documentElement.lang) problems.push('html without lang');
  return problems;
}
"""


def accessibility_problems(page) -> list[str]:
    return page.evaluate(CHECK_JS)
