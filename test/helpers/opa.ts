/** Runs the real `opa` binary (installed by scripts/install-tools.sh) for the tests. */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoPath } from './paths.js';

const run = promisify(execFile);

export function opaBinary(): string {
  const bin = process.env.OPA_BIN ?? repoPath('.tools', 'bin', 'opa');
  if (!existsSync(bin)) throw new Error(`the real opa binary is needed at ${bin}: run npm run tools (or set OPA_BIN)`);
  return bin;
}

export interface OpaCase {
  /** The Envoy ext_authz input. */
  readonly input: unknown;
  /** The clock OPA's time.now_ns() answers for this case. */
  readonly nowNs: bigint;
}

/**
 * Evaluates `query` (default the decision) for every case in one `opa eval` over the bundle
 * directory, with input and clock replaced per case, and returns the decisions in order.
 */
export async function evalCases(bundleDir: string, cases: readonly OpaCase[], query = 'data.custody.authz.allow'): Promise<unknown[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-opa-'));
  const inputFile = path.join(dir, 'cases.json');
  // Nanosecond instants exceed JavaScript's exact integers: write them as JSON number literals by hand.
  const body = cases.map((c) => `{"now":${c.nowNs.toString()},"input":${JSON.stringify(c.input)}}`).join(',');
  writeFileSync(inputFile, `{"cases":[${body}]}`);
  // Binding the clock to a variable first matters: OPA does not see a `with` value that refers
  // to the comprehension's own iteration variable through a ref.
  const q = `[d | some c in input.cases; n := c.now; i := c.input; d := ${query} with input as i with time.now_ns as n]`;
  let stdout: string;
  try {
    ({ stdout } = await run(opaBinary(), ['eval', '-f', 'raw', '-b', bundleDir, '-i', inputFile, q], { maxBuffer: 256 * 1024 * 1024 }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const result = JSON.parse(stdout) as unknown[];
  if (result.length !== cases.length) throw new Error(`opa answered ${result.length} decisions for ${cases.length} cases`);
  return result;
}

export async function opa(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(opaBinary(), args, { maxBuffer: 64 * 1024 * 1024 });
}

export function envoyInput(principal: string | undefined, method: string, pathWithQuery: string): unknown {
  return {
    attributes: {
      ...(principal ? { source: { principal } } : {}),
      request: { http: { method, path: pathWithQuery, headers: { ':path': pathWithQuery, 'x-forwarded-client-cert': principal ? `URI=${principal}` : '' } } },
    },
    parsed_path: pathWithQuery.split('?')[0]!.replace(/^\//, '').split('/'),
  };
}

export function writeTemp(name: string, content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'custody-'));
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}
