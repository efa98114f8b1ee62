import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../kube/types.ts';
import { envsubst, mergeSubstituteVars, substituteObject, substituteViaYaml, SubstitutionError } from './substitute.ts';

const vars = { name: 'app', replicas: '3', enabled: 'true', empty: '', path: 'a/b/c.tar.gz', Mixed: 'hello World' };

describe('envsubst (Flux fork of drone/envsubst)', () => {
  const table: Array<[string, string]> = [
    ['plain text', 'plain text'],
    ['${name}', 'app'],
    ['x-${name}-y', 'x-app-y'],
    ['$name', '$name'], // no bare form
    ['$${name}', '${name}'], // escaped
    ['cost: $$5', 'cost: $5'],
    ['a $ b', 'a $ b'],
    ['${missing:=dflt}', 'dflt'],
    ['${missing=dflt}', 'dflt'],
    ['${missing:-dflt}', 'dflt'],
    ['${empty:=dflt}', 'dflt'],
    ['${name:=dflt}', 'app'],
    ['${missing:=${name}-x}', 'app-x'],
    ['${#name}', '3'],
    ['${Mixed^^}', 'HELLO WORLD'],
    ['${Mixed,,}', 'hello world'],
    ['${Mixed^}', 'Hello World'],
    ['${path#*/}', 'b/c.tar.gz'],
    ['${path##*/}', 'c.tar.gz'],
    ['${path%.*}', 'a/b/c.tar'],
    ['${path%%.*}', 'a/b/c'],
    ['${path/\\//-}', 'a-b/c.tar.gz'],
    ['${path//\\//-}', 'a-b-c.tar.gz'],
    ['${name:1}', 'pp'],
    ['${name:0:2}', 'ap'],
    ['${missing}', ''], // not strict
  ];
  for (const [input, want] of table) {
    it(`${input} → ${want}`, () => assert.equal(envsubst(input, vars, { strict: false }), want));
  }

  it('strict: an unset variable without default fails, naming it', () => {
    assert.throws(() => envsubst('${nope}', vars, { strict: true }), (err: unknown) => {
      assert.ok(err instanceof SubstitutionError && err.reason === 'VariableNotSet');
      assert.match(err.message, /"nope"/);
      return true;
    });
    assert.equal(envsubst('${nope:=ok}', vars, { strict: true }), 'ok');
    assert.equal(envsubst('${empty}', vars, { strict: true }), '');
  });

  it('malformed expressions fail with ParseFailed', () => {
    for (const bad of ['${name', '${}', '${-x}']) {
      assert.throws(() => envsubst(bad, vars, { strict: false }), (err: unknown) => err instanceof SubstitutionError && err.reason === 'ParseFailed', bad);
    }
  });
});

function deploy(extra: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: '${name}', annotations: { ...extra } },
    spec: { replicas: '${replicas}', paused: '${enabled}', template: { metadata: { labels: { tier: '${tier:=web}' } } }, note: 'on', script: 'echo $${HOME}' },
  };
}

describe('substituteObject', () => {
  it('substitutes on the YAML text and parses back typed values', () => {
    const out = substituteObject(deploy(), vars, { strict: false });
    assert.equal(out.metadata.name, 'app');
    const spec = out.spec as Record<string, unknown>;
    assert.equal(spec.replicas, 3);
    assert.equal(spec.paused, true);
    assert.deepEqual(spec.template, { metadata: { labels: { tier: 'web' } } });
    assert.equal(spec.note, 'on'); // a string stays a string
    assert.equal(spec.script, 'echo ${HOME}');
  });

  it('skips objects labelled or annotated substitute: disabled', () => {
    const obj = deploy({ 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' });
    assert.equal(substituteObject(obj, vars, { strict: true }), obj);
    const labelled = { ...deploy(), metadata: { name: '${name}', labels: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } } };
    assert.equal(substituteObject(labelled, vars, { strict: true }), labelled);
  });

  it('leaves objects alone when there are no vars (as Flux)', () => {
    const obj = deploy();
    assert.equal(substituteObject(obj, {}, { strict: true }), obj);
  });

  it('rejects invalid variable names', () => {
    assert.throws(() => substituteObject(deploy(), { 'bad-name': 'x' }, { strict: false }), (err: unknown) => err instanceof SubstitutionError && err.reason === 'InvalidVariable');
  });

  it('strict errors name the variable, never a value', () => {
    const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '${password}', b: '${unset}' } };
    assert.throws(() => substituteObject(obj, { password: 'hunter2' }, { strict: true }), (err: unknown) => {
      assert.ok(err instanceof SubstitutionError && err.reason === 'VariableNotSet');
      assert.match(err.message, /unset/);
      assert.ok(!err.message.includes('hunter2'));
      return true;
    });
  });

  it('a value that breaks the YAML fails with ParseFailed without quoting it', () => {
    const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '${v}' } };
    assert.throws(() => substituteObject(obj, { v: 'x: [secret-value' }, { strict: false }), (err: unknown) => {
      assert.ok(err instanceof SubstitutionError && err.reason === 'ParseFailed');
      assert.ok(!err.message.includes('secret-value') && err.cause === undefined);
      return true;
    });
  });
});

describe('substituteObject without the YAML round trip', () => {
  // Pieces of strings and values chosen to hit every way YAML could read the text differently.
  const pieces = ['${A}', '${B}', '${C:=x}', '${unset:-d}', '$${A}', '$$', '$', 'v', '3', '0x1', '1.5', ':', ': ', ' #', '#', '"', "'", '\\', '-', '/', '.', '@', '=', 'yes', 'on', 'no', 'null', '~', '_', ' ', '{', '}', '[', '*', '&', 'é', '1:2', '\n', '\t', '${A/\n/}', '${unset:-a\\/b}'];
  const values = ['v1', '3', 'true', 'yes', 'y', 'N', '', 'a: b', "it's", 'x"y', 'ghcr.io/app', '1:20', '0.5', 'null', '~', 'a b', '#x', 'é', 'Off', '_x', '/p'];
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const pick = <T,>(xs: readonly T[]) => xs[rand(xs.length)] as T;
  const outcome = (f: () => KubeObject) => {
    try {
      return { obj: f() };
    } catch (err) {
      return { error: err instanceof SubstitutionError ? err.reason : String(err) };
    }
  };

  it('gives what the round trip gives, for 5,000 random strings and values', () => {
    let direct = 0;
    for (let n = 0; n < 5000; n++) {
      const str = Array.from({ length: 1 + rand(4) }, () => pick(pieces)).join('');
      const vars = { A: pick(values), B: pick(values), C: pick(values) };
      const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { l: str } }, data: { k: str, list: [str, 'plain'] } };
      for (const strict of [true, false]) {
        const ours = outcome(() => substituteObject(obj, vars, { strict }));
        const yaml = outcome(() => substituteViaYaml(obj, vars, { strict }));
        assert.deepEqual(ours, yaml, `${JSON.stringify(str)} with ${JSON.stringify(vars)} (strict ${strict})`);
        if (ours.obj && JSON.stringify(ours.obj) !== JSON.stringify(obj) && !('error' in ours)) direct++;
      }
    }
    assert.ok(direct > 1000, `only ${direct} substitutions compared`);
  });

  it('takes the direct path for the usual image tags and hosts, sharing what it does not change', () => {
    const spec = { template: { spec: { containers: [{ image: 'ghcr.io/app:${TAG}' }] } }, selector: { app: 'x' } };
    const obj: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec };
    const out = substituteObject(obj, { TAG: 'v1.2.3' }, { strict: true });
    assert.deepEqual(out.spec, { template: { spec: { containers: [{ image: 'ghcr.io/app:v1.2.3' }] } }, selector: { app: 'x' } });
    assert.equal(out.metadata, obj.metadata, 'unchanged parts are shared, not re-parsed');
    assert.equal(out.spec.selector, spec.selector);
  });
});

describe('mergeSubstituteVars', () => {
  const table: Array<{ name: string; sources: Parameters<typeof mergeSubstituteVars>[0]; inline?: Record<string, string>; want: Record<string, string> }> = [
    { name: 'later source wins', sources: [{ kind: 'ConfigMap', name: 'a', data: { x: '1', y: '1' }, optional: false }, { kind: 'Secret', name: 'b', data: { x: '2' }, optional: false }], want: { x: '2', y: '1' } },
    { name: 'inline wins over all', sources: [{ kind: 'Secret', name: 'b', data: { x: '2' }, optional: false }], inline: { x: '3' }, want: { x: '3' } },
    { name: 'optional missing is skipped', sources: [{ kind: 'ConfigMap', name: 'gone', data: undefined, optional: true }], inline: { a: 'b' }, want: { a: 'b' } },
    { name: 'newlines removed', sources: [{ kind: 'Secret', name: 's', data: { k: 'line1\nline2\n' }, optional: false }], want: { k: 'line1line2' } },
  ];
  for (const c of table) it(c.name, () => assert.deepEqual(mergeSubstituteVars(c.sources, c.inline), c.want));

  it('a missing non-optional source → SourceNotFound', () => {
    assert.throws(() => mergeSubstituteVars([{ kind: 'Secret', name: 'creds', data: undefined, optional: false }], undefined), (err: unknown) => {
      assert.ok(err instanceof SubstitutionError && err.reason === 'SourceNotFound');
      assert.match(err.message, /Secret\/creds/);
      return true;
    });
  });
});
