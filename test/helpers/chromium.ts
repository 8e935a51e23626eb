/**
 * Debian's chromium, headless, cut off from the network: the real browser the pictures are
 * checked in. Without the flags it tries to reach update and sync services, which fail here.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The DOM of `url` once loaded (and, with `settleMs`, after its scripts ran that long in virtual time), as chromium serializes it. */
export function dumpDom(url: string, extra: readonly string[] = [], settleMs?: number): Promise<string> {
  const profile = mkdtempSync(path.join(tmpdir(), 'custody-chromium-'));
  const args = [...FLAGS, `--user-data-dir=${profile}`, ...(settleMs ? [`--virtual-time-budget=${settleMs}`] : []), ...extra, '--dump-dom', url];
  return new Promise((resolve, reject) => {
    execFile('chromium', args, { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') reject(new Error("chromium is not installed: apt-get install chromium (Debian's package)"));
      else if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A PNG screenshot of `url` (after its scripts ran `settleMs` of virtual time) into `file`. */
export function screenshot(url: string, file: string, settleMs: number, size = '1400,1600'): Promise<void> {
  const profile = mkdtempSync(path.join(tmpdir(), 'custody-chromium-'));
  const args = [
    ...FLAGS,
    `--user-data-dir=${profile}`,
    `--virtual-time-budget=${settleMs}`,
    `--window-size=${size}`,
    '--hide-scrollbars',
    `--screenshot=${file}`,
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile('chromium', args, { timeout: 120_000 }, (err, _stdout, stderr) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium failed: ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}
