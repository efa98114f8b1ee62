import type { SummarizeSpec } from '../../runtime/status/summarize.ts';

/** Source kinds' conditions as source-controller declares them: owned, summary order, polarity. */
export const SOURCE_CONDITIONS: SummarizeSpec = {
  owned: ['Ready', 'SourceVerified', 'FetchFailed', 'IncludeUnavailable', 'ArtifactOutdated', 'ArtifactInStorage', 'StorageOperationFailed', 'Reconciling', 'Stalled'],
  summarize: ['StorageOperationFailed', 'IncludeUnavailable', 'SourceVerified', 'FetchFailed', 'ArtifactOutdated', 'ArtifactInStorage', 'Stalled', 'Reconciling'],
  negativePolarity: ['FetchFailed', 'IncludeUnavailable', 'ArtifactOutdated', 'StorageOperationFailed', 'Stalled', 'Reconciling'],
};

export const FIELD_MANAGER = 'source-controller';
