/**
 * Random valid workflows, compiled and run in the real OPA: its decisions equal the reference
 * semantics on every triple, at instants around their window edges in zones with unusual DST
 * rules (half-hour shifts, +12:45 offsets).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { renderBundles, writeTree } from '../../src/generate/index.js';
import { loadWorkflows } from '../../src/workflow/index.js';
import { workflowDoc } from '../helpers/arbitrary.js';
import { sampleInstants } from '../helpers/instants.js';
import { evalCases } from '../helpers/opa.js';
import { probesFor } from '../helpers/probes.js';

test('real OPA agrees with the reference semantics on random workflows', async () => {
  let compared = 0;
  await fc.assert(
    fc.asyncProperty(workflowDoc, async (doc) => {
      const r = loadWorkflows([{ file: 'w.yaml', text: stringify(doc) }]);
      const workflow = r.workflows[0]!;
      const out = mkdtempSync(path.join(tmpdir(), 'custody-prop-'));
      await writeTree(out, renderBundles([workflow]));
      const instants = sampleInstants(workflow).filter((_, i) => i % 4 === 0);
      for (const agent of workflow.agents) {
        const probes = probesFor(workflow, agent.name, instants);
        const decisions = await evalCases(path.join(out, 'bundles', workflow.name, agent.name), probes);
        const wrong = probes.filter((p, i) => decisions[i] !== p.expected);
        assert.equal(
          wrong.slice(0, 3).map((p) => p.label),
          [],
          `${workflow.timezone}: ${stringify(doc)}`,
        );
        compared += probes.length;
      }
    }),
    { numRuns: 6, seed: 20261123 },
  );
  assert.ok(compared > 1000, `compared ${compared} decisions`);
});

test.run();
