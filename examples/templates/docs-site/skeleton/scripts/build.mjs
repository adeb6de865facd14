// Builds docs/*.md into site/*.html with no dependencies: headings, paragraphs, lists and code.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const inline = (text) => escape(text).replace(/`([^`]+)`/g, '<code>$1</code>');

function toHtml(markdown) {
  const out = [];
  let list = false;
  for (const line of markdown.split('\n')) {
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const item = /^\s*(?:[-*]|\d+\.)\s+(.*)$/.exec(line);
    if (!item && list) {
      out.push('</ul>');
      list = false;
    }
    if (heading) out.push(`<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`);
    else if (item) {
      if (!list) out.push('<ul>');
      list = true;
      out.push(`<li>${inline(item[1])}</li>`);
    } else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
  }
  if (list) out.push('</ul>');
  return out.join('\n');
}

mkdirSync('site', { recursive: true });
for (const file of readdirSync('docs').filter((f) => f.endsWith('.md'))) {
  const body = toHtml(readFileSync(`docs/${file}`, 'utf8'));
  writeFileSync(`site/${file.replace(/\.md$/, '.html')}`, `<!doctype html>\n<meta charset="utf-8">\n<title>${file}</title>\n${body}\n`);
}
console.log('site/ built');
