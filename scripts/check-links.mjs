#!/usr/bin/env node
// Every relative link in the Markdown under DIR (README.md and docs/) must reach a file inside
// DIR: run on the repository, and on the installed package (whose README links only to what the
// tarball holds). Web links and same-page anchors are not checked. Usage: check-links.mjs [DIR]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const markdown = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
  const path = join(dir, entry.name);
  if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : markdown(path);
  return entry.name.endsWith('.md') ? [path] : [];
});
const files = [join(root, 'README.md'), ...(existsSync(join(root, 'docs')) ? markdown(join(root, 'docs')) : [])];
const broken = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    const path = resolve(dirname(file), decodeURIComponent(target.split('#')[0]));
    const where = `${relative(root, file)}: ${target}`;
    if (path !== root && !path.startsWith(root + sep)) broken.push(`${where} (outside ${relative(process.cwd(), root) || '.'})`);
    else if (!existsSync(path) || (!statSync(path).isFile() && !statSync(path).isDirectory())) broken.push(`${where} (missing)`);
  }
}
if (broken.length > 0) {
  console.error(`links: ${broken.length} broken\n  ${broken.join('\n  ')}`);
  process.exit(1);
}
console.log(`links: every relative link in ${files.length} Markdown files under ${relative(process.cwd(), root) || '.'} resolves`);
