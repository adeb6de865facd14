import { Marked, type Tokens } from 'marked';

const SAFE_URL = /^(https?:|mailto:|#|\/|\.{0,2}\/|[^:/?#]+(?:[/?#]|$))/i;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Keeps http(s), mailto, fragment and relative URLs; anything else (javascript:, data:, vbscript:…) becomes '#'. */
export function safeUrl(url: string): string {
  // eslint-disable-next-line no-control-regex -- browsers ignore control characters inside a scheme (java\tscript:)
  const trimmed = url.trim().replace(/[\u0000-\u001f\u007f\s]+/g, '');
  return SAFE_URL.test(trimmed) ? url.trim() : '#';
}

/**
 * Markdown → HTML for READMEs from repositories anyone may push to. Raw HTML in the source is
 * shown as text (escaped), never interpreted, and link and image URLs are limited to safe
 * schemes, so a README cannot run script in the portal.
 */
const markdown = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(token.text);
    },
    link(token: Tokens.Link) {
      const title = token.title ? ` title="${escapeHtml(token.title)}"` : '';
      return `<a href="${escapeHtml(safeUrl(token.href))}"${title} rel="noopener noreferrer">${this.parser.parseInline(token.tokens)}</a>`;
    },
    image(token: Tokens.Image) {
      const title = token.title ? ` title="${escapeHtml(token.title)}"` : '';
      return `<img src="${escapeHtml(safeUrl(token.href))}" alt="${escapeHtml(token.text)}"${title} loading="lazy">`;
    },
  },
});

export function renderMarkdown(source: string): string {
  return markdown.parse(source, { async: false });
}
