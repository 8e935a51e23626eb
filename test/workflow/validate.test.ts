/** One row per kind of bad input of the spec format: the code, where it is reported, and that nothing is accepted. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DiagnosticCodes, formatDiagnostic, loadWorkflows } from '../../src/workflow/index.js';
import { loadOne } from '../helpers/workflows.js';

// Line numbers below refer to this text (line 1 is "apiVersion").
const BASE = `apiVersion: custody.dev/v1alpha1
kind: Workflow
metadata:
  name: demo
spec:
  owner: studio
  timezone: Europe/Paris
  actors:
    studio:
      cluster: { name: studio-central }
      agents:
        owner: { image: registry.example/owner:1.0 }
    vfx:
      cluster: { name: vfx-central, trustDomain: vfx.example }
      agents:
        vfx-1: { image: registry.example/vfx:2.0, attributes: { tenure: 3, team: comp } }
        vfx-2: { image: registry.example/vfx:2.0 }
  flows:
    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1 }
    - { from: vfx-1, to: vfx-2, methods: [POST], path: /api/* }
    - { from: vfx-2, to: owner, methods: [POST], path: /api/owner }
`;

function edit(replacements: [string, string][]): string {
  let text = BASE;
  for (const [from, to] of replacements) {
    assert.ok(text.includes(from), `fixture has ${from}`);
    text = text.replace(from, to);
  }
  return text;
}

test('the base fixture is valid and has no warnings', () => {
  const r = loadOne(BASE);
  assert.equal(r.diagnostics.map(formatDiagnostic), []);
  assert.is(r.workflows.length, 1);
});

const flow0 = '    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1 }';
const withFlow = (text: string) => edit([[flow0, text]]);

const rows: { name: string; text: string; code: string; line: number; column: number; field: string }[] = [
  {
    name: 'unknown top-level field',
    text: edit([['kind: Workflow', 'kind: Workflow\nstatus: new']]),
    code: DiagnosticCodes.unknownField,
    line: 3,
    column: 1,
    field: 'status',
  },
  {
    name: 'unknown field in a flow, with a suggestion',
    text: withFlow('    - { from: owner, to: vfx-1, method: [POST], path: /api/vfx-1 }'),
    code: DiagnosticCodes.unknownField,
    line: 19,
    column: 33,
    field: 'spec.flows[0].method',
  },
  { name: 'missing required field', text: edit([['  owner: studio\n', '']]), code: DiagnosticCodes.missingField, line: 5, column: 1, field: 'spec' },
  {
    name: 'missing image',
    text: edit([['vfx-2: { image: registry.example/vfx:2.0 }', 'vfx-2: { port: 8080 }']]),
    code: DiagnosticCodes.missingField,
    line: 17,
    column: 9,
    field: 'spec.actors.vfx.agents.vfx-2',
  },
  {
    name: 'workflow name not a DNS-1123 label',
    text: edit([['name: demo', 'name: Demo_Flow']]),
    code: DiagnosticCodes.invalidName,
    line: 4,
    column: 9,
    field: 'metadata.name',
  },
  {
    name: 'agent name not a DNS-1123 label',
    text: edit([['        vfx-2: {', '        VFX_2: {']]),
    code: DiagnosticCodes.invalidName,
    line: 17,
    column: 9,
    field: 'spec.actors.vfx.agents.VFX_2',
  },
  {
    name: 'actor name too long',
    text: edit([['    vfx:\n', `    ${'v'.repeat(64)}:\n`]]),
    code: DiagnosticCodes.invalidName,
    line: 13,
    column: 5,
    field: `spec.actors.${'v'.repeat(64)}`,
  },
  {
    name: 'agent name used twice across actors',
    text: edit([['        vfx-2: {', '        owner: {']]),
    code: DiagnosticCodes.duplicateName,
    line: 17,
    column: 9,
    field: 'spec.actors.vfx.agents.owner',
  },
  {
    name: 'actor name used twice',
    text: edit([['    vfx:\n', '    studio:\n']]),
    code: DiagnosticCodes.duplicateName,
    line: 13,
    column: 5,
    field: 'spec.actors.studio',
  },
  {
    name: 'flow naming an unknown agent',
    text: withFlow('    - { from: ownr, to: vfx-1, methods: [POST], path: /api/vfx-1 }'),
    code: DiagnosticCodes.unknownAgent,
    line: 19,
    column: 15,
    field: 'spec.flows[0].from',
  },
  {
    name: 'flow from an agent to itself',
    text: withFlow('    - { from: owner, to: owner, methods: [POST], path: /api/vfx-1 }'),
    code: DiagnosticCodes.selfFlow,
    line: 19,
    column: 26,
    field: 'spec.flows[0].to',
  },
  {
    name: 'unknown timezone',
    text: edit([['timezone: Europe/Paris', 'timezone: Europe/Pariss']]),
    code: DiagnosticCodes.unknownTimezone,
    line: 7,
    column: 13,
    field: 'spec.timezone',
  },
  {
    name: 'malformed time',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1, when: [{ hours: { from: "8:00", to: "17:00" } }] }'),
    code: DiagnosticCodes.invalidTime,
    line: 19,
    column: 92,
    field: 'spec.flows[0].when[0].hours.from',
  },
  {
    name: 'time past the end of the day',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1, when: [{ hours: { from: "08:00", to: "24:30" } }] }'),
    code: DiagnosticCodes.invalidTime,
    line: 19,
    column: 105,
    field: 'spec.flows[0].when[0].hours.to',
  },
  {
    name: 'malformed instant',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1, until: "2027-02-30T00:00:00Z" }'),
    code: DiagnosticCodes.invalidInstant,
    line: 19,
    column: 75,
    field: 'spec.flows[0].until',
  },
  {
    name: 'instant without a timezone',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1, notBefore: "2027-01-01T00:00:00" }'),
    code: DiagnosticCodes.invalidInstant,
    line: 19,
    column: 79,
    field: 'spec.flows[0].notBefore',
  },
  {
    name: 'relative path',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: api/vfx-1 }'),
    code: DiagnosticCodes.invalidPath,
    line: 19,
    column: 56,
    field: 'spec.flows[0].path',
  },
  {
    name: 'wildcard inside a path',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api/*/x }'),
    code: DiagnosticCodes.invalidPath,
    line: 19,
    column: 56,
    field: 'spec.flows[0].path',
  },
  {
    name: 'dot segment in a path',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api/../admin }'),
    code: DiagnosticCodes.invalidPath,
    line: 19,
    column: 56,
    field: 'spec.flows[0].path',
  },
  {
    name: 'percent-escape in a path',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api%2Fadmin }'),
    code: DiagnosticCodes.invalidPath,
    line: 19,
    column: 56,
    field: 'spec.flows[0].path',
  },
  {
    name: 'lower-case method',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [post], path: /api/vfx-1 }'),
    code: DiagnosticCodes.invalidMethod,
    line: 19,
    column: 43,
    field: 'spec.flows[0].methods[0]',
  },
  {
    name: 'empty hours window',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1, when: [{ hours: { from: "08:00", to: "08:00" } }] }'),
    code: DiagnosticCodes.neverHolds,
    line: 19,
    column: 74,
    field: 'spec.flows[0].when',
  },
  {
    name: 'until before notBefore',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1, notBefore: "2027-01-02T00:00:00Z", until: "2027-01-01T00:00:00Z" }'),
    code: DiagnosticCodes.neverHolds,
    line: 19,
    column: 110,
    field: 'spec.flows[0].until',
  },
  {
    name: 'until equal to notBefore (until is exclusive)',
    text: withFlow(
      '    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1, notBefore: "2027-01-01T01:00:00+01:00", until: "2027-01-01T00:00:00Z" }',
    ),
    code: DiagnosticCodes.neverHolds,
    line: 19,
    column: 115,
    field: 'spec.flows[0].until',
  },
  {
    name: 'greaterThan on a string attribute',
    text: edit([
      [
        '    - { from: vfx-1, to: vfx-2, methods: [POST], path: /api/* }',
        '    - { from: vfx-1, to: vfx-2, methods: [POST], path: /api/*, when: [{ attribute: team, greaterThan: 2 }] }',
      ],
    ]),
    code: DiagnosticCodes.neverHolds,
    line: 20,
    column: 70,
    field: 'spec.flows[1].when',
  },
  {
    name: 'attribute the source does not have',
    text: edit([
      [
        '    - { from: vfx-1, to: vfx-2, methods: [POST], path: /api/* }',
        '    - { from: vfx-1, to: vfx-2, methods: [POST], path: /api/*, when: [{ attribute: rank, equals: 1 }] }',
      ],
    ]),
    code: DiagnosticCodes.neverHolds,
    line: 20,
    column: 70,
    field: 'spec.flows[1].when',
  },
  {
    name: 'attribute comparison known to be false',
    text: edit([
      [
        '    - { from: vfx-1, to: vfx-2, methods: [POST], path: /api/* }',
        '    - { from: vfx-1, to: vfx-2, methods: [POST], path: /api/*, when: [{ attribute: tenure, greaterThan: 10 }] }',
      ],
    ]),
    code: DiagnosticCodes.neverHolds,
    line: 20,
    column: 70,
    field: 'spec.flows[1].when',
  },
  {
    name: 'comparison without an attribute',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1, when: [{ greaterThan: 3 }] }'),
    code: DiagnosticCodes.invalidCondition,
    line: 19,
    column: 90,
    field: 'spec.flows[0].when[0].greaterThan',
  },
  {
    name: 'two comparisons in one test',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1, when: [{ attribute: x, atLeast: 1, atMost: 3 }] }'),
    code: DiagnosticCodes.invalidCondition,
    line: 19,
    column: 88,
    field: 'spec.flows[0].when[0].attribute',
  },
  {
    name: 'unknown day',
    text: withFlow('    - { from: owner, to: vfx-1, methods: [POST], path: /api/vfx-1, when: [{ days: [Mon, Tues] }] }'),
    code: DiagnosticCodes.invalidValue,
    line: 19,
    column: 89,
    field: 'spec.flows[0].when[0].days[1]',
  },
  {
    name: 'owner that is not an actor',
    text: edit([['owner: studio', 'owner: studios']]),
    code: DiagnosticCodes.unknownOwner,
    line: 6,
    column: 10,
    field: 'spec.owner',
  },
  {
    name: 'wrong apiVersion',
    text: edit([['custody.dev/v1alpha1', 'custody.dev/v1']]),
    code: DiagnosticCodes.invalidValue,
    line: 1,
    column: 13,
    field: 'apiVersion',
  },
  {
    name: 'wrong type',
    text: edit([['vfx-2: { image: registry.example/vfx:2.0 }', 'vfx-2: { image: registry.example/vfx:2.0, port: "80" }']]),
    code: DiagnosticCodes.invalidType,
    line: 17,
    column: 57,
    field: 'spec.actors.vfx.agents.vfx-2.port',
  },
  {
    name: 'port of the OPA sidecar',
    text: edit([['vfx-2: { image: registry.example/vfx:2.0 }', 'vfx-2: { image: registry.example/vfx:2.0, port: 9191 }']]),
    code: DiagnosticCodes.reservedPort,
    line: 17,
    column: 57,
    field: 'spec.actors.vfx.agents.vfx-2.port',
  },
  {
    name: 'image without a tag',
    text: edit([['vfx-2: { image: registry.example/vfx:2.0 }', 'vfx-2: { image: registry.example:5000/vfx }']]),
    code: DiagnosticCodes.unpinnedImage,
    line: 17,
    column: 25,
    field: 'spec.actors.vfx.agents.vfx-2.image',
  },
  {
    name: 'image tagged latest',
    text: edit([['vfx-2: { image: registry.example/vfx:2.0 }', 'vfx-2: { image: registry.example/vfx:latest }']]),
    code: DiagnosticCodes.unpinnedImage,
    line: 17,
    column: 25,
    field: 'spec.actors.vfx.agents.vfx-2.image',
  },
  {
    name: 'reserved namespace',
    text: edit([['name: demo', 'name: kube-system']]),
    code: DiagnosticCodes.reservedName,
    line: 4,
    column: 9,
    field: 'metadata.name',
  },
  { name: 'YAML syntax error', text: edit([['  owner: studio', '  owner: [studio']]), code: DiagnosticCodes.yamlSyntax, line: 7, column: 3, field: '' },
  { name: 'two documents in one file', text: `${BASE}---\n${BASE}`, code: DiagnosticCodes.yamlSyntax, line: 22, column: 1, field: '' },
  { name: 'empty file', text: '', code: DiagnosticCodes.notAMapping, line: 1, column: 1, field: '' },
  { name: 'not a mapping', text: '- just a list\n', code: DiagnosticCodes.invalidType, line: 1, column: 1, field: '' },
  {
    name: 'storage class not a DNS-1123 subdomain',
    text: edit([['cluster: { name: studio-central }', 'cluster: { name: studio-central, storageClass: Fast_SSD }']]),
    code: DiagnosticCodes.invalidValue,
    line: 10,
    column: 54,
    field: 'spec.actors.studio.cluster.storageClass',
  },
  {
    name: 'istioCni not a boolean',
    text: edit([['cluster: { name: studio-central }', 'cluster: { name: studio-central, istioCni: "yes" }']]),
    code: DiagnosticCodes.invalidType,
    line: 10,
    column: 50,
    field: 'spec.actors.studio.cluster.istioCni',
  },
  {
    name: 'bundle server not an http(s) URL',
    text: edit([['cluster: { name: studio-central }', 'cluster: { name: studio-central, bundleServer: "ftp://bundles.example" }']]),
    code: DiagnosticCodes.invalidValue,
    line: 10,
    column: 54,
    field: 'spec.actors.studio.cluster.bundleServer',
  },
  {
    name: 'the in-mesh bundle server at a port its Service does not open',
    text: edit([
      [
        'cluster: { name: studio-central }',
        'cluster: { name: studio-central, bundleServer: "http://custody-bundle-server.custody-system.svc.cluster.local:9000" }',
      ],
    ]),
    code: DiagnosticCodes.invalidValue,
    line: 10,
    column: 54,
    field: 'spec.actors.studio.cluster.bundleServer',
  },
  {
    name: 'the in-mesh bundle server without a port (80, which its Service does not open)',
    text: edit([
      ['cluster: { name: studio-central }', 'cluster: { name: studio-central, bundleServer: "http://custody-bundle-server.custody-system.svc.cluster.local" }'],
    ]),
    code: DiagnosticCodes.invalidValue,
    line: 10,
    column: 54,
    field: 'spec.actors.studio.cluster.bundleServer',
  },
  {
    name: 'the in-mesh bundle server over https (it speaks plain HTTP; the mesh adds mutual TLS)',
    text: edit([
      [
        'cluster: { name: studio-central }',
        'cluster: { name: studio-central, bundleServer: "https://custody-bundle-server.custody-system.svc.cluster.local:8080" }',
      ],
    ]),
    code: DiagnosticCodes.invalidValue,
    line: 10,
    column: 54,
    field: 'spec.actors.studio.cluster.bundleServer',
  },
  {
    name: 'the in-mesh bundle server under a path (it serves bundles at its root)',
    text: edit([
      [
        'cluster: { name: studio-central }',
        'cluster: { name: studio-central, bundleServer: "http://custody-bundle-server.custody-system.svc.cluster.local:8080/opa" }',
      ],
    ]),
    code: DiagnosticCodes.invalidValue,
    line: 10,
    column: 54,
    field: 'spec.actors.studio.cluster.bundleServer',
  },
  {
    name: 'repository not an https or ssh URL',
    text: edit([['cluster: { name: studio-central }', 'cluster: { name: studio-central, repository: "git@github.com:o/r.git" }']]),
    code: DiagnosticCodes.invalidValue,
    line: 10,
    column: 52,
    field: 'spec.actors.studio.cluster.repository',
  },
  {
    name: 'token key set URL without its issuer',
    text: edit([['cluster: { name: studio-central }', 'cluster: { name: studio-central, tokenJwksUrl: "https://issuer.example/jwks" }']]),
    code: DiagnosticCodes.missingField,
    line: 10,
    column: 7,
    field: 'spec.actors.studio.cluster',
  },
  {
    name: 'cluster settings that disagree',
    text: edit([
      ['cluster: { name: vfx-central, trustDomain: vfx.example }', 'cluster: { name: studio-central, storageClass: b }'],
      ['cluster: { name: studio-central }', 'cluster: { name: studio-central, storageClass: a }'],
    ]),
    code: DiagnosticCodes.clusterConflict,
    line: 14,
    column: 54,
    field: 'spec.actors.vfx.cluster.storageClass',
  },
  {
    name: 'cluster described two ways',
    text: edit([
      ['cluster: { name: vfx-central, trustDomain: vfx.example }', 'cluster: { name: studio-central, region: eu }'],
      ['cluster: { name: studio-central }', 'cluster: { name: studio-central, region: us }'],
    ]),
    code: DiagnosticCodes.clusterConflict,
    line: 14,
    column: 48,
    field: 'spec.actors.vfx.cluster.region',
  },
];

test('the in-mesh bundle server written out in full, in any case of its host, and a server elsewhere at any port are accepted', () => {
  for (const url of [
    'http://custody-bundle-server.custody-system.svc.cluster.local:8080',
    'http://Custody-Bundle-Server.custody-system.svc.cluster.local:8080/',
    'https://bundles.studio.example:9443',
  ]) {
    const r = loadOne(edit([['cluster: { name: studio-central }', `cluster: { name: studio-central, bundleServer: "${url}" }`]]));
    assert.equal(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), [], url);
    assert.is(r.workflows.length, 1, url);
  }
});

test('a wrong port of the in-mesh bundle server is named with the one that works', () => {
  const r = loadOne(
    edit([
      [
        'cluster: { name: studio-central }',
        'cluster: { name: studio-central, bundleServer: "http://custody-bundle-server.custody-system.svc.cluster.local:9000" }',
      ],
    ]),
  );
  const [hit] = r.diagnostics.filter((d) => d.severity === 'error');
  assert.match(hit!.message, /listens on port 8080, not 9000/);
  assert.is(hit!.hint, 'write http://custody-bundle-server.custody-system.svc.cluster.local:8080, or the URL of a server the owner publishes elsewhere');
});

for (const row of rows) {
  test(`rejects: ${row.name}`, () => {
    const r = loadOne(row.text);
    assert.is(r.workflows.length, 0, 'nothing accepted');
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    const hit = errors.find((d) => d.code === row.code);
    assert.ok(hit, `expected ${row.code}, got:\n${errors.map(formatDiagnostic).join('\n')}`);
    assert.equal({ line: hit.line, column: hit.column, field: hit.field }, { line: row.line, column: row.column, field: row.field }, formatDiagnostic(hit));
    assert.is(hit.file, 'test.yaml');
    assert.ok(hit.message.length > 10);
  });
}

test('a URL that matches its pattern but that no URL parser reads is an error at its field, quoted without credentials', () => {
  const cluster = (extra: string) => edit([['cluster: { name: studio-central }', `cluster: { name: studio-central, ${extra} }`]]);
  const repository = (url: string) => edit([['  owner: studio\n', `  owner: studio\n  repository: "${url}"\n`]]);
  const hint = (example: string) => `write the host as a name or an [IPv6 address] and any port as a number from 1 to 65535, e.g. ${example}`;
  for (const [text, where, message, example] of [
    [
      repository('https://h:notaport/x'),
      'test.yaml:7:15: spec.repository',
      '"https://h:notaport/x" is not a valid URL: its port is not a number',
      'https://git.example/org/repo.git',
    ],
    [
      repository('https://[::1/x'),
      'test.yaml:7:15: spec.repository',
      '"https://[::1/x" is not a valid URL: its IPv6 address has no closing "]"',
      'https://git.example/org/repo.git',
    ],
    [
      repository('ssh://host:99999/x'),
      'test.yaml:7:15: spec.repository',
      '"ssh://host:99999/x" is not a valid URL: its port is above 65535',
      'https://git.example/org/repo.git',
    ],
    [
      repository('ssh:///org/repo.git'),
      'test.yaml:7:15: spec.repository',
      '"ssh:///org/repo.git" is not a valid URL: it names no host',
      'https://git.example/org/repo.git',
    ],
    [
      cluster('repository: "https://git.example:0/x"'),
      'test.yaml:10:52: spec.actors.studio.cluster.repository',
      '"https://git.example:0/x" is not a valid URL: its port is 0',
      'https://git.example/org/repo.git',
    ],
    [
      cluster('server: "https://k8s.studio.example:6443x"'),
      'test.yaml:10:48: spec.actors.studio.cluster.server',
      '"https://k8s.studio.example:6443x" is not a valid URL: its port is not a number',
      'https://k8s.studio.example:6443',
    ],
    [
      cluster('tokenIssuer: "https://203.0.113.256"'),
      'test.yaml:10:53: spec.actors.studio.cluster.tokenIssuer',
      '"https://203.0.113.256" is not a valid URL: its host is not a valid host name or IP address',
      'https://oidc.studio.example',
    ],
    [
      cluster('tokenIssuer: "https://oidc.studio.example", tokenJwksUrl: "https://[fe80::1%eth0]/keys"'),
      'test.yaml:10:98: spec.actors.studio.cluster.tokenJwksUrl',
      '"https://[fe80::1%eth0]/keys" is not a valid URL: its host is not a valid host name or IP address',
      'https://oidc.studio.example/openid/v1/jwks',
    ],
    [
      cluster('server: "https://k8s..studio.example"'),
      'test.yaml:10:48: spec.actors.studio.cluster.server',
      '"https://k8s..studio.example" is not a valid URL: its host name has an empty label (two dots in a row, or a leading dot)',
      'https://k8s.studio.example:6443',
    ],
    [
      repository(`ssh://git@${'a'.repeat(64)}.example/org/repo.git`),
      'test.yaml:7:15: spec.repository',
      `"ssh://git@${'a'.repeat(64)}.example/org/repo.git" is not a valid URL: its host name has a label longer than 63 characters`,
      'https://git.example/org/repo.git',
    ],
    [
      cluster('bundleServer: "https://bundles.studio.example:99999"'),
      'test.yaml:10:54: spec.actors.studio.cluster.bundleServer',
      '"https://bundles.studio.example:99999" is not a valid URL: its port is above 65535',
      'https://bundles.studio.example',
    ],
  ] as const) {
    const r = loadOne(text);
    const lines = r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
    assert.equal(lines, [`error[invalid-value]: ${where}: ${message} (${hint(example)})`]);
    assert.is(r.workflows.length, 0);
  }
});

test('an unreadable URL is quoted without its credentials, and a value the pattern refuses is reported once', () => {
  const token = 'ghp_0123456789abcdefSECRET';
  const r = loadOne(edit([['  owner: studio\n', `  owner: studio\n  repository: "https://bob:${token}@git.example:notaport/x"\n`]]));
  const lines = r.diagnostics.map(formatDiagnostic);
  assert.equal(
    lines.map((l) => l.slice(0, l.indexOf(':', l.indexOf('spec.repository')) + 1)),
    ['error[credentials-in-url]: test.yaml:7:15: spec.repository:', 'error[invalid-value]: test.yaml:7:15: spec.repository:'],
  );
  assert.match(lines[1]!, '"https://…@git.example:notaport/x" is not a valid URL');
  assert.not.match(lines.join('\n'), token);
  // The bundleServer pattern refuses a port that is no number: the schema says so, and only it.
  const pattern = loadOne(edit([['cluster: { name: studio-central }', 'cluster: { name: studio-central, bundleServer: "https://b.example:x" }']]));
  assert.equal(pattern.diagnostics.map(formatDiagnostic), [
    'error[invalid-value]: test.yaml:10:54: spec.actors.studio.cluster.bundleServer: "https://b.example:x" is not valid here (write an http:// or https:// URL without query, e.g. https://bundles.studio.example)',
  ]);
});

test('URLs a parser reads, with IPv6 hosts, ports and ssh users, are accepted', () => {
  for (const extra of [
    'repository: "ssh://git@[2001:db8::1]:2222/org/repo.git"',
    'repository: "https://git.example:8443/org/repo.git"',
    'server: "https://[2001:db8::2]:6443"',
    'tokenIssuer: "https://oidc.studio.example", tokenJwksUrl: "https://203.0.113.5:8443/keys"',
    'bundleServer: "https://bundles.studio.example:65535/opa"',
    // An absolute name (one trailing dot) and a label of 63 characters.
    'server: "https://k8s.studio.example.:6443"',
    `repository: "https://${'a'.repeat(63)}.example/org/repo.git"`,
  ]) {
    const r = loadOne(edit([['cluster: { name: studio-central }', `cluster: { name: studio-central, ${extra} }`]]));
    assert.equal(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), [], extra);
    assert.is(r.workflows.length, 1, extra);
  }
});

test('a URL with credentials in it is refused at its field and shown without them; an ssh user is no credential', () => {
  const token = 'ghp_0123456789abcdefSECRET';
  const cluster = (extra: string) => edit([['cluster: { name: studio-central }', `cluster: { name: studio-central, ${extra} }`]]);
  for (const [text, where] of [
    [edit([['  owner: studio\n', `  owner: studio\n  repository: "https://bob:${token}@github.com/org/repo.git"\n`]]), 'test.yaml:7:15: spec.repository'],
    // A token alone in the user part is how GitHub and GitLab tokens are often written.
    [cluster(`repository: "https://${token}@github.com/org/repo.git"`), 'test.yaml:10:52: spec.actors.studio.cluster.repository'],
    [cluster(`repository: "https://x-access-token:${token}@github.com/org/repo.git"`), 'test.yaml:10:52: spec.actors.studio.cluster.repository'],
    // The schema refuses the scheme's case as well, and neither error quotes the token.
    [cluster(`repository: "HTTPS://x-access-token:${token}@github.com/org/repo.git"`), 'test.yaml:10:52: spec.actors.studio.cluster.repository'],
    [cluster(`repository: "ssh://git:${token}@github.com/org/repo.git"`), 'test.yaml:10:52: spec.actors.studio.cluster.repository'],
    [
      cluster(`tokenIssuer: "https://issuer.example", tokenJwksUrl: "https://reader:${token}@issuer.example/jwks"`),
      'test.yaml:10:93: spec.actors.studio.cluster.tokenJwksUrl',
    ],
    [cluster(`server: "https://admin:${token}@k8s.studio.example"`), 'test.yaml:10:48: spec.actors.studio.cluster.server'],
    // The other actor on the same cluster with another repository: the conflict quotes both URLs, neither with the token.
    [
      edit([
        ['cluster: { name: studio-central }', `cluster: { name: studio-central, repository: "https://${token}@github.com/org/repo.git" }`],
        ['cluster: { name: vfx-central, trustDomain: vfx.example }', 'cluster: { name: studio-central, repository: "https://github.com/org/other.git" }'],
      ]),
      'test.yaml:10:52: spec.actors.studio.cluster.repository',
    ],
  ] as const) {
    const r = loadOne(text);
    const lines = r.diagnostics.map(formatDiagnostic);
    const refusals = lines.filter((l) => l.startsWith('error[credentials-in-url]'));
    assert.is(refusals.length, 1, lines.join('\n'));
    assert.ok(refusals[0]!.startsWith(`error[credentials-in-url]: ${where}: `), refusals[0]);
    assert.not.match(lines.join('\n'), token);
    assert.is(r.workflows.length, 0);
  }
  const line = formatDiagnostic(loadOne(cluster(`repository: "https://bob:${token}@github.com/org/repo.git"`)).diagnostics[0]!);
  assert.is(
    line,
    'error[credentials-in-url]: test.yaml:10:52: spec.actors.studio.cluster.repository: the URL https://github.com/org/repo.git carries credentials (removed here): a spec is committed to Git and this URL is copied into the generated manifests, so they would be in the repository for everyone who can read it (write the URL without them (and revoke the token if this file was ever committed); for a private repository the bundle server takes its token from CUSTODY_GIT_TOKEN (the generated Deployment reads it from a Secret, see docs/gitops.md), Argo CD and Flux from their own repository credentials)',
  );
  // ssh names the account whose key authenticates: git@ (or any user) stays, as do plain https URLs.
  for (const url of ['ssh://git@github.com/org/repo.git', 'ssh://deploy@git.studio.example:2222/org/repo.git', 'https://github.com/org/repo.git']) {
    const ok = loadOne(edit([['  owner: studio\n', `  owner: studio\n  repository: "${url}"\n`]]));
    assert.equal(ok.diagnostics.map(formatDiagnostic), [], url);
    assert.is(ok.workflows[0]!.actors[0]!.cluster.repository, url);
  }
});

test("a cluster's own repository is every actor's there, not only the actor that names it", () => {
  // The vfx actor moves to the owner's cluster without naming a repository; spec.repository says another.
  const r = loadOne(
    edit([
      ['  owner: studio\n', '  owner: studio\n  repository: "https://github.com/org/workflow.git"\n'],
      ['cluster: { name: studio-central }', 'cluster: { name: studio-central, repository: "https://github.com/org/studio.git" }'],
      ['cluster: { name: vfx-central, trustDomain: vfx.example }', 'cluster: { name: studio-central }'],
    ]),
  );
  assert.equal(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic), []);
  const actors = r.workflows[0]!.actors;
  assert.equal(
    actors.map((a) => [a.name, a.cluster.name, a.cluster.repository]),
    [
      ['studio', 'studio-central', 'https://github.com/org/studio.git'],
      ['vfx', 'studio-central', 'https://github.com/org/studio.git'],
    ],
  );
  // A cluster no actor gives a repository still takes the workflow's.
  const other = loadOne(edit([['  owner: studio\n', '  owner: studio\n  repository: "https://github.com/org/workflow.git"\n']]));
  assert.equal(
    other.workflows[0]!.actors.map((a) => a.cluster.repository),
    ['https://github.com/org/workflow.git', 'https://github.com/org/workflow.git'],
  );
});

test("a repository that disagrees with another workflow's for the cluster is reported where it is given, also when another actor gives it", () => {
  const a = edit([['cluster: { name: studio-central }', 'cluster: { name: studio-central, repository: "https://github.com/org/studio.git" }']]);
  const b = [
    'apiVersion: custody.dev/v1alpha1',
    'kind: Workflow',
    'metadata:',
    '  name: other',
    'spec:',
    '  owner: p',
    '  repository: "https://github.com/org/default.git"',
    '  actors:',
    '    p:',
    '      cluster: { name: studio-central }',
    '      agents:',
    '        a: { image: registry.example/a:1 }',
    '    q:',
    '      cluster: { name: studio-central, repository: "https://github.com/org/q.git" }',
    '      agents:',
    '        b: { image: registry.example/b:1 }',
    '  flows:',
    '    - { from: a, to: b, methods: [GET], path: /x }',
    '',
  ].join('\n');
  const r = loadWorkflows([
    { file: 'a.yaml', text: a },
    { file: 'b.yaml', text: b },
  ]);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(
    errors.map((d) => [d.code, d.file, d.line, d.field]),
    [['cluster-conflict', 'b.yaml', 14, 'spec.actors.q.cluster.repository']],
  );
  assert.match(
    errors[0]!.message,
    'cluster "studio-central" has repository "https://github.com/org/q.git" here but "https://github.com/org/studio.git" in workflow "demo"',
  );
});

test('all errors of a file are reported at once', () => {
  const text = edit([
    ['owner: studio', 'owner: studios'],
    ['timezone: Europe/Paris', 'timezone: Mars/Olympus'],
    [flow0, '    - { from: ownr, to: vfx-1, methods: [POST], path: api }'],
  ]);
  const codes = loadOne(text)
    .diagnostics.map((d) => d.code)
    .sort();
  assert.equal(codes, [DiagnosticCodes.invalidPath, DiagnosticCodes.unknownAgent, DiagnosticCodes.unknownOwner, DiagnosticCodes.unknownTimezone].sort());
});

test('suggestions name the closest valid choice', () => {
  const r = loadOne(withFlow('    - { from: ownr, to: vfx-1, methods: [POST], path: /api/vfx-1 }'));
  assert.match(r.diagnostics[0]!.hint ?? '', /did you mean "owner"/);
  const f = loadOne(withFlow('    - { from: owner, to: vfx-1, method: [POST], path: /api/vfx-1 }'));
  assert.ok(f.diagnostics.some((d) => /did you mean "methods"/.test(d.hint ?? '')));
});

test('an attribute name in a condition that misses by case or a letter gets a did-you-mean', () => {
  const r = loadOne(withFlow('    - { from: vfx-1, to: owner, methods: [GET], path: /api/x, when: [{ attribute: Tenure, greaterThan: 2 }] }'));
  const never = r.diagnostics.find((d) => d.code === DiagnosticCodes.neverHolds);
  assert.is(
    never?.message,
    'no alternative of "when" can ever hold, so the flow can never be taken: agent "vfx-1" has no attribute "Tenure" (did you mean "tenure"?)',
  );
});

test("a name used twice: the duplicate and its field path are named, and the file's other errors are reported with it", () => {
  const r = loadOne(
    edit([
      ['    vfx:\n', '    studio:\n'],
      [flow0, '    - { from: owner, to: nobody, methods: [POST], path: /api/vfx-1 }'],
    ]),
  );
  const lines = r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
  assert.ok(
    lines.includes(
      'error[duplicate-name]: test.yaml:13:5: spec.actors.studio: "studio" is already used as a key of spec.actors (each actor, agent and field is named once; rename or merge the two)',
    ),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => l.startsWith('error[unknown-agent]: test.yaml:19:26: spec.flows[0].to: agent "nobody" is not defined')),
    lines.join('\n'),
  );
});

test('one mis-indented line gives one yaml-syntax error, where the line is', () => {
  for (const [from, to, where] of [
    ['        vfx-2: {', '       vfx-2: {', 'test.yaml:17:1:'],
    ['  timezone: Europe/Paris', '   timezone: Europe/Paris', 'test.yaml:6:10:'],
  ] as const) {
    const errors = loadOne(edit([[from, to]])).diagnostics.filter((d) => d.code === DiagnosticCodes.yamlSyntax);
    assert.is(errors.length, 1, `${to}: ${errors.map(formatDiagnostic).join('\n')}`);
    assert.match(formatDiagnostic(errors[0]!), `error[yaml-syntax]: ${where}`);
  }
});

test('an alternative that can never hold beside one that can is a warning, not an error', () => {
  const r = loadOne(
    edit([
      [
        '    - { from: vfx-1, to: vfx-2, methods: [POST], path: /api/* }',
        '    - { from: vfx-1, to: vfx-2, methods: [POST], path: /api/*, when: [{ attribute: team, equals: color }, { days: [Mon] }] }',
      ],
    ]),
  );
  assert.is(r.workflows.length, 1);
  assert.equal(
    r.diagnostics.map((d) => [d.severity, d.code, d.field]),
    [['warning', DiagnosticCodes.conditionAlternativeNeverHolds, 'spec.flows[1].when[0]']],
  );
});

test('names are unique across workflows, clusters consistent across workflows', async () => {
  const { loadWorkflows } = await import('../../src/workflow/index.js');
  const other = BASE.replace('cluster: { name: studio-central }', 'cluster: { name: studio-central, server: "https://a.example" }');
  const r = loadWorkflows([
    { file: 'a.yaml', text: BASE },
    { file: 'b.yaml', text: BASE },
  ]);
  assert.equal(
    r.diagnostics.map((d) => [d.file, d.code, d.line]),
    [['b.yaml', DiagnosticCodes.duplicateWorkflow, 4]],
  );
  assert.equal(
    r.workflows.map((w) => w.file),
    ['a.yaml'],
  );
  const c = loadWorkflows([
    { file: 'a.yaml', text: other },
    { file: 'b.yaml', text: other.replace('name: demo', 'name: demo-2').replace('https://a.example', 'https://b.example') },
  ]);
  assert.equal(
    c.diagnostics.map((d) => [d.file, d.code]),
    [['b.yaml', DiagnosticCodes.clusterConflict]],
  );
});

test('per-cluster settings and trust domains agree across workflows; one workflow may give what another leaves out', async () => {
  const { loadWorkflows } = await import('../../src/workflow/index.js');
  const set = (extra: string, name = 'demo') =>
    BASE.replace('name: demo', `name: ${name}`).replace('cluster: { name: studio-central }', `cluster: { name: studio-central${extra} }`);
  const agree = loadWorkflows([
    { file: 'a.yaml', text: set(', istioCni: false, storageClass: enc') },
    { file: 'b.yaml', text: set(', istioCni: false', 'demo-2') },
    { file: 'c.yaml', text: set('', 'demo-3') },
  ]);
  assert.equal(agree.diagnostics, []);
  assert.is(agree.workflows.length, 3);
  const clash = loadWorkflows([
    { file: 'a.yaml', text: set(', istioCni: false') },
    { file: 'b.yaml', text: set(', istioCni: true', 'demo-2') },
  ]);
  assert.equal(
    clash.diagnostics.map((d) => [d.file, d.code, d.field]),
    [['b.yaml', DiagnosticCodes.clusterConflict, 'spec.actors.studio.cluster.istioCni']],
  );
  const domains = loadWorkflows([
    { file: 'a.yaml', text: BASE },
    { file: 'b.yaml', text: BASE.replace('name: demo', 'name: demo-2').replace('  owner: studio', '  owner: studio\n  trustDomain: other.example') },
  ]);
  assert.equal(
    domains.diagnostics.map((d) => [d.file, d.code, d.field, d.line]),
    [['b.yaml', DiagnosticCodes.clusterConflict, 'spec.trustDomain', 7]],
  );
  assert.match(domains.diagnostics[0]!.message, /trust domain cluster.local.*other\.example/);
});

test('defaults and normalisation of the checked model', () => {
  const w = loadOne(BASE.replace('methods: [POST], path: /api/vfx-1', 'methods: [PUT, POST, PUT], path: /api/vfx-1')).workflows[0]!;
  assert.is(w.trustDomain, 'cluster.local');
  assert.equal(
    w.agents.map((a) => [a.name, a.actor, a.port, a.storage]),
    [
      ['owner', 'studio', 8080, '1Gi'],
      ['vfx-1', 'vfx', 8080, '1Gi'],
      ['vfx-2', 'vfx', 8080, '1Gi'],
    ],
  );
  assert.is(w.agents[0]!.principal, 'spiffe://cluster.local/ns/demo/sa/owner', "a cluster without a trust domain takes the workflow's default");
  assert.is(w.agents[1]!.principal, 'spiffe://vfx.example/ns/demo/sa/vfx-1', "an agent is named in its own cluster's trust domain");
  assert.equal(w.flows[0]!.methods, ['POST', 'PUT']);
  assert.equal(
    w.actors[0]!.cluster,
    { name: 'studio-central', trustDomain: 'cluster.local' },
    "only the settings given, and the resolved trust domain, are in the model; other defaults are the renderer's",
  );
  assert.equal(w.actors[1]!.cluster, { name: 'vfx-central', trustDomain: 'vfx.example' });
});

test('clusters of different actors sharing a trust domain, or one cluster, are warned about in words', () => {
  const shared = loadOne(edit([['cluster: { name: vfx-central, trustDomain: vfx.example }', 'cluster: { name: vfx-central }']]));
  assert.is(shared.workflows.length, 1, 'a warning: the workflow is still accepted');
  assert.equal(
    shared.diagnostics.map((d) => [d.severity, d.code, d.field, d.line]),
    [['warning', DiagnosticCodes.sharedTrustDomain, 'spec.actors.vfx.cluster.name', 14]],
  );
  const [d] = shared.diagnostics;
  assert.match(d!.message, /clusters "studio-central" \(actor "studio"\) and "vfx-central" \(actor "vfx"\) share trust domain cluster\.local/);
  assert.match(d!.message, /administrator of either cluster can create this workflow's namespace and a ServiceAccount named after an agent of the other/);
  assert.match(d!.hint ?? '', /cluster\.trustDomain/);
  const explicit = loadOne(edit([['cluster: { name: studio-central }', 'cluster: { name: studio-central, trustDomain: vfx.example }']]));
  assert.equal(
    explicit.diagnostics.map((d) => [d.code, d.field]),
    [[DiagnosticCodes.sharedTrustDomain, 'spec.actors.vfx.cluster.trustDomain']],
  );

  const oneCluster = loadOne(edit([['cluster: { name: vfx-central, trustDomain: vfx.example }', 'cluster: { name: studio-central }']]));
  assert.equal(
    oneCluster.diagnostics.map((d) => [d.severity, d.code, d.field]),
    [['warning', DiagnosticCodes.sharedCluster, 'spec.actors.vfx.cluster.name']],
    'two actors on one cluster share its trust domain too, but that is said once, as the shared cluster',
  );
  assert.match(
    oneCluster.diagnostics[0]!.message,
    /actors "studio" and "vfx" share cluster "studio-central": its administrator can run a workload as any agent of either actor/,
  );
  const w = oneCluster.workflows[0]!;
  assert.equal(
    w.agents.map((a) => a.principal),
    ['spiffe://cluster.local/ns/demo/sa/owner', 'spiffe://cluster.local/ns/demo/sa/vfx-1', 'spiffe://cluster.local/ns/demo/sa/vfx-2'],
  );
});

test('a trust domain given for a cluster by one of its actors holds for all of them; two different ones conflict', () => {
  const one = loadOne(
    edit([
      ['cluster: { name: vfx-central, trustDomain: vfx.example }', 'cluster: { name: studio-central }'],
      ['cluster: { name: studio-central }', 'cluster: { name: studio-central, trustDomain: studio.example }'],
    ]),
  );
  assert.equal(
    one.workflows[0]!.agents.map((a) => a.principal),
    ['spiffe://studio.example/ns/demo/sa/owner', 'spiffe://studio.example/ns/demo/sa/vfx-1', 'spiffe://studio.example/ns/demo/sa/vfx-2'],
  );
  const two = loadOne(
    edit([
      ['cluster: { name: vfx-central, trustDomain: vfx.example }', 'cluster: { name: studio-central, trustDomain: vfx.example }'],
      ['cluster: { name: studio-central }', 'cluster: { name: studio-central, trustDomain: studio.example }'],
    ]),
  );
  assert.is(two.workflows.length, 0);
  assert.equal(
    two.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.field]),
    [[DiagnosticCodes.clusterConflict, 'spec.actors.vfx.cluster.trustDomain']],
  );
});

test('a cluster trust domain that is not a DNS name is rejected', () => {
  const r = loadOne(edit([['cluster: { name: vfx-central, trustDomain: vfx.example }', 'cluster: { name: vfx-central, trustDomain: "Vfx.Example/x" }']]));
  assert.is(r.workflows.length, 0);
  assert.equal(
    r.diagnostics.map((d) => [d.code, d.field]),
    [[DiagnosticCodes.invalidValue, 'spec.actors.vfx.cluster.trustDomain']],
  );
});

test.run();
