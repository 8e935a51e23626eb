// The build's second step: files tsc does not emit (the rollout page's HTML, CSS and script) copied
// beside the compiled modules that serve them, so that a fresh clone works after npm run build.
import { cpSync, readdirSync } from 'node:fs';

const FOLDERS = ['server/page'];
for (const folder of FOLDERS) {
  for (const name of readdirSync(`src/${folder}`)) {
    if (/\.(html|css|js)$/.test(name)) cpSync(`src/${folder}/${name}`, `dist/${folder}/${name}`);
  }
}
