import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../kube/types.ts';
import { ConditionWriter, get } from './conditions.ts';
import type { ConditionStatus } from './conditions.ts';
import { computeSummary, summarize } from './summarize.ts';
import type { SummarizeSpec } from './summarize.ts';

// GitRepository's declaration in source-controller.
const gitRepository: SummarizeSpec = {
  owned: [
    'StorageOperationFailed', 'FetchFailed', 'IncludeUnavailable', 'ArtifactOutdated',
    'ArtifactInStorage', 'SourceVerified', 'Ready', 'Reconciling', 'Stalled',
  ],
  summarize: [
    'StorageOperationFailed', 'FetchFailed', 'IncludeUnavailable', 'ArtifactOutdated',
    'ArtifactInStorage', 'SourceVerified', 'Stalled', 'Reconciling',
  ],
  negativePolarity: ['StorageOperationFailed', 'FetchFailed', 'IncludeUnavailable', 'ArtifactOutdated', 'Stalled', 'Reconciling'],
};

type Row = [type: string, status: ConditionStatus, reason: string];

function withConditions(rows: Row[]): KubeObject {
  const obj: KubeObject = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name: 'r', generation: 2 } };
  const w = new ConditionWriter(() => new Date(0));
  for (const [type, status, reason] of rows) w.set(obj, { type, status, reason, message: `${type} says ${reason}` });
  return obj;
}

const cases: { name: string; rows: Row[]; spec?: SummarizeSpec; want: [ConditionStatus, string] }[] = [
  {
    name: 'artifact stored → True mirroring ArtifactInStorage',
    rows: [['ArtifactInStorage', 'True', 'Succeeded']],
    want: ['True', 'Succeeded'],
  },
  {
    name: 'negative-polarity failure beats a stored artifact',
    rows: [['ArtifactInStorage', 'True', 'Succeeded'], ['FetchFailed', 'True', 'GitOperationFailed']],
    want: ['False', 'GitOperationFailed'],
  },
  {
    name: 'specific failure is listed before Stalled, so it gives the reason',
    rows: [['FetchFailed', 'True', 'AuthenticationFailed'], ['Stalled', 'True', 'InvalidURL']],
    want: ['False', 'AuthenticationFailed'],
  },
  {
    name: 'Stalled alone → False with its reason',
    rows: [['Stalled', 'True', 'InvalidURL']],
    want: ['False', 'InvalidURL'],
  },
  {
    name: 'Reconciling Progressing → Unknown',
    rows: [['Reconciling', 'True', 'Progressing']],
    want: ['Unknown', 'Progressing'],
  },
  {
    name: 'Reconciling ProgressingWithRetry → False',
    rows: [['Reconciling', 'True', 'ProgressingWithRetry'], ['ArtifactInStorage', 'True', 'Succeeded']],
    want: ['False', 'ProgressingWithRetry'],
  },
  {
    name: 'failure beats Reconciling even when Reconciling is listed first',
    rows: [['Reconciling', 'True', 'Progressing'], ['SourceVerified', 'False', 'VerificationError']],
    spec: { ...gitRepository, summarize: ['Reconciling', 'SourceVerified'] },
    want: ['False', 'VerificationError'],
  },
  {
    name: 'negative-polarity False is good news',
    rows: [['FetchFailed', 'False', 'Succeeded'], ['ArtifactInStorage', 'True', 'Succeeded']],
    want: ['True', 'Succeeded'],
  },
  {
    name: 'Unknown positive → Unknown',
    rows: [['SourceVerified', 'Unknown', 'VerifyPending'], ['ArtifactInStorage', 'True', 'Succeeded']],
    want: ['Unknown', 'VerifyPending'],
  },
  {
    name: 'nothing to summarize → ReconciliationSucceeded',
    rows: [],
    want: ['True', 'ReconciliationSucceeded'],
  },
  {
    name: 'explicit success reason wins over mirroring',
    rows: [['Healthy', 'True', 'Succeeded']],
    spec: { owned: ['Ready', 'Healthy', 'Reconciling', 'Stalled'], negativePolarity: ['Reconciling', 'Stalled'], success: { reason: 'ReconciliationSucceeded', message: 'Applied revision: main@sha1:abc' } },
    want: ['True', 'ReconciliationSucceeded'],
  },
  {
    name: 'conditions not owned are ignored',
    rows: [['Foreign', 'False', 'Nope'], ['ArtifactInStorage', 'True', 'Succeeded']],
    want: ['True', 'Succeeded'],
  },
];

describe('summarize', () => {
  for (const c of cases) {
    it(c.name, () => {
      const got = computeSummary(withConditions(c.rows), c.spec ?? gitRepository);
      assert.deepEqual([got.status, got.reason], c.want);
    });
  }

  it('writes Ready with the message of the deciding condition and the generation', () => {
    const obj = withConditions([['FetchFailed', 'True', 'GitOperationFailed']]);
    summarize(obj, gitRepository, new ConditionWriter(() => new Date(0)));
    const ready = get(obj, 'Ready');
    assert.equal(ready?.status, 'False');
    assert.equal(ready?.message, 'FetchFailed says GitOperationFailed');
    assert.equal(ready?.observedGeneration, 2);
  });

  it('summarizes into another target when asked', () => {
    const obj = withConditions([['Released', 'False', 'InstallFailed']]);
    summarize(obj, { summarizeInto: 'Healthy', owned: ['Released'], negativePolarity: [] });
    assert.equal(get(obj, 'Healthy')?.reason, 'InstallFailed');
    assert.equal(get(obj, 'Ready'), undefined);
  });
});
