import { describe, expect, it } from 'vitest';
import { renderMarkdown, safeUrl } from '../../web/src/pages/repositories/markdown.js';

describe('README markdown rendering', () => {
  it('renders markdown: headings, lists, code, tables, links', () => {
    const html = renderMarkdown('# Shop\n\n- one\n- two\n\n```ts\nconst a = 1 < 2;\n```\n\n| a | b |\n| - | - |\n| 1 | 2 |\n\n[docs](docs/setup.md)\n');
    expect(html).toContain('<h1>Shop</h1>');
    expect(html).toContain('<li>one</li>');
    expect(html).toContain('const a = 1 &lt; 2;');
    expect(html).toContain('<table>');
    expect(html).toContain('<a href="docs/setup.md" rel="noopener noreferrer">docs</a>');
  });

  it('shows raw HTML as text: no script, no event handlers, no iframes', () => {
    const html = renderMarkdown('Hi <script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n<iframe src="https://evil.example"></iframe>\n\n<div onclick="x()">block</div>\n');
    expect(html).not.toMatch(/<script|<img src=x|<iframe|<div onclick/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(2)&quot;&gt;');
  });

  it('neutralises javascript:, data: and vbscript: URLs in links and images, however spelled', () => {
    for (const url of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' java\tscript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)']) expect(safeUrl(url), url).toBe('#');
    const html = renderMarkdown('[x](javascript:alert(1)) ![y](data:image/svg+xml,<svg onload=alert(1)>) <javascript:alert(3)>\n');
    expect(html).not.toMatch(/href="javascript|src="data/i);
    expect(html).toContain('href="#"');
    for (const url of ['https://example.com/a?b=c#d', 'mailto:a@example.com', '#install', '/catalog', '../up.md', 'docs/setup.md']) expect(safeUrl(url), url).toBe(url);
  });

  it('escapes quotes in titles and alt text', () => {
    expect(renderMarkdown('![a" onerror="x](https://e.example/i.png "t\\" onload=\\"y")')).not.toMatch(/" onerror="|" onload="/);
  });
});
