// Preloaded into the measured process: reports its peak resident set size when it exits.
import { writeSync } from 'node:fs';
process.on('exit', () => writeSync(2, `\ncustody-bench-max-rss-kb ${process.resourceUsage().maxRSS}\n`));
